"""Spool ids and Message-ID headers."""

from __future__ import annotations

import threading


class IdSequence:
    """Increasing integer ids, shared by every intake path."""

    def __init__(self, start: int = 1):
        self._next = start
        self._lock = threading.Lock()

    def next_id(self) -> int:
        with self._lock:
            value = self._next
            self._next += 1
            return value

    def peek(self) -> int:
        with self._lock:
            return self._next


def make_message_id(spool_id: int, created_at: float, hostname: str) -> str:
    """A Message-ID header for a message that came without one."""
    return f"<{int(created_at)}.{spool_id}@{hostname}>"


def normalize_message_id(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValueError("empty Message-ID")
    if not value.startswith("<"):
        value = "<" + value
    if not value.endswith(">"):
        value = value + ">"
    if " " in value or value.count("@") != 1:
        raise ValueError(f"bad Message-ID {value!r}")
    return value
