"""Order records."""

from dataclasses import dataclass, field


@dataclass(kw_only=True)
class Order:
    id: int = 0
    number: str
    customer_id: int
    status: str = "pending_payment"
    source: str = "web"
    payment_method: str = "card"
    subtotal_cents: int = 0
    promotion_discount_cents: int = 0
    coupon_discount_cents: int = 0
    discount_cents: int = 0
    shipping_cents: int = 0
    tax_cents: int = 0
    total_cents: int = 0
    currency: str = "USD"
    coupon_code: str | None = None
    shipping_method: str = "standard"
    address: dict = field(default_factory=dict)
    promotions: list = field(default_factory=list)
    created_at: float = 0.0
    paid_at: float | None = None
    shipped_at: float | None = None
    cancelled_at: float | None = None
    cancel_reason: str | None = None


@dataclass(kw_only=True)
class OrderLine:
    id: int = 0
    order_id: int
    sku: str
    name: str
    quantity: int
    unit_price_cents: int
    discount_cents: int = 0
    line_total_cents: int = 0
    tax_class: str = "standard"
    category_id: int | None = None
