"""Payment records."""

from dataclasses import dataclass

from ..db.repository import Repository


@dataclass(kw_only=True)
class Payment:
    id: int = 0
    order_id: int
    amount_cents: int
    method: str = "card"
    status: str = "captured"
    transaction_id: str | None = None
    card_last4: str | None = None
    refunded_cents: int = 0
    created_at: float = 0.0


class PaymentRepository(Repository):
    table_name = "payments"
    model = Payment

    def for_order(self, order_id: int) -> list:
        return self.find(order_id=order_id)

    def captured_for(self, order_id: int):
        rows = [p for p in self.for_order(order_id) if p.status in ("captured", "partially_refunded")]
        return rows[-1] if rows else None
