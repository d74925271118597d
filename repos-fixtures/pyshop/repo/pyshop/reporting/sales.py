"""Sales figures for a day (used by the admin report and the finance export)."""

from collections import Counter

from ..orders import status as st
from ..util.dates import day_bounds

COUNTED = (st.PAID, st.SHIPPED, st.DELIVERED)


def daily_sales(app, day: str) -> dict:
    start, end = day_bounds(day)
    orders = [o for o in app.orders.repo.all()
              if o.status in COUNTED and o.paid_at is not None and start <= o.paid_at < end]
    units = Counter()
    for order in orders:
        for line in app.orders.lines(order.id):
            units[line.sku] += line.quantity
    gross = sum(o.total_cents for o in orders)
    tax = sum(o.tax_cents for o in orders)
    shipping = sum(o.shipping_cents for o in orders)
    # finance wants the average in dollars with two decimals
    average = round(gross / len(orders) / 100.0, 2) if orders else 0.0
    return {
        "day": day,
        "orders": len(orders),
        "gross_cents": gross,
        "tax_cents": tax,
        "shipping_cents": shipping,
        "net_cents": gross - tax - shipping,
        "discount_cents": sum(o.discount_cents for o in orders),
        "average_order": average,
        "top_skus": [sku for sku, _ in sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))[:5]],
    }


def sales_by_source(app) -> dict:
    out = {}
    for order in app.orders.repo.all():
        if order.status in COUNTED:
            out[order.source] = out.get(order.source, 0) + order.total_cents
    return out
