"""Audit trail of security-relevant events."""

from __future__ import annotations

from typing import Optional

from .clock import Clock
from .db import Database
from .models import AuditEvent


class AuditLog:
    def __init__(self, db: Database, clock: Clock):
        self._table = db.table("audit_log")
        self._clock = clock

    def record(self, action: str, user_id: Optional[int] = None, **details) -> AuditEvent:
        at = self._clock.now()
        event_id = self._table.insert({"at": at, "action": action, "user_id": user_id,
                                       "details": dict(details)})
        return AuditEvent(id=event_id, at=at, action=action, user_id=user_id, details=dict(details))

    def events(self, action: Optional[str] = None, user_id: Optional[int] = None) -> list:
        criteria = {}
        if action is not None:
            criteria["action"] = action
        if user_id is not None:
            criteria["user_id"] = user_id
        rows = sorted(self._table.find(**criteria), key=lambda r: r["id"])
        return [AuditEvent(id=r["id"], at=r["at"], action=r["action"], user_id=r["user_id"],
                           details=r["details"]) for r in rows]

    def last(self, n: int = 20) -> list:
        return self.events()[-n:]

    def actions(self) -> list:
        return [e.action for e in self.events()]
