"""Stock levels per warehouse, shared by the order workflow and the restock job."""

import threading

from inventory.pricing import unit_price


class StockError(Exception):
    """Raised when a reservation cannot be met."""


class Stock:
    def __init__(self):
        self._levels = {}
        self._lock = threading.Lock()

    def add(self, sku, qty):
        if qty <= 0:
            raise StockError(f"cannot add {qty} of {sku}")
        with self._lock:
            self._levels[sku] = self._levels.get(sku, 0) + qty

    def level(self, sku):
        return self._levels.get(sku, 0)

    def reserve(self, sku, qty):
        with self._lock:
            available = self._levels.get(sku, 0)
            if available < qty:
                raise StockError(f"only {available} of {sku} left")
            self._levels[sku] = available - qty
        return qty

    def value(self, sku):
        return self.level(sku) * unit_price(sku)
