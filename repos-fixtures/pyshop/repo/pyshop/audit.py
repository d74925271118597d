"""Audit trail kept in the ``audit`` table."""

from .db.query import order_by


class AuditLog:
    def __init__(self, db, clock):
        self._table = db.table("audit")
        self._clock = clock

    def record(self, actor, action: str, subject: str = "", **details) -> dict:
        return self._table.insert({
            "at": self._clock.now(),
            "actor": str(actor) if actor is not None else "system",
            "action": action,
            "subject": subject,
            "details": details,
        })

    def entries(self, action: str | None = None, subject: str | None = None) -> list:
        rows = self._table.all()
        if action is not None:
            rows = [r for r in rows if r["action"] == action]
        if subject is not None:
            rows = [r for r in rows if r["subject"] == subject]
        return order_by(rows, "at", "id")

    def actions(self) -> list:
        return [r["action"] for r in self.entries()]
