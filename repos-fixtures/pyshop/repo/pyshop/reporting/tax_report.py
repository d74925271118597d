"""Tax collected per jurisdiction, for the quarterly filings."""

from ..orders import status as st
from ..util.dates import day_bounds

COUNTED = (st.PAID, st.SHIPPED, st.DELIVERED)


def tax_by_jurisdiction(app, first_day: str, last_day: str) -> list:
    start, _ = day_bounds(first_day)
    _, end = day_bounds(last_day)
    buckets = {}
    for order in app.orders.repo.all():
        if order.status not in COUNTED or order.paid_at is None or not start <= order.paid_at < end:
            continue
        country = order.address.get("country") or app.settings.store_country
        region = order.address.get("region") if country in ("US", "CA") else None
        key = (country, region)
        bucket = buckets.setdefault(key, {"country": country, "region": region, "orders": 0,
                                          "taxable_cents": 0, "tax_cents": 0})
        bucket["orders"] += 1
        bucket["taxable_cents"] += order.total_cents - order.tax_cents
        bucket["tax_cents"] += order.tax_cents
    return [buckets[k] for k in sorted(buckets, key=lambda k: (k[0], k[1] or ""))]
