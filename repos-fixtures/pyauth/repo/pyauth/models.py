"""Plain data objects passed between the layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class User:
    id: int
    email: str
    password_hash: str
    display_name: str = ""
    roles: tuple = ("user",)
    active: bool = True
    created_at: float = 0.0
    password_changed_at: float = 0.0

    def public(self) -> dict:
        return {
            "id": self.id,
            "email": self.email,
            "display_name": self.display_name,
            "roles": list(self.roles),
            "active": self.active,
        }

    @classmethod
    def from_row(cls, row: dict) -> "User":
        return cls(
            id=row["id"],
            email=row["email"],
            password_hash=row["password_hash"],
            display_name=row.get("display_name", ""),
            roles=tuple(row.get("roles", ("user",))),
            active=row.get("active", True),
            created_at=row.get("created_at", 0.0),
            password_changed_at=row.get("password_changed_at", 0.0),
        )


@dataclass(frozen=True)
class Session:
    id: str
    user_id: int
    created_at: float
    expires_at: float
    remote_addr: str = ""

    def is_expired(self, now: float) -> bool:
        return now >= self.expires_at

    def public(self) -> dict:
        return {
            "id": self.id[:8] + "...",
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "remote_addr": self.remote_addr,
        }


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    label: str
    digest: str
    prefix: str
    created_at: float
    last_used_at: Optional[float] = None
    revoked: bool = False

    def public(self) -> dict:
        return {
            "id": self.id,
            "label": self.label,
            "prefix": self.prefix,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
        }

    @classmethod
    def from_row(cls, row: dict) -> "ApiToken":
        return cls(**{k: row[k] for k in (
            "id", "user_id", "label", "digest", "prefix", "created_at", "last_used_at", "revoked")})


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: float
    action: str
    user_id: Optional[int] = None
    details: dict = field(default_factory=dict)
