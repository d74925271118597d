"""The outbound queue between the intake paths and the delivery workers.

A bounded FIFO of spool ids with an urgent lane (password resets, bounces)
that is served first.  Producers block (or get QueueFull) when it is full;
workers block until there is something to deliver or the queue is closed.
Like queue.Queue it counts unfinished items so the application can wait
until everything taken has been handled (join()).
"""

from __future__ import annotations

import collections
import threading
import time

from .errors import QueueClosed, QueueFull
from .message import Priority


class OutboundQueue:
    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._urgent = collections.deque()
        self._items = collections.deque()
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._all_done = threading.Condition(self._lock)
        self._unfinished = 0
        self._closed = False
        self._enqueued_total = 0

    # -- producers -------------------------------------------------------

    def put(self, spool_id: int, priority: Priority = Priority.NORMAL, *,
            block: bool = True, timeout: float | None = None) -> None:
        with self._not_full:
            if self._closed:
                raise QueueClosed("the outbound queue is closed")
            if not block:
                if self._size() >= self._capacity:
                    raise QueueFull(f"outbound queue is full ({self._capacity})")
            elif timeout is None:
                while self._size() >= self._capacity and not self._closed:
                    self._not_full.wait()
            else:
                deadline = time.monotonic() + timeout
                while self._size() >= self._capacity and not self._closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise QueueFull(f"outbound queue is full ({self._capacity})")
                    self._not_full.wait(remaining)
            if self._closed:
                raise QueueClosed("the outbound queue is closed")
            if priority >= Priority.URGENT:
                self._urgent.append(spool_id)
            else:
                self._items.append(spool_id)
            self._unfinished += 1
            self._enqueued_total += 1
            self._not_empty.notify()

    # -- consumers -------------------------------------------------------

    def get(self, *, block: bool = True, timeout: float | None = None):
        """Next spool id, urgent ones first; None once closed and empty, or
        when the timeout passes."""
        with self._not_empty:
            if block:
                deadline = None if timeout is None else time.monotonic() + timeout
                while not self._size() and not self._closed:
                    if deadline is None:
                        self._not_empty.wait()
                    else:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return None
                        self._not_empty.wait(remaining)
            if not self._size():
                return None
            if self._urgent:
                # Urgent ids take a slot like any other: free it.
                spool_id = self._urgent.popleft()
                self._not_full.notify()
                return spool_id
            spool_id = self._items.popleft()
            self._not_full.notify()
            return spool_id

    def task_done(self) -> None:
        with self._lock:
            if self._unfinished <= 0:
                raise ValueError("task_done() called too many times")
            self._unfinished -= 1
            if self._unfinished == 0:
                self._all_done.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every queued id has been taken and marked done."""
        with self._all_done:
            if timeout is None:
                while self._unfinished:
                    self._all_done.wait()
                return True
            deadline = time.monotonic() + timeout
            while self._unfinished:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._all_done.wait(remaining)
            return True

    # -- administration ---------------------------------------------------

    def remove(self, spool_id: int) -> bool:
        """Take a queued id out (cancelled message).  False if it is not queued."""
        with self._lock:
            for lane in (self._urgent, self._items):
                try:
                    lane.remove(spool_id)
                except ValueError:
                    continue
                self._unfinished -= 1
                if self._unfinished == 0:
                    self._all_done.notify_all()
                self._not_full.notify()
                return True
            return False

    def drain(self) -> list:
        """Remove and return everything queued (operator purge)."""
        with self._lock:
            drained = list(self._urgent) + list(self._items)
            self._urgent.clear()
            self._items.clear()
            self._unfinished -= len(drained)
            if self._unfinished == 0:
                self._all_done.notify_all()
            self._not_full.notify_all()
            return drained

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._not_empty.notify_all()
            self._not_full.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def capacity(self) -> int:
        return self._capacity

    def _size(self) -> int:
        return len(self._urgent) + len(self._items)

    def __len__(self) -> int:
        with self._lock:
            return self._size()

    def snapshot(self) -> dict:
        with self._lock:
            return {"urgent": list(self._urgent), "normal": list(self._items),
                    "unfinished": self._unfinished, "capacity": self._capacity,
                    "closed": self._closed, "enqueued_total": self._enqueued_total}
