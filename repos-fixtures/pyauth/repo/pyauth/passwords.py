"""Password hashing.

Current format:  ``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``
Legacy format (accounts created before 2016, still verified, upgraded on the
next successful sign-in):  ``sha256$<salt>$<hex digest of salt + password>``
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALGORITHM = "pbkdf2_sha256"
LEGACY_ALGORITHM = "sha256"
DEFAULT_ITERATIONS = 260_000
SALT_BYTES = 16


def hash_password(password: str, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None) -> str:
    if not isinstance(password, str):
        raise TypeError("password must be a string")
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def legacy_hash(password: str, salt: str) -> str:
    """The pre-2016 scheme.  Only used by migrations and tests."""
    digest = hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
    return f"{LEGACY_ALGORITHM}${salt}${digest}"


def _split(encoded: str):
    if not isinstance(encoded, str):
        return None
    parts = encoded.split("$")
    if parts[0] == ALGORITHM and len(parts) == 4:
        return parts
    if parts[0] == LEGACY_ALGORITHM and len(parts) == 3:
        return parts
    return None


def verify_password(password: str, encoded: str) -> bool:
    """True if ``password`` matches ``encoded``.  Malformed hashes never match."""
    if not isinstance(password, str):
        return False
    parts = _split(encoded)
    if parts is None:
        return False
    if parts[0] == LEGACY_ALGORITHM:
        _, salt, expected = parts
        actual = hashlib.sha256((salt + password).encode("utf-8")).hexdigest()
        return hmac.compare_digest(actual, expected)
    _, iterations, salt_hex, expected = parts
    try:
        rounds = int(iterations)
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    actual = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, rounds).hex()
    return hmac.compare_digest(actual, expected)


def needs_rehash(encoded: str, iterations: int = DEFAULT_ITERATIONS) -> bool:
    """True for legacy hashes and for PBKDF2 hashes weaker than ``iterations``."""
    parts = _split(encoded)
    if parts is None or parts[0] == LEGACY_ALGORITHM:
        return True
    try:
        return int(parts[1]) < iterations
    except ValueError:
        return True


# A hash nobody's password matches; verified against when the e-mail is unknown
# so that "no such user" and "wrong password" take comparable time.
DUMMY_HASH = hash_password("not-a-real-password", iterations=1_000, salt=b"\x00" * SALT_BYTES)
