"""Registration, sign-in and the customer's own account."""

from ...auth.guard import bearer_token, login, require_customer
from ...util.validation import require_fields
from ..http import created, json_response, no_content


def register(app, request):
    body = request.json()
    require_fields(body, "email", "password", "name")
    customer = app.customers.register(body["email"], body["password"], body["name"])
    app.outbox.enqueue(customer.email, "welcome", name=customer.name, shop=app.settings.shop_name)
    app.audit.record(customer.email, "customer.registered", str(customer.id))
    return created(customer.public())


def sign_in(app, request):
    body = request.json()
    require_fields(body, "email", "password")
    session, customer = login(app, body["email"], body["password"])
    app.audit.record(customer.email, "login", str(customer.id))
    return json_response({"token": session.token, "expires_at": session.expires_at,
                          "customer": customer.public()})


def sign_out(app, request):
    require_customer(app, request)
    app.sessions.revoke(bearer_token(request))
    return no_content()


def me(app, request):
    customer = require_customer(app, request)
    data = customer.public()
    data["addresses"] = [dict(a.as_dict(), id=a.id, is_default=a.is_default)
                         for a in app.customers.addresses.for_customer(customer.id)]
    return json_response(data)


def update_me(app, request):
    customer = require_customer(app, request)
    body = request.json()
    customer = app.customers.update_profile(customer.id, name=body.get("name"))
    return json_response(customer.public())


def add_address(app, request):
    customer = require_customer(app, request)
    body = request.json()
    address = app.customers.add_address(customer.id, body.get("address") or body,
                                        default=bool(body.get("default")))
    return created(dict(address.as_dict(), id=address.id, is_default=address.is_default))


def loyalty(app, request):
    customer = require_customer(app, request)
    return json_response({"balance": app.loyalty.balance(customer.id),
                          "entries": app.loyalty.entries(customer.id)})


ROUTES = [
    ("POST", "/customers", register),
    ("POST", "/login", sign_in),
    ("POST", "/logout", sign_out),
    ("GET", "/me", me),
    ("PATCH", "/me", update_me),
    ("POST", "/me/addresses", add_address),
    ("GET", "/me/loyalty", loyalty),
]
