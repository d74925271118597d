"""The suppression list: addresses we must not send to (hard bounces,
complaints, manual blocks by support)."""

from __future__ import annotations

import threading
from typing import Optional

from .addresses import normalize_address
from .clock import Clock

REASONS = ("hard-bounce", "complaint", "manual", "unsubscribed")


class SuppressionEntry:
    __slots__ = ("address", "reason", "created_at", "note")

    def __init__(self, address: str, reason: str, created_at: float, note: str = ""):
        self.address = address
        self.reason = reason
        self.created_at = created_at
        self.note = note

    def public(self) -> dict:
        return {"address": self.address, "reason": self.reason,
                "created_at": self.created_at, "note": self.note}


class SuppressionList:
    def __init__(self, clock: Clock):
        self._clock = clock
        self._entries: dict[str, SuppressionEntry] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(address: str) -> str:
        # Suppression is case-insensitive on the whole address: some of the
        # mailbox providers we see treat local parts that way and we would
        # rather not send than bounce twice.
        return normalize_address(address).lower()

    def add(self, address: str, reason: str, note: str = "") -> SuppressionEntry:
        if reason not in REASONS:
            raise ValueError(f"unknown suppression reason {reason!r}")
        key = self._key(address)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = SuppressionEntry(key, reason, self._clock.now(), note)
                self._entries[key] = entry
            return entry

    def remove(self, address: str) -> bool:
        with self._lock:
            return self._entries.pop(self._key(address), None) is not None

    def is_suppressed(self, address: str) -> bool:
        try:
            key = self._key(address)
        except ValueError:
            return False
        with self._lock:
            return key in self._entries

    def get(self, address: str) -> Optional[SuppressionEntry]:
        with self._lock:
            return self._entries.get(self._key(address))

    def filter(self, addresses) -> tuple[list[str], list[str]]:
        """Split addresses into (allowed, suppressed)."""
        allowed, suppressed = [], []
        for address in addresses:
            (suppressed if self.is_suppressed(address) else allowed).append(address)
        return allowed, suppressed

    def entries(self, reason: str | None = None) -> list[SuppressionEntry]:
        with self._lock:
            selected = [e for e in self._entries.values() if reason is None or e.reason == reason]
        return sorted(selected, key=lambda e: (e.created_at, e.address))

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
