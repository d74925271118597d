"""Return merchandise authorisations (RMAs)."""

from dataclasses import dataclass, field

from ..db.repository import Repository

REQUESTED = "requested"
APPROVED = "approved"
REJECTED = "rejected"
RECEIVED = "received"
REFUNDED = "refunded"

REASONS = ("damaged", "wrong_item", "not_as_described", "changed_mind", "other")


@dataclass(kw_only=True)
class ReturnRequest:
    id: int = 0
    order_id: int
    customer_id: int
    status: str = REQUESTED
    reason: str = "other"
    comment: str = ""
    items: dict = field(default_factory=dict)     # sku -> quantity
    refund_cents: int = 0
    restocking_fee_cents: int = 0
    created_at: float = 0.0
    decided_at: float | None = None
    decided_by: str | None = None
    received_at: float | None = None


class ReturnRepository(Repository):
    table_name = "returns"
    model = ReturnRequest

    def for_order(self, order_id: int) -> list:
        return self.find(order_id=order_id)

    def for_customer(self, customer_id: int) -> list:
        return self.find(customer_id=customer_id)
