"""Carriers and their rate cards (cents)."""

from ..errors import ValidationError


def _started_kg(weight_grams: int) -> int:
    return max(1, -(-int(weight_grams) // 1000))


class Carrier:
    code = ""
    name = ""
    international = True

    def rate(self, weight_grams: int, *, domestic: bool) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def check_destination(self, domestic: bool) -> None:
        if not domestic and not self.international:
            raise ValidationError(f"{self.name} only ships domestically", field="shipping_method")


class FlatRateCarrier(Carrier):
    code = "standard"
    name = "Standard mail"

    def __init__(self, domestic_cents: int = 499, international_cents: int = 1499):
        self.domestic_cents = domestic_cents
        self.international_cents = international_cents

    def rate(self, weight_grams: int, *, domestic: bool) -> int:
        return self.domestic_cents if domestic else self.international_cents


class GroundCarrier(Carrier):
    code = "ground"
    name = "Ground parcel"

    def rate(self, weight_grams: int, *, domestic: bool) -> int:
        cents = 399 + 150 * _started_kg(weight_grams)
        return cents if domestic else cents * 2


class ExpressCarrier(Carrier):
    code = "express"
    name = "Express courier"

    def rate(self, weight_grams: int, *, domestic: bool) -> int:
        cents = 1299 + 200 * _started_kg(weight_grams)
        return cents if domestic else cents + 2500


class PickupCarrier(Carrier):
    code = "pickup"
    name = "Store pickup"
    international = False

    def rate(self, weight_grams: int, *, domestic: bool) -> int:
        return 0


CARRIERS = {c.code: c for c in (FlatRateCarrier(), GroundCarrier(), ExpressCarrier(), PickupCarrier())}


def get_carrier(code: str) -> Carrier:
    try:
        return CARRIERS[code]
    except KeyError:
        raise ValidationError(f"unknown shipping method {code!r}", field="shipping_method") from None
