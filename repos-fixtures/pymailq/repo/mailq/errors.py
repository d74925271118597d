"""Exceptions.  API errors carry the HTTP status and a machine readable code
that the handlers put in the response body."""


class MailqError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str = "", **details):
        super().__init__(message or self.code)
        self.message = message or self.code
        self.details = details

    def to_body(self) -> dict:
        body = {"error": self.code, "message": self.message}
        body.update(self.details)
        return body


class ValidationError(MailqError):
    status = 400
    code = "invalid_request"


class Unauthorized(MailqError):
    status = 401
    code = "unauthorized"


class Forbidden(MailqError):
    status = 403
    code = "forbidden"


class NotFound(MailqError):
    status = 404
    code = "not_found"


class MethodNotAllowed(MailqError):
    status = 405
    code = "method_not_allowed"


class Conflict(MailqError):
    status = 409
    code = "conflict"


class Duplicate(Conflict):
    code = "duplicate_message"


class TooLarge(MailqError):
    status = 413
    code = "message_too_large"


class Suppressed(MailqError):
    status = 422
    code = "recipient_suppressed"


class QueueFull(MailqError):
    status = 503
    code = "queue_full"


class QueueClosed(MailqError):
    status = 503
    code = "queue_closed"


class TransportError(MailqError):
    """A transport could not be created or used at all (bad URL, unknown scheme)."""

    code = "transport_error"


class UnknownTransport(TransportError):
    code = "unknown_transport"


class PoolExhausted(TransportError):
    code = "pool_exhausted"
