"""Low stock monitor: collects ``stock.low`` events for the daily digest."""

import threading


class LowStockMonitor:
    def __init__(self, events):
        self._pending = {}
        self._lock = threading.Lock()
        events.subscribe("stock.low", self._on_low)

    def _on_low(self, topic, payload) -> None:
        with self._lock:
            self._pending[payload["sku"]] = payload["available"]

    def pending(self) -> dict:
        with self._lock:
            return dict(self._pending)

    def drain(self) -> dict:
        with self._lock:
            pending, self._pending = self._pending, {}
            return pending
