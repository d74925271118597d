"""Validation of checkout requests."""

from ..errors import ValidationError
from ..shipping.addresses import validate_address
from ..shipping.carriers import CARRIERS

PAYMENT_METHODS = ("card", "bank_transfer")


def parse_payment(body: dict) -> dict:
    payment = body.get("payment") or {}
    if not isinstance(payment, dict):
        raise ValidationError("payment must be an object", field="payment")
    method = payment.get("method", "card")
    if method not in PAYMENT_METHODS:
        raise ValidationError(f"unknown payment method {method}", field="payment.method")
    if method == "card" and not payment.get("card_number"):
        raise ValidationError("card_number is required", field="payment.card_number")
    return {"method": method, "card_number": payment.get("card_number")}


def parse_shipping_method(body: dict, settings) -> str:
    method = body.get("shipping_method", "standard")
    if method not in CARRIERS:
        raise ValidationError(f"unknown shipping method {method}", field="shipping_method")
    if method == "express" and not settings.feature("express_shipping"):
        raise ValidationError("express shipping is not available", field="shipping_method")
    return method


def resolve_address(app, customer, body: dict) -> dict:
    if body.get("address_id") is not None:
        return app.customers.address(customer.id, int(body["address_id"])).as_dict()
    if body.get("address"):
        return validate_address(body["address"])
    default = app.customers.default_address(customer.id)
    if default is None:
        raise ValidationError("a shipping address is required", field="address")
    return default.as_dict()
