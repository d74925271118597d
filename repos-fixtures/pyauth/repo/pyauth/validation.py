"""Input validation shared by the handlers."""

from __future__ import annotations

import re

from .errors import ValidationError

_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_MAX_EMAIL = 254


def normalize_email(email: str) -> str:
    if not isinstance(email, str):
        return ""
    return email.strip().lower()


def validate_email(email: str) -> str:
    email = normalize_email(email)
    if not email or len(email) > _MAX_EMAIL or not _EMAIL_RE.match(email):
        raise ValidationError("invalid e-mail address")
    return email


def validate_password(password: str, min_length: int, email: str = "") -> str:
    if not isinstance(password, str) or len(password) < min_length:
        raise ValidationError(f"password must have at least {min_length} characters")
    if password.isdigit():
        raise ValidationError("password must not be only digits")
    local = normalize_email(email).split("@", 1)[0]
    if local and local in password.lower():
        raise ValidationError("password must not contain the e-mail name")
    return password


def validate_display_name(name) -> str:
    if name is None:
        return ""
    if not isinstance(name, str):
        raise ValidationError("display_name must be a string")
    name = " ".join(name.split())
    if len(name) > 80:
        raise ValidationError("display_name is too long")
    return name


def require_fields(data: dict, *names: str) -> list:
    missing = [n for n in names if not data.get(n)]
    if missing:
        raise ValidationError("missing field(s): " + ", ".join(missing))
    return [data[n] for n in names]
