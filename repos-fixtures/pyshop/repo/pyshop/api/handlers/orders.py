"""The customer's orders."""

from ...auth.guard import require_customer
from ...errors import Conflict, NotFound
from ...orders import status as st
from ...util.validation import require_fields
from ..http import json_response


def _own_order(app, customer, number):
    order = app.orders.by_number(number)
    if order.customer_id != customer.id:
        raise NotFound(f"order {number} not found")
    return order


def list_orders(app, request):
    customer = require_customer(app, request)
    return json_response({"orders": [
        {"number": o.number, "status": o.status, "total_cents": o.total_cents, "created_at": o.created_at}
        for o in app.orders.for_customer(customer.id)
    ]})


def show_order(app, request, number):
    customer = require_customer(app, request)
    return json_response(app.orders.describe(_own_order(app, customer, number)))


def cancel_order(app, request, number):
    customer = require_customer(app, request)
    order = _own_order(app, customer, number)
    if order.status not in (st.PENDING_PAYMENT, st.PAYMENT_FAILED):
        raise Conflict("only unpaid orders can be cancelled online; please contact support")
    order = app.orders.cancel(order.id, reason="customer request", actor=customer.email)
    return json_response(app.orders.describe(order))


def retry_payment(app, request, number):
    customer = require_customer(app, request)
    body = request.json()
    require_fields(body, "card_number")
    order = _own_order(app, customer, number)
    order = app.checkout.retry_payment(order.id, customer, body["card_number"])
    return json_response(app.orders.describe(order))


ROUTES = [
    ("GET", "/me/orders", list_orders),
    ("GET", "/orders/{number}", show_order),
    ("POST", "/orders/{number}/cancel", cancel_order),
    ("POST", "/orders/{number}/pay", retry_payment),
]
