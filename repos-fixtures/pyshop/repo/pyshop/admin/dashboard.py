"""Numbers for the back-office start page."""

from ..orders import status as st
from ..util.dates import day_bounds, day_of


def dashboard(app) -> dict:
    now = app.clock.now()
    start, end = day_bounds(day_of(now))
    orders = app.orders.repo.all()
    today = [o for o in orders if start <= o.created_at < end]
    paid_today = [o for o in today if o.status in (st.PAID, st.SHIPPED, st.DELIVERED)]
    inventory = app.inventory.snapshot()
    return {
        "day": day_of(now),
        "orders_today": len(today),
        "revenue_today_cents": sum(o.total_cents for o in paid_today),
        "awaiting_payment": sum(1 for o in orders if o.status == st.PENDING_PAYMENT),
        "to_ship": sum(1 for o in orders if o.status == st.PAID),
        "low_stock": [row["sku"] for row in inventory
                      if row["available"] <= app.settings.low_stock_threshold],
        "outbox_pending": len(app.outbox.pending()),
        "customers": app.customers.repo.count(),
    }
