"""Bulk price changes for a whole category (seasonal repricing).

The percentage is applied to the base price and rounded to a "nice" price
ending in 99 cents when ``charm`` is set.  Group prices are left alone unless
``include_groups`` is given.
"""

from decimal import ROUND_HALF_UP, Decimal

from ..errors import ValidationError


def _adjust(cents: int, percent) -> int:
    factor = Decimal(100) + Decimal(str(percent))
    value = (Decimal(cents) * factor / Decimal(100)).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return int(value)


def _charm(cents: int) -> int:
    if cents < 100:
        return cents
    return (cents // 100) * 100 + 99 if cents % 100 else cents - 1


def preview(app, category_id: int, percent, *, charm: bool = False) -> list:
    if not -90 <= Decimal(str(percent)) <= 300:
        raise ValidationError("percent must be between -90 and 300", field="percent")
    rows = []
    for product in app.catalog.list_products(category_id=category_id):
        for variant in app.catalog.variants.for_product(product.id):
            new = _adjust(variant.price_cents, percent)
            if charm:
                new = _charm(new)
            rows.append({"sku": variant.sku, "old_cents": variant.price_cents, "new_cents": new})
    return rows


def apply(app, category_id: int, percent, *, charm: bool = False, include_groups=(), actor="admin") -> list:
    rows = preview(app, category_id, percent, charm=charm)
    for row in rows:
        app.catalog.set_base_price(row["sku"], row["new_cents"])
        for group in include_groups:
            existing = app.price_book.group_prices.lookup(row["sku"], group)
            if existing is not None:
                app.price_book.set_group_price(row["sku"], group, _adjust(existing.price_cents, percent))
    app.audit.record(actor, "prices.bulk_changed", str(category_id), percent=str(percent), count=len(rows))
    return rows
