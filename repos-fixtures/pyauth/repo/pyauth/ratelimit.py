"""Failed sign-in tracking.

Every failed password check for a key (normally ``e-mail|remote address``)
is remembered for ``window_seconds``; once ``max_attempts`` failures are on
record the key is locked until the oldest of them ages out.  One instance is
shared by all request threads.
"""

from __future__ import annotations

import threading
from typing import Optional

from .clock import Clock, SystemClock


def attempt_key(email: str, remote_addr: Optional[str]) -> str:
    return f"{(email or '').strip().lower()}|{remote_addr or '-'}"


class LoginRateLimiter:
    def __init__(self, max_attempts: int = 5, window_seconds: float = 900,
                 clock: Optional[Clock] = None):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.window_seconds = window_seconds
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._failures: dict[str, list] = {}

    def _recent_locked(self, key: str, now: float) -> list:
        """Failures of ``key`` still inside the window (drops the expired ones)."""
        cutoff = now - self.window_seconds
        stamps = [t for t in self._failures.get(key, ()) if t > cutoff]
        if stamps:
            self._failures[key] = stamps
        else:
            self._failures.pop(key, None)
        return stamps

    def register_failure(self, key: str) -> int:
        """Record one failed attempt; returns the number of failures in the window."""
        now = self._clock.now()
        with self._lock:
            stamps = self._recent_locked(key, now)
            stamps.append(now)
            self._failures[key] = stamps
            return len(stamps)

    def failure_count(self, key: str) -> int:
        now = self._clock.now()
        with self._lock:
            return len(self._recent_locked(key, now))

    def is_locked(self, key: str) -> bool:
        return self.failure_count(key) >= self.max_attempts

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` is unlocked (0 if it is not locked)."""
        now = self._clock.now()
        with self._lock:
            stamps = self._recent_locked(key, now)
            if len(stamps) < self.max_attempts:
                return 0.0
            oldest_relevant = stamps[len(stamps) - self.max_attempts]
            return max(0.0, oldest_relevant + self.window_seconds - now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def tracked_keys(self) -> list:
        now = self._clock.now()
        with self._lock:
            return sorted(k for k in list(self._failures) if self._recent_locked(k, now))
