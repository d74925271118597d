"""Password reset tickets (the link e-mailed to the user)."""

from __future__ import annotations

import hashlib
import secrets

from .clock import Clock
from .db import Database
from .errors import ValidationError


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8")).hexdigest()


class ResetTicketRepository:
    def __init__(self, db: Database, clock: Clock, ttl_seconds: float):
        self._table = db.table("reset_tickets")
        self._clock = clock
        self._ttl = ttl_seconds

    def create(self, user_id: int) -> str:
        """Invalidate older tickets of the user and return a new plaintext ticket."""
        ticket = secrets.token_urlsafe(24)
        now = self._clock.now()
        with self._table.locked():
            for row in self._table.find(user_id=user_id, used_at=None):
                self._table.update(row["id"], used_at=now, superseded=True)
            self._table.insert({
                "user_id": user_id,
                "digest": _digest(ticket),
                "created_at": now,
                "expires_at": now + self._ttl,
                "used_at": None,
                "superseded": False,
            })
        return ticket

    def redeem(self, ticket: str) -> int:
        """Mark the ticket used and return its user id; each ticket works once."""
        if not ticket:
            raise ValidationError("missing reset ticket")
        now = self._clock.now()
        with self._table.locked():
            row = self._table.find_one(digest=_digest(ticket))
            if row is None or row["used_at"] is not None:
                raise ValidationError("reset link is invalid or was already used")
            if now >= row["expires_at"]:
                raise ValidationError("reset link has expired")
            self._table.update(row["id"], used_at=now)
            return row["user_id"]

    def pending_for_user(self, user_id: int) -> int:
        now = self._clock.now()
        return sum(1 for r in self._table.find(user_id=user_id, used_at=None) if r["expires_at"] > now)
