"""The message model kept in the spool."""

from __future__ import annotations

import dataclasses
import enum
from typing import Optional


class MessageStatus(str, enum.Enum):
    QUEUED = "queued"          # waiting in the outbound queue
    SENDING = "sending"        # a worker has it
    DEFERRED = "deferred"      # temporary failure, waiting for its retry time
    DELIVERED = "delivered"
    BOUNCED = "bounced"        # permanent failure, a bounce was generated
    FAILED = "failed"          # gave up after too many attempts
    CANCELLED = "cancelled"    # withdrawn by an operator

    @property
    def final(self) -> bool:
        return self in (MessageStatus.DELIVERED, MessageStatus.BOUNCED,
                        MessageStatus.FAILED, MessageStatus.CANCELLED)


class Priority(enum.IntEnum):
    BULK = 0
    NORMAL = 1
    URGENT = 2


@dataclasses.dataclass
class Message:
    id: int
    message_id: str                      # the Message-ID header, used for de-duplication
    sender: str
    recipients: list
    subject: str
    body: str
    created_at: float
    headers: dict = dataclasses.field(default_factory=dict)
    status: MessageStatus = MessageStatus.QUEUED
    priority: Priority = Priority.NORMAL
    attempts: int = 0
    next_attempt_at: Optional[float] = None
    last_error: Optional[str] = None
    last_code: Optional[int] = None
    delivered_at: Optional[float] = None
    source: str = "api"                  # api | batch | smtp | bounce
    tags: tuple = ()

    def size(self) -> int:
        size = len(self.subject.encode("utf-8")) + len(self.body.encode("utf-8"))
        for name, value in self.headers.items():
            size += len(name) + len(str(value)) + 4
        return size

    def copy(self, **changes) -> "Message":
        copied = dataclasses.replace(self, **changes)
        copied.recipients = list(copied.recipients)
        copied.headers = dict(copied.headers)
        return copied

    def public(self) -> dict:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "from": self.sender,
            "to": list(self.recipients),
            "subject": self.subject,
            "status": self.status.value,
            "priority": self.priority.name.lower(),
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "last_error": self.last_error,
            "last_code": self.last_code,
            "delivered_at": self.delivered_at,
            "created_at": self.created_at,
            "source": self.source,
            "tags": list(self.tags),
        }
