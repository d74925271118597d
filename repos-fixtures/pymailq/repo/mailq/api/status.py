"""Read-only endpoints: message status, listings and statistics."""

from __future__ import annotations

from .. import metrics
from ..errors import NotFound, ValidationError
from ..message import MessageStatus
from .http import Request, Response


def _spool_id(request: Request) -> int:
    try:
        return int(request.params["id"])
    except (KeyError, ValueError):
        raise NotFound("no such message") from None


def get_message(app, request: Request) -> Response:
    return Response.ok(app.spool.require(_spool_id(request)).public())


def list_messages(app, request: Request) -> Response:
    args = request.args()
    status = None
    if "status" in args:
        try:
            status = MessageStatus(args["status"])
        except ValueError:
            raise ValidationError(f"unknown status {args['status']!r}", field="status") from None
    try:
        limit = int(args.get("limit", "50"))
        offset = int(args.get("offset", "0"))
    except ValueError:
        raise ValidationError("limit and offset must be integers") from None
    if not 1 <= limit <= 500 or offset < 0:
        raise ValidationError("limit must be 1-500 and offset not negative")
    messages = app.spool.list(status=status, limit=limit, offset=offset)
    return Response.ok({"messages": [m.public() for m in messages], "limit": limit,
                        "offset": offset})


def stats(app, request: Request) -> Response:
    snap = metrics.snapshot()
    return Response.ok({
        "spool": app.spool.counts(),
        "queue": {"length": len(app.queue), "capacity": app.queue.capacity},
        "deferred": len(app.scheduler.pending()),
        "suppressed": len(app.suppression),
        "counters": snap["counters"],
    })


def health(app, request: Request) -> Response:
    return Response.ok({"status": "ok" if not app.queue.closed else "stopping",
                        "workers": app.workers.alive()})
