"""Request authentication helpers used by the handlers."""

from ..errors import Forbidden, Unauthorized
from .passwords import verify_password
from .permissions import has_permission


def bearer_token(request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def current_customer(app, request):
    session = app.sessions.get(bearer_token(request))
    if session is None:
        return None
    customer = app.customers.repo.get(session.customer_id)
    if customer is None or not customer.active:
        return None
    return customer


def require_customer(app, request):
    customer = current_customer(app, request)
    if customer is None:
        raise Unauthorized("sign in first")
    return customer


def require_permission(app, request, permission: str):
    customer = require_customer(app, request)
    if not has_permission(customer, permission):
        raise Forbidden(f"missing permission {permission}")
    return customer


def login(app, email: str, password: str):
    customer = app.customers.by_email(email)
    if customer is None or not verify_password(password, customer.password_hash):
        raise Unauthorized("wrong e-mail or password")
    if not customer.active:
        raise Forbidden("account disabled")
    return app.sessions.create(customer.id), customer
