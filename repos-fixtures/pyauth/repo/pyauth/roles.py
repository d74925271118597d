"""Roles and the permissions they grant."""

from __future__ import annotations

from .errors import Forbidden

ROLE_PERMISSIONS = {
    "user": frozenset({"profile:read", "profile:write", "tokens:manage"}),
    "support": frozenset({"profile:read", "users:read", "audit:read"}),
    "admin": frozenset({
        "profile:read", "profile:write", "tokens:manage",
        "users:read", "users:write", "audit:read", "export:run",
    }),
    # Machine account used by the nightly export job.
    "exporter": frozenset({"export:run", "users:read"}),
}

KNOWN_ROLES = frozenset(ROLE_PERMISSIONS)


def permissions_for(roles) -> frozenset:
    perms = set()
    for role in roles:
        perms |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(perms)


def has_permission(user, permission: str) -> bool:
    return permission in permissions_for(user.roles)


def require_permission(user, permission: str) -> None:
    if not has_permission(user, permission):
        raise Forbidden(f"missing permission {permission}")
