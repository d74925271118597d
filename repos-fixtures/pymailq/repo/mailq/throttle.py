"""Per-domain sending rate limits (a token bucket per recipient domain).

The big mailbox providers defer us when we send too fast, so the workers
ask here before each delivery attempt.
"""

from __future__ import annotations

import threading

from .clock import Clock


class _Bucket:
    __slots__ = ("tokens", "updated_at")

    def __init__(self, tokens: float, updated_at: float):
        self.tokens = tokens
        self.updated_at = updated_at


class DomainThrottle:
    def __init__(self, rate_per_minute: int, clock: Clock, burst: int | None = None,
                 overrides: dict | None = None):
        if rate_per_minute < 1:
            raise ValueError("rate_per_minute must be at least 1")
        self._rate = rate_per_minute
        self._burst = burst if burst is not None else rate_per_minute
        self._overrides = dict(overrides or {})
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def rate_for(self, domain: str) -> int:
        return self._overrides.get(domain, self._rate)

    def _refill(self, domain: str, bucket: _Bucket, now: float) -> None:
        rate = self.rate_for(domain)
        elapsed = max(0.0, now - bucket.updated_at)
        bucket.tokens = min(float(max(self._burst, rate)), bucket.tokens + elapsed * rate / 60.0)
        bucket.updated_at = now

    def try_acquire(self, domain: str) -> tuple[bool, float]:
        """(True, 0) if a message may go to `domain` now, else (False, seconds to wait)."""
        now = self._clock.now()
        with self._lock:
            bucket = self._buckets.get(domain)
            if bucket is None:
                bucket = self._buckets[domain] = _Bucket(float(self._burst), now)
            self._refill(domain, bucket, now)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True, 0.0
            missing = 1.0 - bucket.tokens
            return False, missing * 60.0 / self.rate_for(domain)

    def available(self, domain: str) -> float:
        now = self._clock.now()
        with self._lock:
            bucket = self._buckets.get(domain)
            if bucket is None:
                return float(self._burst)
            self._refill(domain, bucket, now)
            return bucket.tokens

    def reset(self, domain: str | None = None) -> None:
        with self._lock:
            if domain is None:
                self._buckets.clear()
            else:
                self._buckets.pop(domain, None)
