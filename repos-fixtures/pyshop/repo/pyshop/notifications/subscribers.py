"""Event subscribers that turn order events into e-mails."""

from ..util.money import format_money


def register_subscribers(app) -> None:
    bus = app.events

    def _customer(order_id):
        order = app.orders.repo.get(order_id)
        if order is None:
            return None, None
        return order, app.customers.repo.get(order.customer_id)

    def on_cancelled(topic, payload):
        order, customer = _customer(payload["order_id"])
        if customer is not None:
            app.outbox.enqueue(customer.email, "order_cancelled", name=customer.name,
                               number=order.number, reason=payload.get("reason", ""))

    def on_shipped(topic, payload):
        order, customer = _customer(payload["order_id"])
        if customer is not None:
            app.outbox.enqueue(customer.email, "order_shipped", name=customer.name,
                               number=order.number, carrier=payload.get("carrier", ""),
                               tracking=payload.get("tracking", ""))

    def on_refunded(topic, payload):
        order, customer = _customer(payload["order_id"])
        if customer is not None:
            app.outbox.enqueue(customer.email, "refund_issued", number=order.number,
                               amount=format_money(payload["amount_cents"], order.currency))

    bus.subscribe("order.cancelled", on_cancelled)
    bus.subscribe("order.shipped", on_shipped)
    bus.subscribe("payment.refunded", on_refunded)
