"""Time sources.  Everything that needs the time takes a Clock so tests can
control it."""

from __future__ import annotations

import time


class Clock:
    def now(self) -> float:
        raise NotImplementedError

    def sleep(self, seconds: float) -> None:
        raise NotImplementedError


class SystemClock(Clock):
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock(Clock):
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: float = 1_700_000_000.0):
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("cannot go back in time")
        self._now += seconds
        return self._now

    def set(self, value: float) -> None:
        self._now = float(value)

    def sleep(self, seconds: float) -> None:
        # Sleeping on a fake clock just moves it.
        if seconds > 0:
            self._now += seconds
