"""Checkout endpoint."""

from ...auth.guard import require_customer
from ...checkout.validators import parse_payment, parse_shipping_method, resolve_address
from ..http import created


def checkout(app, request, cart_id):
    customer = require_customer(app, request)
    body = request.json()
    payment = parse_payment(body)
    method = parse_shipping_method(body, app.settings)
    address = resolve_address(app, customer, body)
    app.carts.assign(cart_id, customer.id)
    order = app.checkout.place_order(cart_id, customer, address=address, shipping_method=method,
                                     payment=payment)
    return created(app.orders.describe(order))


ROUTES = [
    ("POST", "/carts/{cart_id:int}/checkout", checkout),
]
