"""Request validation helpers shared by the handlers."""

import re

from ..errors import ValidationError
from .text import normalize_email

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
SKU_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


def require_fields(body: dict, *names) -> None:
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise ValidationError("missing fields: " + ", ".join(missing), fields=missing)


def valid_email(email: str) -> str:
    email = normalize_email(email)
    if not EMAIL_RE.match(email):
        raise ValidationError("invalid e-mail address", field="email")
    return email


def valid_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < 8:
        raise ValidationError("password must be at least 8 characters", field="password")
    if password.isdigit() or password.isalpha():
        raise ValidationError("password must mix letters and digits", field="password")
    return password


def valid_sku(sku: str) -> str:
    sku = (sku or "").strip().upper()
    if not SKU_RE.match(sku):
        raise ValidationError(f"invalid SKU {sku!r}", field="sku")
    return sku


def positive_int(value, name: str, *, maximum: int | None = None, allow_zero: bool = False) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be an integer", field=name) from None
    if isinstance(value, bool) or (number < 0 if allow_zero else number < 1):
        raise ValidationError(f"{name} must be positive", field=name)
    if maximum is not None and number > maximum:
        raise ValidationError(f"{name} must be at most {maximum}", field=name)
    return number


def money_cents(value, name: str = "amount") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a non-negative number of cents", field=name)
    return value
