"""Periodic housekeeping: forget old final messages, record gauges."""

from __future__ import annotations

import threading

from . import metrics

SPOOL_RETENTION_SECONDS = 7 * 86400


class Housekeeper:
    def __init__(self, app, interval: float = 60.0):
        self.app = app
        self.interval = interval
        self._thread = None
        self._stop = threading.Event()
        self.runs = 0

    def run_once(self) -> dict:
        app = self.app
        purged = app.spool.purge_final(app.clock.now() - SPOOL_RETENTION_SECONDS)
        counts = app.spool.counts()
        for name, count in counts.items():
            metrics.gauge("spool.messages", count, status=name)
        metrics.gauge("queue.length", len(app.queue))
        metrics.gauge("scheduler.pending", len(app.scheduler.pending()))
        metrics.gauge("dedup.keys", len(app.dedup))
        webhooks = app.webhooks.flush()
        self.runs += 1
        return {"purged": purged, "counts": counts, "webhooks": webhooks}

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # pragma: no cover - logged by the thread hook
                metrics.incr("housekeeping.crashed")

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="housekeeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=5)
