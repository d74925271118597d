"""Deferred messages wait here until their retry time, then go back into
the outbound queue."""

from __future__ import annotations

import heapq
import threading

from . import metrics
from .errors import Conflict, QueueClosed, QueueFull
from .message import MessageStatus


def backoff_delay(settings, attempts: int) -> float:
    """Seconds to wait before attempt number attempts+1."""
    if attempts < 1:
        attempts = 1
    delay = settings.retry_base_seconds * (2 ** (attempts - 1))
    if delay > settings.retry_max_seconds:
        delay = settings.retry_max_seconds
    return delay


class RetryScheduler:
    def __init__(self, spool, queue, clock, settings):
        self._spool = spool
        self._queue = queue
        self._clock = clock
        self._settings = settings
        self._heap: list[tuple[float, int]] = []
        self._due: dict[int, float] = {}
        self._lock = threading.Lock()
        self._thread = None
        self._stop = threading.Event()

    def schedule(self, spool_id: int, due_at: float) -> None:
        with self._lock:
            self._due[spool_id] = due_at
            heapq.heappush(self._heap, (due_at, spool_id))

    def defer(self, message, reason: str, code: int | None = None,
              not_before: float = 0.0):
        """Mark `message` deferred after a failed attempt and schedule its retry.
        Returns the updated message (FAILED once attempts are used up)."""
        if message.attempts >= self._settings.retry_max_attempts:
            metrics.incr("delivery.gave_up")
            return self._spool.transition(message.id, MessageStatus.FAILED,
                                          last_error=reason, last_code=code,
                                          next_attempt_at=None)
        delay = max(backoff_delay(self._settings, message.attempts), not_before)
        due_at = self._clock.now() + delay
        updated = self._spool.transition(message.id, MessageStatus.DEFERRED,
                                         last_error=reason, last_code=code,
                                         next_attempt_at=due_at)
        self.schedule(message.id, due_at)
        metrics.incr("delivery.deferred")
        return updated

    def cancel(self, spool_id: int) -> bool:
        with self._lock:
            return self._due.pop(spool_id, None) is not None

    def pending(self) -> list[tuple[int, float]]:
        with self._lock:
            return sorted(self._due.items(), key=lambda item: (item[1], item[0]))

    def release_due(self) -> list[int]:
        """Move every message whose time has come back into the queue."""
        now = self._clock.now()
        ready = []
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                due_at, spool_id = heapq.heappop(self._heap)
                if self._due.get(spool_id) != due_at:
                    continue  # cancelled or rescheduled since
                del self._due[spool_id]
                ready.append(spool_id)
        released = []
        for spool_id in ready:
            try:
                message = self._spool.transition(spool_id, MessageStatus.QUEUED,
                                                 next_attempt_at=None)
            except Conflict:
                continue  # cancelled meanwhile
            try:
                self._queue.put(spool_id, message.priority, block=False)
            except (QueueFull, QueueClosed):
                # Try again a little later rather than lose it.
                self._spool.transition(spool_id, MessageStatus.DEFERRED,
                                       next_attempt_at=now + self._settings.retry_base_seconds)
                self.schedule(spool_id, now + self._settings.retry_base_seconds)
                continue
            released.append(spool_id)
        if released:
            metrics.incr("scheduler.released", len(released))
        return released

    def _run(self, poll: float) -> None:
        while not self._stop.wait(poll):
            self.release_due()

    def start(self, poll: float = 1.0) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(poll,), name="retry-scheduler",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=5)
