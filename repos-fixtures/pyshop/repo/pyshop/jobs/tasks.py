"""The shop's periodic jobs."""

from ..orders import status as st
from ..util.dates import iso


def expire_unpaid_orders(app) -> list:
    """Cancel bank-transfer orders that were not paid in time; returns their numbers."""
    now = app.clock.now()
    cutoff = now - app.settings.unpaid_order_ttl_seconds
    orders = app.db.table("orders")
    expired = []
    for row in orders.find(status=st.PENDING_PAYMENT):
        if row["created_at"] > cutoff:
            continue
        app.ledger.release(row["number"])
        app.coupons.release(row["id"])
        orders.update(row["id"], status=st.CANCELLED, cancelled_at=now,
                      cancel_reason="payment_timeout")
        expired.append(row["number"])
    return expired


def abandon_stale_carts(app) -> int:
    cutoff = app.clock.now() - app.settings.abandoned_cart_seconds
    count = 0
    for cart in app.carts.repo.find(status="open"):
        if cart.updated_at <= cutoff:
            app.carts.repo.update(cart.id, status="abandoned")
            count += 1
    return count


def flush_outbox(app) -> int:
    return app.mailer.flush()


def low_stock_digest(app) -> int:
    pending = app.low_stock.drain()
    if not pending:
        return 0
    lines = "\n".join(f"{sku}: {available} available" for sku, available in sorted(pending.items()))
    app.outbox.enqueue(app.settings.ops_email, "low_stock_digest", count=len(pending),
                       lines=f"As of {iso(app.clock.now())}:\n{lines}")
    return len(pending)


def register_default_jobs(app, scheduler) -> None:
    scheduler.every("expire-unpaid-orders", 15 * 60, lambda: expire_unpaid_orders(app))
    scheduler.every("abandon-stale-carts", 6 * 3600, lambda: abandon_stale_carts(app))
    scheduler.every("flush-outbox", 60, lambda: flush_outbox(app))
    scheduler.every("low-stock-digest", 24 * 3600, lambda: low_stock_digest(app))
