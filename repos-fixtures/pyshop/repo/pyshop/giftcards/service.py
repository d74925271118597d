"""Gift cards: a code with a balance in cents.

Cards are issued by support (goodwill) or when a ``GIFT-*`` product is paid.
Spending is recorded per reference so a cancelled order gives the money back.
"""

import threading
from dataclasses import dataclass

from ..db.repository import Repository
from ..errors import Conflict, NotFound, ValidationError
from ..ids import short_code
from ..util.validation import money_cents


@dataclass(kw_only=True)
class GiftCard:
    id: int = 0
    code: str
    initial_cents: int
    balance_cents: int
    issued_to: str | None = None
    issued_at: float = 0.0
    active: bool = True


class GiftCardRepository(Repository):
    table_name = "gift_cards"
    model = GiftCard

    def by_code(self, code: str):
        return self.find_one(code=(code or "").replace("-", "").strip().upper())


class GiftCardService:
    def __init__(self, db, clock):
        self.repo = GiftCardRepository(db)
        self.spends = db.table("gift_card_spends")
        self.clock = clock
        self._lock = threading.Lock()

    def issue(self, amount_cents: int, *, issued_to: str | None = None, code: str | None = None) -> GiftCard:
        amount = money_cents(amount_cents, "amount_cents")
        if amount == 0:
            raise ValidationError("a gift card needs a value")
        code = (code or short_code(12)).replace("-", "").upper()
        return self.repo.add(GiftCard(code=code, initial_cents=amount, balance_cents=amount,
                                      issued_to=issued_to, issued_at=self.clock.now()))

    def lookup(self, code: str) -> GiftCard:
        card = self.repo.by_code(code)
        if card is None or not card.active:
            raise NotFound("unknown gift card")
        return card

    def balance(self, code: str) -> int:
        return self.lookup(code).balance_cents

    def spend(self, code: str, amount_cents: int, reference: str) -> int:
        """Take up to ``amount_cents`` from the card; returns what was taken."""
        with self._lock:
            card = self.lookup(code)
            taken = min(card.balance_cents, money_cents(amount_cents))
            if taken == 0:
                raise Conflict("the gift card is empty")
            self.repo.update(card.id, balance_cents=card.balance_cents - taken)
            self.spends.insert({"card_id": card.id, "reference": reference, "amount_cents": taken,
                                "at": self.clock.now()})
            return taken

    def refund(self, reference: str) -> int:
        with self._lock:
            total = 0
            for row in self.spends.find(reference=reference):
                card = self.repo.require(row["card_id"])
                self.repo.update(card.id, balance_cents=card.balance_cents + row["amount_cents"])
                self.spends.delete(row["id"])
                total += row["amount_cents"]
            return total

    def deactivate(self, code: str) -> None:
        card = self.lookup(code)
        self.repo.update(card.id, active=False)
