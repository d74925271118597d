"""POST /messages and POST /messages/template: the main intake path."""

from __future__ import annotations

from .. import metrics
from ..addresses import normalize_address, parse_mailbox
from ..errors import Duplicate, QueueFull, Suppressed, TooLarge, ValidationError
from ..ids import make_message_id, normalize_message_id
from ..message import Message, MessageStatus, Priority
from .http import Request, Response

_PRIORITIES = {"bulk": Priority.BULK, "normal": Priority.NORMAL, "urgent": Priority.URGENT}


def _check_recipients(app, raw) -> list[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise ValidationError("to must be an address or a non-empty list of addresses")
    if len(raw) > app.settings.max_recipients:
        raise ValidationError(f"at most {app.settings.max_recipients} recipients")
    recipients = []
    for item in raw:
        try:
            address = parse_mailbox(item)[1] if isinstance(item, str) else None
        except ValueError:
            address = None
        if address is None:
            raise ValidationError(f"invalid recipient {item!r}", field="to")
        if address not in recipients:
            recipients.append(address)
    return recipients


def _accept(app, data: dict, subject: str, body: str) -> Message:
    settings = app.settings
    recipients = _check_recipients(app, data.get("to"))
    sender = data.get("from") or settings.default_sender
    try:
        sender = normalize_address(sender)
    except (ValueError, AttributeError):
        raise ValidationError(f"invalid sender {sender!r}", field="from") from None
    if not isinstance(subject, str) or len(subject) > settings.max_subject_length:
        raise ValidationError(f"subject must be a string of at most "
                              f"{settings.max_subject_length} characters", field="subject")
    if "\n" in subject or "\r" in subject:
        raise ValidationError("subject must be a single line", field="subject")
    if not isinstance(body, str):
        raise ValidationError("body must be a string", field="body")
    headers = data.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in headers.items()):
        raise ValidationError("headers must map names to strings", field="headers")
    priority = _PRIORITIES.get(data.get("priority", "normal"))
    if priority is None:
        raise ValidationError("priority must be bulk, normal or urgent", field="priority")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValidationError("tags must be a list of strings", field="tags")

    blocked = [r for r in recipients if app.suppression.is_suppressed(r)]
    if blocked and len(blocked) == len(recipients):
        raise Suppressed("every recipient is on the suppression list", recipients=blocked)

    now = app.clock.now()
    spool_id = app.ids.next_id()
    if data.get("message_id"):
        try:
            message_id = normalize_message_id(data["message_id"])
        except ValueError as exc:
            raise ValidationError(str(exc), field="message_id") from None
    else:
        message_id = make_message_id(spool_id, now, settings.hostname)
    message = Message(id=spool_id, message_id=message_id, sender=sender,
                      recipients=recipients, subject=subject, body=body, created_at=now,
                      headers=dict(headers), priority=priority, source="api",
                      tags=tuple(tags))
    if message.size() > settings.max_message_bytes:
        raise TooLarge(f"message is larger than {settings.max_message_bytes} bytes")
    if not app.dedup.register(message_id):
        metrics.incr("intake.duplicate", source="api")
        existing = app.spool.find_by_message_id(message_id)
        raise Duplicate(f"message {message_id} was already accepted",
                        id=existing.id if existing else None)
    app.spool.add(message)
    try:
        app.queue.put(message.id, message.priority, block=False)
    except QueueFull:
        # Keep it: the scheduler will pick it up again once there is room.
        app.spool.transition(message.id, MessageStatus.DEFERRED,
                             next_attempt_at=now + settings.retry_base_seconds,
                             last_error="queue full")
        app.scheduler.schedule(message.id, now + settings.retry_base_seconds)
        metrics.incr("intake.deferred_queue_full")
    metrics.incr("intake.accepted", source="api")
    return app.spool.require(message.id)


def submit(app, request: Request) -> Response:
    data = request.json()
    subject = data.get("subject", "")
    body = data.get("body", "")
    message = _accept(app, data, subject, body)
    return Response.ok(message.public(), status=202, Location=f"/messages/{message.id}")


def submit_template(app, request: Request) -> Response:
    data = request.json()
    name = data.get("template")
    if not isinstance(name, str) or not name:
        raise ValidationError("template is required", field="template")
    context = data.get("context") or {}
    if not isinstance(context, dict):
        raise ValidationError("context must be an object", field="context")
    subject, body = app.templates.render(name, context)
    message = _accept(app, data, subject, body)
    return Response.ok(message.public(), status=202, Location=f"/messages/{message.id}")
