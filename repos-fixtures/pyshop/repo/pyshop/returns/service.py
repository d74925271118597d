"""Returns: customers ask, support decides, the warehouse receives, we refund.

Rules (from the 2022 returns policy):
* only shipped or delivered orders, within ``RETURN_WINDOW_DAYS`` of shipping;
* at most the quantity that was sold minus what was already returned;
* ``changed_mind`` returns pay a 10% restocking fee, other reasons none;
* the refund is the line's net price (after discounts) per unit; shipping and
  tax are refunded only when the whole order comes back for a fault of ours.
"""

from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..orders import status as st
from ..util.money import percent_of
from ..util.validation import positive_int
from .models import (APPROVED, REASONS, RECEIVED, REFUNDED, REJECTED, REQUESTED, ReturnRepository,
                     ReturnRequest)

RETURN_WINDOW_DAYS = 30
RESTOCKING_FEE_PERCENT = 10
FAULT_REASONS = ("damaged", "wrong_item", "not_as_described")


class ReturnService:
    def __init__(self, app):
        self.app = app
        self.repo = ReturnRepository(app.db)

    # -- helpers -----------------------------------------------------------
    def _returned_so_far(self, order_id: int) -> dict:
        out = {}
        for rma in self.repo.for_order(order_id):
            if rma.status == REJECTED:
                continue
            for sku, qty in rma.items.items():
                out[sku] = out.get(sku, 0) + qty
        return out

    def _quote(self, order, lines, items: dict, reason: str) -> tuple:
        by_sku = {l.sku: l for l in lines}
        refund = 0
        for sku, qty in items.items():
            line = by_sku[sku]
            unit_net = line.line_total_cents // line.quantity
            refund += unit_net * qty
        fee = percent_of(refund, RESTOCKING_FEE_PERCENT) if reason == "changed_mind" else 0
        everything = all(items.get(l.sku, 0) == l.quantity for l in lines)
        if everything and reason in FAULT_REASONS and not self._returned_so_far(order.id):
            refund = order.total_cents
        return refund - fee, fee

    # -- customer ------------------------------------------------------------
    def request(self, customer, order_number: str, items: dict, *, reason: str, comment: str = ""):
        app = self.app
        order = app.orders.by_number(order_number)
        if order.customer_id != customer.id:
            raise NotFound(f"order {order_number} not found")
        if order.status not in (st.SHIPPED, st.DELIVERED):
            raise Conflict("only shipped orders can be returned")
        if order.shipped_at is not None and app.clock.now() > order.shipped_at + RETURN_WINDOW_DAYS * 86400:
            raise Conflict("the return window has closed")
        if reason not in REASONS:
            raise ValidationError(f"unknown reason {reason}", field="reason")
        if not items:
            raise ValidationError("nothing to return", field="items")
        lines = app.orders.lines(order.id)
        sold = {l.sku: l.quantity for l in lines}
        already = self._returned_so_far(order.id)
        clean = {}
        for sku, qty in items.items():
            sku = sku.upper()
            qty = positive_int(qty, "quantity")
            if sku not in sold:
                raise ValidationError(f"{sku} is not on order {order.number}", field="items")
            if already.get(sku, 0) + clean.get(sku, 0) + qty > sold[sku]:
                raise ValidationError(f"cannot return more {sku} than was bought", field="items")
            clean[sku] = clean.get(sku, 0) + qty
        refund, fee = self._quote(order, lines, clean, reason)
        rma = self.repo.add(ReturnRequest(order_id=order.id, customer_id=customer.id, reason=reason,
                                          comment=comment, items=clean, refund_cents=refund,
                                          restocking_fee_cents=fee, created_at=app.clock.now()))
        app.audit.record(customer.email, "return.requested", order.number, rma=rma.id)
        return rma

    def for_customer(self, customer_id: int) -> list:
        return self.repo.for_customer(customer_id)

    def get(self, rma_id: int, customer=None) -> ReturnRequest:
        rma = self.repo.require(rma_id)
        if customer is not None and rma.customer_id != customer.id:
            raise Forbidden("not your return")
        return rma

    # -- back office -----------------------------------------------------------
    def decide(self, rma_id: int, *, approve: bool, actor: str) -> ReturnRequest:
        rma = self.repo.require(rma_id)
        if rma.status != REQUESTED:
            raise Conflict(f"return {rma_id} is already {rma.status}")
        rma = self.repo.update(rma.id, status=APPROVED if approve else REJECTED,
                               decided_at=self.app.clock.now(), decided_by=actor)
        self.app.audit.record(actor, "return.approved" if approve else "return.rejected", str(rma.id))
        return rma

    def receive(self, rma_id: int, *, actor: str, restock: bool = True) -> ReturnRequest:
        """The parcel arrived at the warehouse: put the goods back and refund."""
        app = self.app
        rma = self.repo.require(rma_id)
        if rma.status != APPROVED:
            raise Conflict(f"return {rma_id} is {rma.status}, not approved")
        order = app.orders.get(rma.order_id)
        if restock:
            for sku, qty in sorted(rma.items.items()):
                app.inventory.receive(sku, qty, actor=actor, note=f"return {rma.id} of {order.number}")
        self.repo.update(rma.id, status=RECEIVED, received_at=app.clock.now())
        refunded = app.payments.refund(order, rma.refund_cents) if rma.refund_cents else 0
        if refunded:
            app.events.publish("payment.refunded", order_id=order.id, amount_cents=refunded)
        app.audit.record(actor, "return.received", str(rma.id), refunded=refunded)
        return self.repo.update(rma.id, status=REFUNDED if refunded else RECEIVED)

    def describe(self, rma: ReturnRequest) -> dict:
        order = self.app.orders.get(rma.order_id)
        return {"id": rma.id, "order": order.number, "status": rma.status, "reason": rma.reason,
                "items": dict(rma.items), "refund_cents": rma.refund_cents,
                "restocking_fee_cents": rma.restocking_fee_cents}
