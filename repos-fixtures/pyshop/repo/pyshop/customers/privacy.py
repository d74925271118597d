"""Data subject requests: export everything we hold about a customer, or
erase the personal data while keeping the accounting records."""

from ..errors import Conflict
from ..orders import status as st

ERASED_EMAIL = "erased-{id}@invalid"


def export_customer(app, customer_id: int) -> dict:
    customer = app.customers.get(customer_id)
    orders = app.orders.for_customer(customer.id)
    return {
        "profile": customer.public(),
        "addresses": [a.as_dict() for a in app.customers.addresses.for_customer(customer.id)],
        "orders": [app.orders.describe(o) for o in orders],
        "loyalty": app.loyalty.entries(customer.id),
        "emails": [{"subject": m["subject"], "queued_at": m["queued_at"]}
                   for m in app.outbox.messages_for(customer.email)],
    }


def erase_customer(app, customer_id: int, *, actor: str) -> dict:
    customer = app.customers.get(customer_id)
    open_orders = [o for o in app.orders.for_customer(customer.id) if o.status in st.OPEN_STATUSES]
    if open_orders:
        raise Conflict("the customer has open orders", orders=[o.number for o in open_orders])
    anonymous = {"name": "Erased", "line1": "-", "line2": None, "city": "-", "postcode": "-"}
    for address in app.customers.addresses.for_customer(customer.id):
        app.customers.addresses.delete(address.id)
    for order in app.orders.for_customer(customer.id):
        kept = {k: v for k, v in order.address.items() if k in ("country", "region")}
        app.orders.repo.update(order.id, address=dict(anonymous, **kept))
    app.customers.repo.update(customer.id, email=ERASED_EMAIL.format(id=customer.id), name="Erased",
                              active=False, password_hash="!")
    revoked = app.sessions.revoke_customer(customer.id)
    app.audit.record(actor, "customer.erased", str(customer.id))
    return {"customer_id": customer.id, "sessions_revoked": revoked}
