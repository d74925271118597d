"""String helpers."""

import re
import unicodedata

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_STRIP.sub("-", text.lower()).strip("-")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def squash_spaces(text: str) -> str:
    return _SPACES.sub(" ", (text or "")).strip()


def truncate(text: str, limit: int, suffix: str = "...") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(suffix))] + suffix


def tokens(text: str) -> list:
    return [t for t in _SLUG_STRIP.split(slugify(text)) if t]
