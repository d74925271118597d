"""Fake card gateway (the real one is configured in production only).

Test cards: numbers ending in ``0002`` are declined, ``9995`` fail with
insufficient funds, anything else that passes the Luhn check is approved.
"""

import itertools
import threading
from dataclasses import dataclass

from ..ids import luhn_ok


@dataclass(frozen=True)
class GatewayResult:
    ok: bool
    transaction_id: str | None
    code: str
    message: str = ""


class FakeGateway:
    def __init__(self):
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self.transactions = {}   # id -> dict(amount, captured, refunded, voided)
        self.calls = []

    def _next_id(self) -> str:
        with self._lock:
            return f"txn_{next(self._seq):06d}"

    def authorize(self, amount_cents: int, card_number: str, reference: str) -> GatewayResult:
        self.calls.append(("authorize", amount_cents, reference))
        number = "".join(c for c in str(card_number) if c.isdigit())
        if not luhn_ok(number):
            return GatewayResult(False, None, "invalid_card", "card number is invalid")
        if number.endswith("0002"):
            return GatewayResult(False, None, "declined", "card declined")
        if number.endswith("9995"):
            return GatewayResult(False, None, "insufficient_funds", "insufficient funds")
        txn = self._next_id()
        self.transactions[txn] = {"amount": amount_cents, "captured": 0, "refunded": 0,
                                  "voided": False, "reference": reference, "last4": number[-4:]}
        return GatewayResult(True, txn, "approved")

    def capture(self, transaction_id: str, amount_cents: int | None = None) -> GatewayResult:
        self.calls.append(("capture", amount_cents, transaction_id))
        txn = self.transactions.get(transaction_id)
        if txn is None or txn["voided"]:
            return GatewayResult(False, transaction_id, "unknown_transaction")
        txn["captured"] = txn["amount"] if amount_cents is None else amount_cents
        return GatewayResult(True, transaction_id, "captured")

    def refund(self, transaction_id: str, amount_cents: int) -> GatewayResult:
        self.calls.append(("refund", amount_cents, transaction_id))
        txn = self.transactions.get(transaction_id)
        if txn is None or txn["refunded"] + amount_cents > txn["captured"]:
            return GatewayResult(False, transaction_id, "refund_rejected")
        txn["refunded"] += amount_cents
        return GatewayResult(True, transaction_id, "refunded")

    def void(self, transaction_id: str) -> GatewayResult:
        self.calls.append(("void", None, transaction_id))
        txn = self.transactions.get(transaction_id)
        if txn is None or txn["captured"]:
            return GatewayResult(False, transaction_id, "void_rejected")
        txn["voided"] = True
        return GatewayResult(True, transaction_id, "voided")
