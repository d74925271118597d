"""Structured in-memory log used by the request middleware and the jobs.

Production ships these records to the log collector; locally they are only
kept in a bounded buffer.
"""

import threading
from collections import deque


class RequestLog:
    def __init__(self, capacity: int = 1000):
        self._records = deque(maxlen=capacity)
        self._lock = threading.Lock()

    def write(self, **record) -> None:
        with self._lock:
            self._records.append(dict(record))

    def records(self, **where) -> list:
        with self._lock:
            rows = list(self._records)
        return [r for r in rows if all(r.get(k) == v for k, v in where.items())]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
