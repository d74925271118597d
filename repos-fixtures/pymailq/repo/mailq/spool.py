"""The spool: every message we accepted, by spool id, with its status.

In production this sits on top of the spool directory (see spoolfs in the
ops repo); the service itself only uses this in-memory index, which is
rebuilt from disk at start-up.
"""

from __future__ import annotations

import threading
from typing import Iterable, Optional

from .errors import Conflict, NotFound
from .message import Message, MessageStatus

# Which status changes are allowed.  Operators may cancel anything that has
# not reached a final state; a retry puts a failed or deferred message back.
_TRANSITIONS = {
    MessageStatus.QUEUED: {MessageStatus.SENDING, MessageStatus.CANCELLED, MessageStatus.DEFERRED},
    MessageStatus.SENDING: {MessageStatus.DELIVERED, MessageStatus.DEFERRED, MessageStatus.BOUNCED,
                            MessageStatus.FAILED, MessageStatus.QUEUED},
    MessageStatus.DEFERRED: {MessageStatus.QUEUED, MessageStatus.CANCELLED, MessageStatus.FAILED},
    MessageStatus.FAILED: {MessageStatus.QUEUED},
    MessageStatus.BOUNCED: set(),
    MessageStatus.DELIVERED: set(),
    MessageStatus.CANCELLED: set(),
}


class Spool:
    def __init__(self):
        self._messages: dict[int, Message] = {}
        self._lock = threading.RLock()

    def add(self, message: Message) -> Message:
        with self._lock:
            if message.id in self._messages:
                raise Conflict(f"spool id {message.id} is taken")
            self._messages[message.id] = message.copy()
        return message.copy()

    def get(self, spool_id: int) -> Optional[Message]:
        with self._lock:
            message = self._messages.get(spool_id)
            return message.copy() if message else None

    def require(self, spool_id: int) -> Message:
        message = self.get(spool_id)
        if message is None:
            raise NotFound(f"no message {spool_id}")
        return message

    def transition(self, spool_id: int, status: MessageStatus, **fields) -> Message:
        with self._lock:
            message = self._messages.get(spool_id)
            if message is None:
                raise NotFound(f"no message {spool_id}")
            if status != message.status and status not in _TRANSITIONS[message.status]:
                raise Conflict(f"message {spool_id} is {message.status.value}, "
                               f"cannot become {status.value}")
            updated = message.copy(status=status, **fields)
            self._messages[spool_id] = updated
            return updated.copy()

    def update(self, spool_id: int, **fields) -> Message:
        with self._lock:
            message = self._messages.get(spool_id)
            if message is None:
                raise NotFound(f"no message {spool_id}")
            updated = message.copy(**fields)
            self._messages[spool_id] = updated
            return updated.copy()

    def find_by_message_id(self, message_id: str) -> Optional[Message]:
        with self._lock:
            for message in self._messages.values():
                if message.message_id == message_id:
                    return message.copy()
        return None

    def list(self, status: MessageStatus | None = None, limit: int = 100,
             offset: int = 0) -> list[Message]:
        with self._lock:
            selected = [m for m in self._messages.values() if status is None or m.status == status]
        selected.sort(key=lambda m: m.id)
        return [m.copy() for m in selected[offset:offset + limit]]

    def ids(self, statuses: Iterable[MessageStatus]) -> list[int]:
        wanted = set(statuses)
        with self._lock:
            return sorted(m.id for m in self._messages.values() if m.status in wanted)

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in MessageStatus}
        with self._lock:
            for message in self._messages.values():
                counts[message.status.value] += 1
        return counts

    def purge_final(self, before: float) -> int:
        """Forget final messages created before `before` (housekeeping)."""
        with self._lock:
            doomed = [m.id for m in self._messages.values()
                      if m.status.final and m.created_at < before]
            for spool_id in doomed:
                del self._messages[spool_id]
            return len(doomed)

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)
