"""Bounces: telling the sender that a message could not be delivered, and
suppressing addresses that bounce hard."""

from __future__ import annotations

from . import metrics
from .message import Message, MessageStatus, Priority

# Reply codes that mean the mailbox does not exist (and will not tomorrow).
HARD_BOUNCE_CODES = (550, 551, 553, 554)


def is_permanent(code: int) -> bool:
    # 552 (mailbox full) is permanent by RFC but usually clears up: retry it.
    return code >= 500 and code != 552


def is_hard_bounce(code: int) -> bool:
    return code in HARD_BOUNCE_CODES


class BounceProcessor:
    def __init__(self, spool, queue, suppression, templates, ids, clock, settings):
        self._spool = spool
        self._queue = queue
        self._suppression = suppression
        self._templates = templates
        self._ids = ids
        self._clock = clock
        self._settings = settings

    def bounce(self, message: Message, failures) -> Message | None:
        """Record permanent failures: suppress hard-bounced recipients and send
        the sender a bounce notice (never for a bounce itself, to avoid loops).
        Returns the notice that was queued, if any."""
        failures = [f for f in failures if is_permanent(f.code)]
        if not failures:
            return None
        for failure in failures:
            metrics.incr("bounce.recipient", code=failure.code)
            if self._settings.hard_bounce_suppresses and is_hard_bounce(failure.code):
                self._suppression.add(failure.recipient, "hard-bounce",
                                      note=f"{failure.code} {failure.message}"[:200])
        if message.source == "bounce" or not message.sender or \
                message.sender == self._settings.default_sender:
            return None
        first = failures[0]
        subject, body = self._templates.render("bounce", {
            "hostname": self._settings.hostname,
            "message_id": message.message_id,
            "recipients": ", ".join(f.recipient for f in failures),
            "code": first.code,
            "reason": first.message,
        })
        now = self._clock.now()
        spool_id = self._ids.next_id()
        notice = Message(
            id=spool_id,
            message_id=f"<bounce.{spool_id}.{int(now)}@{self._settings.hostname}>",
            sender=self._settings.default_sender,
            recipients=[message.sender],
            subject=subject,
            body=body,
            created_at=now,
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": message.message_id},
            priority=Priority.URGENT,
            source="bounce",
        )
        self._spool.add(notice)
        self._queue.put(notice.id, notice.priority, block=False)
        metrics.incr("bounce.notice")
        return notice

    def give_up(self, message: Message, reason: str, code: int | None) -> Message:
        """Too many attempts: the message fails and the sender hears about it."""
        updated = self._spool.transition(message.id, MessageStatus.FAILED,
                                         last_error=reason, last_code=code, next_attempt_at=None)
        from .transports.base import DeliveryResult

        self.bounce(message, [DeliveryResult(r, 500, f"gave up: {reason}")
                              for r in message.recipients if not self._suppression.is_suppressed(r)])
        return updated
