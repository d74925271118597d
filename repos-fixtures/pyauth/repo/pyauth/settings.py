"""Service configuration.

Values are read once at start-up by the front end and passed to
``Application``; the tests build their own ``Settings`` with cheap hashing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Settings:
    # Browser sessions.
    session_ttl_seconds: int = 8 * 3600
    cookie_name: str = "sid"
    secure_cookies: bool = True

    # Passwords.
    pbkdf2_iterations: int = 260_000
    min_password_length: int = 10

    # Failed sign-in handling.
    login_max_attempts: int = 5
    login_lockout_seconds: int = 15 * 60

    # Password reset.
    reset_ticket_ttl_seconds: int = 30 * 60
    reset_link_base: str = "https://portal.example.com/reset"

    # API tokens.
    api_token_prefix: str = "pat_"
    max_api_tokens_per_user: int = 10

    def override(self, **changes) -> "Settings":
        return replace(self, **changes)


DEFAULT_SETTINGS = Settings()


def _coerce(raw: str, current):
    if isinstance(current, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(current, int):
        return int(raw)
    return raw


def settings_from_env(environ=None, prefix: str = "PYAUTH_") -> Settings:
    """Build settings from ``PYAUTH_<FIELD>`` environment variables."""
    environ = os.environ if environ is None else environ
    changes = {}
    for f in fields(Settings):
        key = prefix + f.name.upper()
        if key in environ:
            changes[f.name] = _coerce(environ[key], getattr(DEFAULT_SETTINGS, f.name))
    return DEFAULT_SETTINGS.override(**changes)
