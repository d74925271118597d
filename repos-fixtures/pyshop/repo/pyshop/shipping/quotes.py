"""Shipping charges.

Standard shipping is free for domestic orders whose merchandise amount (after
discounts) reaches ``settings.free_shipping_threshold_cents``.
"""

from .carriers import get_carrier


class ShippingQuoter:
    def __init__(self, settings):
        self.settings = settings

    def is_domestic(self, address) -> bool:
        country = (address or {}).get("country") or self.settings.store_country
        return country.upper() == self.settings.store_country

    def quote(self, method: str, weight_grams: int, address=None, merchandise_cents: int = 0) -> int:
        carrier = get_carrier(method)
        domestic = self.is_domestic(address)
        carrier.check_destination(domestic)
        if (method == "standard" and domestic
                and merchandise_cents >= self.settings.free_shipping_threshold_cents):
            return 0
        return carrier.rate(weight_grams, domestic=domestic)

    def options(self, weight_grams: int, address=None, merchandise_cents: int = 0) -> list:
        out = []
        for code in ("standard", "ground", "express", "pickup"):
            try:
                out.append({"method": code,
                            "cents": self.quote(code, weight_grams, address, merchandise_cents)})
            except Exception:  # noqa: BLE001 - carrier does not serve the destination
                continue
        return out
