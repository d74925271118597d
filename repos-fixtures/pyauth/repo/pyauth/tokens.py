"""Personal API tokens for integrations.

The plaintext token is shown once, at creation; only its SHA-256 digest is
stored.  Tokens look like ``pat_<random>`` and are sent as
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Optional

from .clock import Clock
from .db import Database
from .errors import Conflict
from .models import ApiToken


def token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def generate_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


class ApiTokenRepository:
    def __init__(self, db: Database, clock: Clock, max_per_user: int = 10):
        self._table = db.table("api_tokens")
        self._clock = clock
        self._max_per_user = max_per_user

    def issue(self, user_id: int, label: str, prefix: str = "pat_") -> tuple:
        """Create a token; returns ``(ApiToken, plaintext)``."""
        with self._table.locked():
            if self._table.count(user_id=user_id, revoked=False) >= self._max_per_user:
                raise Conflict("too many API tokens; revoke one first")
            plaintext = generate_token(prefix)
            token_id = self._table.insert({
                "user_id": user_id,
                "label": label,
                "digest": token_digest(plaintext),
                "prefix": plaintext[: len(prefix) + 4],
                "created_at": self._clock.now(),
                "last_used_at": None,
                "revoked": False,
            })
        return ApiToken.from_row(self._table.get(token_id)), plaintext

    def find_active(self, plaintext: Optional[str]) -> Optional[ApiToken]:
        if not plaintext:
            return None
        row = self._table.find_one(digest=token_digest(plaintext), revoked=False)
        return ApiToken.from_row(row) if row else None

    def mark_used(self, token_id: int) -> None:
        self._table.update(token_id, last_used_at=self._clock.now())

    def list_for_user(self, user_id: int) -> list:
        rows = sorted(self._table.find(user_id=user_id, revoked=False), key=lambda r: r["id"])
        return [ApiToken.from_row(r) for r in rows]

    def revoke(self, token_id: int, user_id: int) -> bool:
        with self._table.locked():
            row = self._table.get(token_id)
            if row is None or row["user_id"] != user_id or row["revoked"]:
                return False
            self._table.update(token_id, revoked=True)
            return True

    def revoke_all_for_user(self, user_id: int) -> int:
        with self._table.locked():
            rows = self._table.find(user_id=user_id, revoked=False)
            for row in rows:
                self._table.update(row["id"], revoked=True)
            return len(rows)
