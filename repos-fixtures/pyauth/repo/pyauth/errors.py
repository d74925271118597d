"""Exceptions raised by the service.  ``status``/``code`` map them to HTTP errors."""

from __future__ import annotations


class PyAuthError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str = "", **extra):
        super().__init__(message or self.code)
        self.message = message or self.code
        self.extra = extra


class ValidationError(PyAuthError):
    status = 400
    code = "invalid_request"


class InvalidCredentials(PyAuthError):
    status = 401
    code = "invalid_credentials"


class Unauthorized(PyAuthError):
    status = 401
    code = "unauthorized"


class AccountDisabled(PyAuthError):
    status = 403
    code = "account_disabled"


class Forbidden(PyAuthError):
    status = 403
    code = "forbidden"


class NotFound(PyAuthError):
    status = 404
    code = "not_found"


class Conflict(PyAuthError):
    status = 409
    code = "conflict"


class TooManyAttempts(PyAuthError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str = "", retry_after: float = 0.0):
        super().__init__(message or "too many failed attempts", retry_after=int(retry_after))
        self.retry_after = retry_after


class IntegrityError(PyAuthError):
    """Raised by the table store on a unique constraint violation."""

    status = 409
    code = "conflict"
