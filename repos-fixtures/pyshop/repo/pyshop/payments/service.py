"""Charging and refunding orders."""

from ..errors import Conflict, PaymentDeclined
from .models import Payment, PaymentRepository


class PaymentService:
    def __init__(self, db, gateway, clock):
        self.gateway = gateway
        self.clock = clock
        self.repo = PaymentRepository(db)

    def charge(self, order, card_number: str) -> Payment:
        """Authorize and capture ``order.total_cents``; PaymentDeclined on failure."""
        result = self.gateway.authorize(order.total_cents, card_number, order.number)
        if not result.ok:
            self.repo.add(Payment(order_id=order.id, amount_cents=order.total_cents, status="declined",
                                  created_at=self.clock.now()))
            raise PaymentDeclined(result.message or "payment declined", reason=result.code)
        capture = self.gateway.capture(result.transaction_id)
        if not capture.ok:  # pragma: no cover - the fake gateway always captures
            raise PaymentDeclined("capture failed", reason=capture.code)
        digits = "".join(c for c in str(card_number) if c.isdigit())
        return self.repo.add(Payment(order_id=order.id, amount_cents=order.total_cents,
                                     transaction_id=result.transaction_id, card_last4=digits[-4:],
                                     created_at=self.clock.now()))

    def record_offline(self, order, method: str = "bank_transfer") -> Payment:
        return self.repo.add(Payment(order_id=order.id, amount_cents=order.total_cents, method=method,
                                     created_at=self.clock.now()))

    def refund(self, order, amount_cents: int | None = None) -> int:
        """Refund (part of) the captured payment; returns the refunded amount."""
        payment = self.repo.captured_for(order.id)
        if payment is None:
            raise Conflict(f"order {order.number} has no captured payment")
        left = payment.amount_cents - payment.refunded_cents
        amount = left if amount_cents is None else min(amount_cents, left)
        if amount <= 0:
            return 0
        if payment.transaction_id is not None:
            result = self.gateway.refund(payment.transaction_id, amount)
            if not result.ok:
                raise Conflict(f"refund rejected: {result.code}")
        refunded = payment.refunded_cents + amount
        status = "refunded" if refunded >= payment.amount_cents else "partially_refunded"
        self.repo.update(payment.id, refunded_cents=refunded, status=status)
        return amount

    def paid_amount(self, order_id: int) -> int:
        return sum(p.amount_cents - p.refunded_cents for p in self.repo.for_order(order_id)
                   if p.status in ("captured", "partially_refunded", "refunded"))
