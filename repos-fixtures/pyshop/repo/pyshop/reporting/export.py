"""CSV export of orders for the accounting system."""

from ..util.csvutil import to_csv
from ..util.dates import iso
from ..util.money import from_cents

HEADER = ["number", "status", "source", "customer", "created", "paid", "subtotal", "discount",
          "shipping", "tax", "total", "currency"]


def orders_csv(app, *, since: float | None = None, until: float | None = None) -> str:
    rows = []
    emails = {c.id: c.email for c in app.customers.repo.all()}
    for order in sorted(app.orders.repo.all(), key=lambda o: o.created_at):
        if since is not None and order.created_at < since:
            continue
        if until is not None and order.created_at >= until:
            continue
        rows.append([
            order.number, order.status, order.source, emails.get(order.customer_id, ""),
            iso(order.created_at), iso(order.paid_at), from_cents(order.subtotal_cents),
            from_cents(order.discount_cents), from_cents(order.shipping_cents),
            from_cents(order.tax_cents), from_cents(order.total_cents), order.currency,
        ])
    return to_csv(HEADER, rows)
