"""Operator audit trail (who cancelled, retried, purged or suppressed what)."""

from __future__ import annotations

import threading

from .clock import Clock


class AuditLog:
    def __init__(self, clock: Clock, limit: int = 10000):
        self._clock = clock
        self._limit = limit
        self._entries: list[dict] = []
        self._lock = threading.Lock()

    def record(self, action: str, **fields) -> dict:
        entry = {"at": self._clock.now(), "action": action}
        entry.update(fields)
        with self._lock:
            self._entries.append(entry)
            if len(self._entries) > self._limit:
                del self._entries[: len(self._entries) - self._limit]
        return entry

    def entries(self, action: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._entries if action is None or e["action"] == action]

    def actions(self) -> list[str]:
        with self._lock:
            return [e["action"] for e in self._entries]
