"""Shopping carts."""

from dataclasses import dataclass

OPEN = "open"
CONVERTED = "converted"
ABANDONED = "abandoned"


@dataclass(kw_only=True)
class Cart:
    id: int = 0
    customer_id: int | None = None
    status: str = OPEN
    coupon_code: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    order_id: int | None = None


@dataclass(kw_only=True)
class CartLine:
    id: int = 0
    cart_id: int
    sku: str
    quantity: int
    added_at: float = 0.0
