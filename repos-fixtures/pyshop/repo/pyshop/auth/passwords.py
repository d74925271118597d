"""PBKDF2 password hashes: ``pbkdf2_sha256$<iterations>$<salt>$<hex digest>``."""

import hashlib
import hmac
import secrets

ALGORITHM = "pbkdf2_sha256"


def hash_password(password: str, *, iterations: int = 1000, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return f"{ALGORITHM}${iterations}${salt}${digest}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algorithm, iterations, salt, digest = stored.split("$")
        iterations = int(iterations)
    except (AttributeError, ValueError):
        return False
    if algorithm != ALGORITHM:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations).hex()
    return hmac.compare_digest(candidate, digest)
