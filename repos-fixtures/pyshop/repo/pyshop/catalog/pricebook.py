"""Unit prices per customer group.

Every variant has a base (retail) price.  Customer groups such as
``wholesale`` can have their own price per SKU; without one the base price
applies.  Lookups are cached in the ``prices`` cache region.
"""

from ..util.validation import money_cents
from .models import GroupPrice
from .repository import GroupPriceRepository

RETAIL = "retail"


class PriceBook:
    def __init__(self, db, catalog, cache):
        self.catalog = catalog
        self.cache = cache
        self.group_prices = GroupPriceRepository(db)

    def _region(self):
        return self.cache.region("prices")

    def unit_price(self, sku: str, group: str = RETAIL) -> int:
        key = f"{sku}:{group or RETAIL}"
        region = self._region()
        cached = region.get(key)
        if cached is not None:
            return cached
        variant = self.catalog.variant_by_sku(sku)
        price = variant.price_cents
        if group and group != RETAIL:
            special = self.group_prices.lookup(variant.sku, group)
            if special is not None:
                price = special.price_cents
        region.set(key, price)
        return price

    def set_group_price(self, sku: str, group: str, price_cents: int) -> GroupPrice:
        variant = self.catalog.variant_by_sku(sku)
        price_cents = money_cents(price_cents, "price_cents")
        existing = self.group_prices.lookup(variant.sku, group)
        if existing is None:
            row = self.group_prices.add(GroupPrice(sku=variant.sku, group=group, price_cents=price_cents))
        else:
            row = self.group_prices.update(existing.id, price_cents=price_cents)
        self._region().delete(f"{variant.sku}:{group}")
        return row

    def remove_group_price(self, sku: str, group: str) -> bool:
        existing = self.group_prices.lookup(sku, group)
        if existing is None:
            return False
        self.group_prices.delete(existing.id)
        self._region().delete(f"{sku}:{group}")
        return True

    def price_list(self, group: str = RETAIL) -> dict:
        return {v.sku: self.unit_price(v.sku, group) for v in self.catalog.variants.all() if v.active}
