"""In-memory stock levels and reservations.

For every tracked SKU the ledger keeps three numbers:

* ``on_hand``   units physically in the warehouse,
* ``reserved``  units promised to open orders (held, not shipped yet),
* ``available`` units that can still be promised: ``on_hand - reserved``.

Invariant: ``available + reserved == on_hand`` at every moment another
thread can look.  Holds are keyed by a reference (the order number) so they
can be released (order cancelled) or committed (order shipped) later.

The ledger is shared by every request thread of the process.
"""

import threading
from dataclasses import dataclass

from ..errors import InsufficientStock, NotFound, ValidationError


@dataclass(frozen=True)
class StockLevel:
    sku: str
    on_hand: int
    reserved: int
    available: int


class _Level:
    __slots__ = ("on_hand", "reserved", "available")

    def __init__(self, on_hand: int):
        self.on_hand = on_hand
        self.reserved = 0
        self.available = on_hand


class StockLedger:
    def __init__(self):
        self._levels = {}
        self._holds = {}   # reference -> {sku: quantity}
        self._lock = threading.RLock()

    # -- helpers -------------------------------------------------------
    def _level(self, sku: str) -> _Level:
        level = self._levels.get(sku)
        if level is None:
            raise NotFound(f"SKU {sku} is not stocked", sku=sku)
        return level

    @staticmethod
    def _check_qty(qty: int) -> None:
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise ValidationError("quantity must be a positive integer")

    # -- stock -----------------------------------------------------------
    def track(self, sku: str, on_hand: int = 0) -> StockLevel:
        with self._lock:
            if sku not in self._levels:
                self._levels[sku] = _Level(on_hand)
            return self.level(sku)

    def is_tracked(self, sku: str) -> bool:
        with self._lock:
            return sku in self._levels

    def receive(self, sku: str, qty: int) -> StockLevel:
        """Goods arrived: more on hand, more available."""
        self._check_qty(qty)
        with self._lock:
            level = self._level(sku)
            level.on_hand += qty
            level.available += qty
            return self.level(sku)

    def recount(self, sku: str, counted: int) -> StockLevel:
        """A stock count replaced the on-hand figure; reservations stay."""
        if counted < 0:
            raise ValidationError("counted stock cannot be negative")
        with self._lock:
            level = self._level(sku)
            level.on_hand = counted
            level.available = counted - level.reserved
            return self.level(sku)

    # -- reservations ------------------------------------------------------
    def reserve(self, sku: str, qty: int, reference: str) -> StockLevel:
        """Hold ``qty`` units of ``sku`` for ``reference``; InsufficientStock if short."""
        self._check_qty(qty)
        with self._lock:
            level = self._level(sku)
            if level.available < qty:
                raise InsufficientStock(sku, qty, max(level.available, 0))
            level.available -= qty
            level.reserved += qty
            holds = self._holds.setdefault(reference, {})
            holds[sku] = holds.get(sku, 0) + qty
            return self.level(sku)

    def release(self, reference: str) -> dict:
        """Give back everything held for ``reference``; returns {sku: qty}."""
        with self._lock:
            holds = self._holds.pop(reference, {})
            for sku, qty in holds.items():
                level = self._levels[sku]
                level.reserved -= qty
                level.available += qty
            return dict(holds)

    def commit(self, reference: str) -> dict:
        """The goods held for ``reference`` left the warehouse; returns {sku: qty}."""
        with self._lock:
            holds = self._holds.pop(reference, {})
            for sku, qty in holds.items():
                level = self._levels[sku]
                level.reserved -= qty
                level.on_hand -= qty
            return dict(holds)

    # -- queries -----------------------------------------------------------
    def level(self, sku: str) -> StockLevel:
        with self._lock:
            level = self._level(sku)
            return StockLevel(sku, level.on_hand, level.reserved, level.available)

    def levels(self) -> list:
        with self._lock:
            return [self.level(sku) for sku in sorted(self._levels)]

    def held(self, reference: str) -> dict:
        with self._lock:
            return dict(self._holds.get(reference, {}))

    def references(self) -> list:
        with self._lock:
            return sorted(self._holds)
