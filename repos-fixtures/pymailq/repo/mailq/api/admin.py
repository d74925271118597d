"""Operator endpoints (X-Admin-Token header): retry, cancel, purge,
suppression management."""

from __future__ import annotations

import hmac

from .. import metrics
from ..errors import Conflict, Forbidden, NotFound, QueueFull, Unauthorized, ValidationError
from ..message import MessageStatus
from .http import Request, Response


def _require_admin(app, request: Request) -> str:
    token = request.header("X-Admin-Token")
    if not token:
        raise Unauthorized("admin token required")
    if not hmac.compare_digest(token, app.settings.admin_token):
        raise Forbidden("bad admin token")
    return request.header("X-Operator", "unknown") or "unknown"


def _spool_id(request: Request) -> int:
    try:
        return int(request.params["id"])
    except (KeyError, ValueError):
        raise NotFound("no such message") from None


def retry_message(app, request: Request) -> Response:
    """Put a failed or deferred message back into the queue now.  The attempt
    counter is kept, so a message that failed for good gets one more try."""
    operator = _require_admin(app, request)
    spool_id = _spool_id(request)
    message = app.spool.require(spool_id)
    if message.status not in (MessageStatus.FAILED, MessageStatus.DEFERRED):
        raise Conflict(f"message {spool_id} is {message.status.value}", status=message.status.value)
    app.scheduler.cancel(spool_id)
    if message.attempts >= app.settings.retry_max_attempts:
        # One more attempt is allowed after an operator retry.
        app.spool.update(spool_id, attempts=app.settings.retry_max_attempts - 1)
    message = app.spool.transition(spool_id, MessageStatus.QUEUED, next_attempt_at=None,
                                   last_error=None)
    try:
        app.queue.put(spool_id, message.priority, block=False)
    except QueueFull:
        # Retry when there is room; same back-off as a failed delivery.
        delay = app.settings.retry_base_seconds * max(1, message.attempts)
        due_at = app.clock.now() + min(delay, app.settings.retry_max_seconds)
        message = app.spool.transition(spool_id, MessageStatus.DEFERRED, next_attempt_at=due_at,
                                       last_error="queue full")
        app.scheduler.schedule(spool_id, due_at)
    app.audit.record("message.retried", operator=operator, id=spool_id)
    metrics.incr("admin.retry")
    return Response.ok(message.public(), status=202)


def cancel_message(app, request: Request) -> Response:
    operator = _require_admin(app, request)
    spool_id = _spool_id(request)
    message = app.spool.require(spool_id)
    if message.status.final:
        raise Conflict(f"message {spool_id} is {message.status.value}", status=message.status.value)
    if message.status == MessageStatus.SENDING:
        raise Conflict(f"message {spool_id} is being delivered", status="sending")
    app.queue.remove(spool_id)
    app.scheduler.cancel(spool_id)
    message = app.spool.transition(spool_id, MessageStatus.CANCELLED, next_attempt_at=None)
    app.audit.record("message.cancelled", operator=operator, id=spool_id)
    metrics.incr("admin.cancel")
    return Response.ok(message.public())


def purge_queue(app, request: Request) -> Response:
    """Cancel everything that is waiting in the queue (incident response)."""
    operator = _require_admin(app, request)
    drained = app.queue.drain()
    cancelled = 0
    for spool_id in drained:
        try:
            app.spool.transition(spool_id, MessageStatus.CANCELLED, next_attempt_at=None)
            cancelled += 1
        except (Conflict, NotFound):
            continue
    app.audit.record("queue.purged", operator=operator, count=cancelled)
    metrics.incr("admin.purge")
    return Response.ok({"cancelled": cancelled})


def list_suppressions(app, request: Request) -> Response:
    _require_admin(app, request)
    reason = request.args().get("reason")
    return Response.ok({"suppressions": [e.public() for e in app.suppression.entries(reason)]})


def add_suppression(app, request: Request) -> Response:
    operator = _require_admin(app, request)
    data = request.json()
    address = data.get("address")
    reason = data.get("reason", "manual")
    try:
        entry = app.suppression.add(address, reason, note=str(data.get("note", ""))[:200])
    except (ValueError, AttributeError) as exc:
        raise ValidationError(str(exc)) from None
    app.audit.record("suppression.added", operator=operator, address=entry.address,
                     reason=reason)
    return Response.ok(entry.public(), status=201)


def remove_suppression(app, request: Request) -> Response:
    operator = _require_admin(app, request)
    address = request.params.get("address", "")
    try:
        removed = app.suppression.remove(address)
    except ValueError:
        removed = False
    if not removed:
        raise NotFound(f"{address} is not suppressed")
    app.audit.record("suppression.removed", operator=operator, address=address)
    return Response.ok({"removed": address})


def queue_state(app, request: Request) -> Response:
    _require_admin(app, request)
    state = app.queue.snapshot()
    state["pools"] = app.pools.stats()
    state["scheduled"] = [{"id": i, "due_at": due} for i, due in app.scheduler.pending()]
    return Response.ok(state)
