"""Customer segments for marketing campaigns."""

from ..orders import status as st
from ..util.dates import DAY

COUNTED = (st.PAID, st.SHIPPED, st.DELIVERED)


def segment_of(app, customer) -> str:
    orders = [o for o in app.orders.for_customer(customer.id) if o.status in COUNTED]
    now = app.clock.now()
    if not orders:
        return "prospect"
    spent = sum(o.total_cents for o in orders)
    last = max(o.created_at for o in orders)
    if now - last > 180 * DAY:
        return "lapsed"
    if spent >= 50000 or len(orders) >= 5:
        return "vip"
    if len(orders) >= 2:
        return "repeat"
    return "new"


def segments(app) -> dict:
    out = {"prospect": [], "new": [], "repeat": [], "vip": [], "lapsed": []}
    for customer in app.customers.repo.all():
        if not customer.active or customer.role != "customer":
            continue
        out[segment_of(app, customer)].append(customer.email)
    return out
