"""User accounts."""

from __future__ import annotations

from typing import Optional

from .clock import Clock
from .db import Database
from .errors import Conflict, IntegrityError, NotFound
from .models import User
from .roles import KNOWN_ROLES
from .validation import normalize_email


class UserRepository:
    def __init__(self, db: Database, clock: Clock):
        self._table = db.table("users")
        self._clock = clock

    def create(self, email: str, password_hash: str, display_name: str = "",
               roles=("user",)) -> User:
        unknown = set(roles) - KNOWN_ROLES
        if unknown:
            raise ValueError(f"unknown role(s): {sorted(unknown)}")
        now = self._clock.now()
        try:
            user_id = self._table.insert({
                "email": normalize_email(email),
                "password_hash": password_hash,
                "display_name": display_name,
                "roles": tuple(roles),
                "active": True,
                "created_at": now,
                "password_changed_at": now,
            })
        except IntegrityError:
            raise Conflict("an account with this e-mail already exists") from None
        return self.get(user_id)

    def get(self, user_id: int) -> Optional[User]:
        row = self._table.get(user_id)
        return User.from_row(row) if row else None

    def require(self, user_id: int) -> User:
        user = self.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        return user

    def find_by_email(self, email: str) -> Optional[User]:
        row = self._table.find_one(email=normalize_email(email))
        return User.from_row(row) if row else None

    def list(self, active: Optional[bool] = None) -> list:
        rows = self._table.all() if active is None else self._table.find(active=active)
        return [User.from_row(r) for r in sorted(rows, key=lambda r: r["id"])]

    def set_password_hash(self, user_id: int, password_hash: str) -> User:
        self.require(user_id)
        row = self._table.update(user_id, password_hash=password_hash,
                                 password_changed_at=self._clock.now())
        return User.from_row(row)

    def upgrade_hash(self, user_id: int, password_hash: str) -> User:
        """Store a re-hashed password without touching password_changed_at."""
        self.require(user_id)
        return User.from_row(self._table.update(user_id, password_hash=password_hash))

    def set_active(self, user_id: int, active: bool) -> User:
        self.require(user_id)
        return User.from_row(self._table.update(user_id, active=bool(active)))

    def update_profile(self, user_id: int, display_name: str) -> User:
        self.require(user_id)
        return User.from_row(self._table.update(user_id, display_name=display_name))

    def grant_role(self, user_id: int, role: str) -> User:
        if role not in KNOWN_ROLES:
            raise ValueError(f"unknown role {role!r}")
        user = self.require(user_id)
        roles = tuple(sorted(set(user.roles) | {role}))
        return User.from_row(self._table.update(user_id, roles=roles))

    def revoke_role(self, user_id: int, role: str) -> User:
        user = self.require(user_id)
        roles = tuple(r for r in user.roles if r != role) or ("user",)
        return User.from_row(self._table.update(user_id, roles=roles))
