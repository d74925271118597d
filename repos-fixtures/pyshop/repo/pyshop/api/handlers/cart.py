"""Cart endpoints."""

from ...auth.guard import current_customer
from ...shipping.addresses import normalize_address
from ..http import created, json_response, no_content


def _cart_view(app, cart_id):
    return {
        "id": cart_id,
        "items": [{"sku": l.sku, "quantity": l.quantity} for l in app.carts.items(cart_id)],
        "coupon_code": app.carts.get(cart_id).coupon_code,
    }


def create_cart(app, request):
    customer = current_customer(app, request)
    cart = app.carts.create(customer.id if customer else None)
    return created({"id": cart.id})


def show_cart(app, request, cart_id):
    app.carts.get(cart_id, current_customer(app, request))
    return json_response(_cart_view(app, cart_id))


def add_item(app, request, cart_id):
    body = request.json()
    app.carts.add_item(cart_id, str(body.get("sku", "")).upper(), body.get("quantity", 1),
                       current_customer(app, request))
    return json_response(_cart_view(app, cart_id))


def set_quantity(app, request, cart_id, sku):
    body = request.json()
    app.carts.set_quantity(cart_id, sku.upper(), body.get("quantity"), current_customer(app, request))
    return json_response(_cart_view(app, cart_id))


def remove_item(app, request, cart_id, sku):
    app.carts.remove_item(cart_id, sku.upper(), current_customer(app, request))
    return no_content()


def apply_coupon(app, request, cart_id):
    body = request.json()
    app.carts.apply_coupon(cart_id, body.get("code"), current_customer(app, request))
    return json_response(_cart_view(app, cart_id))


def totals(app, request, cart_id):
    customer = current_customer(app, request)
    app.carts.get(cart_id, customer)
    address = None
    if request.query.get("country"):
        address = normalize_address({"country": request.query["country"],
                                     "region": request.query.get("region")})
    return json_response(app.carts.totals(cart_id, address=address, customer=customer,
                                          shipping_method=request.query.get("method", "standard")))


ROUTES = [
    ("POST", "/carts", create_cart),
    ("GET", "/carts/{cart_id:int}", show_cart),
    ("POST", "/carts/{cart_id:int}/items", add_item),
    ("PATCH", "/carts/{cart_id:int}/items/{sku}", set_quantity),
    ("DELETE", "/carts/{cart_id:int}/items/{sku}", remove_item),
    ("POST", "/carts/{cart_id:int}/coupon", apply_coupon),
    ("GET", "/carts/{cart_id:int}/totals", totals),
]
