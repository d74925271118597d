"""De-duplication of submissions by Message-ID.

Upstream applications retry their API calls, and the batch import is
sometimes run twice; a Message-ID seen within the TTL is not accepted
again.
"""

from __future__ import annotations

import threading

from .clock import Clock


class DuplicateFilter:
    def __init__(self, ttl_seconds: float, clock: Clock):
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._ttl = ttl_seconds
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def _prune_locked(self, now: float) -> None:
        expired = [key for key, at in self._seen.items() if now - at >= self._ttl]
        for key in expired:
            del self._seen[key]

    def seen_recently(self, key: str) -> bool:
        now = self._clock.now()
        with self._lock:
            at = self._seen.get(key)
            return at is not None and now - at < self._ttl

    def register(self, key: str) -> bool:
        """Remember `key`; True if it was not seen within the TTL (accept the
        message), False for a duplicate."""
        now = self._clock.now()
        with self._lock:
            self._prune_locked(now)
            at = self._seen.get(key)
            if at is not None and now - at < self._ttl:
                return False
            self._seen[key] = now
            return True

    def forget(self, key: str) -> bool:
        """Drop `key` (a submission that was rejected after registering)."""
        with self._lock:
            return self._seen.pop(key, None) is not None

    def __len__(self) -> int:
        with self._lock:
            self._prune_locked(self._clock.now())
            return len(self._seen)
