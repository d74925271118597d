"""Inventory service: the ledger plus the movement log and low-stock events."""

from ..errors import InsufficientStock
from ..util.validation import positive_int
from .movements import MovementRepository, StockMovement


class InventoryService:
    def __init__(self, db, ledger, events, clock, settings):
        self.ledger = ledger
        self.events = events
        self.clock = clock
        self.settings = settings
        self.movements = MovementRepository(db)

    def _log(self, sku, kind, quantity, reference="", actor="system", note="") -> None:
        self.movements.add(StockMovement(sku=sku, kind=kind, quantity=quantity, reference=reference,
                                         actor=str(actor), note=note, at=self.clock.now()))

    def _maybe_alert(self, sku: str) -> None:
        level = self.ledger.level(sku)
        if level.available <= self.settings.low_stock_threshold:
            self.events.publish("stock.low", sku=sku, available=level.available)

    # -- stock -----------------------------------------------------------
    def track(self, sku: str, on_hand: int = 0, actor="system"):
        level = self.ledger.track(sku, on_hand)
        if on_hand:
            self._log(sku, "receive", on_hand, actor=actor, note="initial stock")
        return level

    def receive(self, sku: str, qty, *, actor="system", note: str = ""):
        qty = positive_int(qty, "quantity")
        if not self.ledger.is_tracked(sku):
            self.ledger.track(sku, 0)
        level = self.ledger.receive(sku, qty)
        self._log(sku, "receive", qty, actor=actor, note=note)
        self.events.publish("stock.received", sku=sku, quantity=qty, available=level.available)
        return level

    def recount(self, sku: str, counted, *, actor="system"):
        counted = positive_int(counted, "counted", allow_zero=True)
        before = self.ledger.level(sku)
        level = self.ledger.recount(sku, counted)
        self._log(sku, "recount", counted - before.on_hand, actor=actor,
                  note=f"counted {counted}, was {before.on_hand}")
        self._maybe_alert(sku)
        return level

    def available(self, sku: str) -> int:
        if not self.ledger.is_tracked(sku):
            return 0
        return self.ledger.level(sku).available

    # -- reservations ------------------------------------------------------
    def reserve_lines(self, reference: str, lines, *, actor="system") -> None:
        """Reserve every ``(sku, qty)`` for ``reference``, all or nothing."""
        done = []
        try:
            for sku, qty in lines:
                if not self.ledger.is_tracked(sku):
                    raise InsufficientStock(sku, qty, 0)
                self.ledger.reserve(sku, qty, reference)
                done.append((sku, qty))
        except InsufficientStock:
            if done:
                self.ledger.release(reference)
            raise
        for sku, qty in done:
            self._log(sku, "reserve", qty, reference=reference, actor=actor)
            self._maybe_alert(sku)

    def release(self, reference: str, *, actor="system", note: str = "") -> dict:
        released = self.ledger.release(reference)
        for sku, qty in sorted(released.items()):
            self._log(sku, "release", qty, reference=reference, actor=actor, note=note)
        return released

    def commit(self, reference: str, *, actor="system") -> dict:
        shipped = self.ledger.commit(reference)
        for sku, qty in sorted(shipped.items()):
            self._log(sku, "commit", qty, reference=reference, actor=actor)
        return shipped

    def snapshot(self) -> list:
        return [
            {"sku": lvl.sku, "on_hand": lvl.on_hand, "reserved": lvl.reserved,
             "available": lvl.available}
            for lvl in self.ledger.levels()
        ]
