"""Identifier helpers."""

import itertools
import secrets
import string

_ALPHABET = string.ascii_uppercase + string.digits
_counter = itertools.count(1)  # process-wide, only used for log correlation


def new_token(nbytes: int = 24) -> str:
    return secrets.token_urlsafe(nbytes)


def short_code(length: int = 8) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def correlation_id() -> str:
    return f"req-{next(_counter):08d}"


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0
