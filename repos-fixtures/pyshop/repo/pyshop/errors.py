"""Exception hierarchy.  ``status`` and ``code`` drive the HTTP error response."""


class ShopError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str = "", **details):
        super().__init__(message or self.code)
        self.message = message or self.code
        self.details = details

    def to_dict(self) -> dict:
        body = {"error": self.code, "message": self.message}
        body.update(self.details)
        return body


class ValidationError(ShopError):
    status = 400
    code = "invalid"


class EmptyCart(ValidationError):
    code = "empty_cart"


class NotFound(ShopError):
    status = 404
    code = "not_found"


class Conflict(ShopError):
    status = 409
    code = "conflict"


class Unauthorized(ShopError):
    status = 401
    code = "unauthorized"


class Forbidden(ShopError):
    status = 403
    code = "forbidden"


class InsufficientStock(Conflict):
    code = "insufficient_stock"

    def __init__(self, sku: str, requested: int, available: int):
        super().__init__(f"only {available} of {sku} available, {requested} requested",
                         sku=sku, requested=requested, available=available)
        self.sku = sku
        self.requested = requested
        self.available = available


class InvalidCoupon(ShopError):
    status = 400
    code = "invalid_coupon"


class PaymentDeclined(ShopError):
    status = 402
    code = "payment_declined"


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, current: str, target: str):
        super().__init__(f"cannot go from {current} to {target}", current=current, target=target)
        self.current = current
        self.target = target
