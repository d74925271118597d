"""Transactional e-mail outbox.

Messages are rendered and stored in the ``outbox`` table when the business
event happens; the mailer job delivers them later.
"""

from .templates import render

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


class EmailOutbox:
    def __init__(self, db, clock, sender: str = "orders@pyshop.test"):
        self._table = db.table("outbox")
        self._clock = clock
        self.sender = sender

    def enqueue(self, to: str, template: str, **context) -> dict:
        subject, body = render(template, **context)
        return self._table.insert({
            "to": to, "sender": self.sender, "template": template, "subject": subject,
            "body": body, "status": PENDING, "attempts": 0, "queued_at": self._clock.now(),
            "sent_at": None,
        })

    def pending(self) -> list:
        return self._table.find(status=PENDING)

    def mark_sent(self, message_id: int) -> None:
        self._table.update(message_id, status=SENT, sent_at=self._clock.now())

    def mark_failed(self, message_id: int, error: str) -> None:
        row = self._table.get(message_id)
        attempts = (row["attempts"] if row else 0) + 1
        status = FAILED if attempts >= 3 else PENDING
        self._table.update(message_id, attempts=attempts, status=status, last_error=error)

    def messages_for(self, to: str, template: str | None = None) -> list:
        rows = self._table.find(to=to)
        return [r for r in rows if template is None or r["template"] == template]

    def all(self) -> list:
        return self._table.all()
