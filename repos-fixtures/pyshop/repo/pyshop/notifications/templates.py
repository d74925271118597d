"""E-mail templates (string.Template syntax)."""

from string import Template

from ..errors import NotFound

TEMPLATES = {
    "welcome": ("Welcome to $shop", "Hello $name,\n\nyour account is ready.\n"),
    "order_confirmation": (
        "Your order $number",
        "Hello $name,\n\nthank you for your order $number.\nTotal: $total\n",
    ),
    "order_paid": ("Payment received for $number", "We received $total for order $number.\n"),
    "order_cancelled": (
        "Order $number cancelled",
        "Hello $name,\n\nyour order $number was cancelled ($reason).\n",
    ),
    "order_shipped": (
        "Order $number is on its way",
        "Hello $name,\n\norder $number left our warehouse with $carrier, tracking $tracking.\n",
    ),
    "refund_issued": ("Refund for $number", "We refunded $amount for order $number.\n"),
    "payment_failed": (
        "Payment for $number failed",
        "Hello $name,\n\nthe payment for order $number was declined.\n",
    ),
    "back_in_stock": ("$sku is back in stock", "Hello $name,\n\n$sku is available again.\n"),
    "return_received": ("We received your return", "Hello $name,\n\nreturn $rma arrived; refund: $amount.\n"),
    "low_stock_digest": ("Low stock: $count SKUs", "$lines\n"),
}


def render(template: str, /, **context) -> tuple:
    try:
        subject, body = TEMPLATES[template]
    except KeyError:
        raise NotFound(f"no e-mail template {template}") from None
    return Template(subject).safe_substitute(context), Template(body).safe_substitute(context)
