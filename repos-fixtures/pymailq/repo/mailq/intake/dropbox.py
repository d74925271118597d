"""The SMTP drop box: raw RFC 5322 messages that old systems hand to the
local MTA, which pipes them to us one file at a time."""

from __future__ import annotations

import email
import email.policy

from .. import metrics
from ..addresses import normalize_address, parse_address_list
from ..errors import Duplicate, QueueFull, Suppressed, TooLarge, ValidationError
from ..ids import make_message_id, normalize_message_id
from ..message import Message, MessageStatus, Priority

# Headers we rebuild ourselves when the message goes out.
_DROPPED_HEADERS = {"from", "to", "cc", "bcc", "subject", "date", "message-id",
                    "mime-version", "content-type", "content-transfer-encoding", "received"}


def accept_raw(app, raw: str, envelope_to: list[str] | None = None) -> Message:
    settings = app.settings
    if len(raw.encode("utf-8", "replace")) > settings.max_message_bytes:
        raise TooLarge(f"message is larger than {settings.max_message_bytes} bytes")
    parsed = email.message_from_string(raw, policy=email.policy.default)
    try:
        if envelope_to:
            recipients = [normalize_address(r) for r in envelope_to]
        else:
            recipients = parse_address_list(str(parsed.get("To", ""))) + \
                parse_address_list(str(parsed.get("Cc", "")))
    except ValueError as exc:
        raise ValidationError(f"invalid recipient: {exc}", field="to") from None
    unique = []
    for address in recipients:
        if address not in unique:
            unique.append(address)
    recipients = unique
    if not recipients:
        raise ValidationError("no recipient", field="to")
    if len(recipients) > settings.max_recipients:
        raise ValidationError(f"at most {settings.max_recipients} recipients")
    try:
        sender = parse_address_list(str(parsed.get("From", "")))[0]
    except (ValueError, IndexError):
        sender = normalize_address(settings.default_sender)
    subject = str(parsed.get("Subject", "")).strip()
    if len(subject) > settings.max_subject_length:
        subject = subject[: settings.max_subject_length]
    subject = subject.replace("\r", " ").replace("\n", " ")
    if parsed.is_multipart():
        part = parsed.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
    else:
        body = parsed.get_content()
    headers = {name: str(value) for name, value in parsed.items()
               if name.lower() not in _DROPPED_HEADERS}
    if all(app.suppression.is_suppressed(r) for r in recipients):
        raise Suppressed("every recipient is on the suppression list", recipients=recipients)

    now = app.clock.now()
    spool_id = app.ids.next_id()
    raw_id = str(parsed.get("Message-ID", "")).strip()
    try:
        message_id = normalize_message_id(raw_id) if raw_id else \
            make_message_id(spool_id, now, settings.hostname)
    except ValueError:
        message_id = make_message_id(spool_id, now, settings.hostname)
    priority = Priority.URGENT if str(parsed.get("X-Priority", "")).startswith("1") \
        else Priority.NORMAL
    message = Message(id=spool_id, message_id=message_id, sender=sender,
                      recipients=recipients, subject=subject, body=body, created_at=now,
                      headers=headers, priority=priority, source="smtp")
    if not app.dedup.register(message_id):
        metrics.incr("intake.duplicate", source="smtp")
        raise Duplicate(f"message {message_id} was already accepted")
    app.spool.add(message)
    try:
        app.queue.put(message.id, message.priority, block=False)
    except QueueFull:
        app.spool.transition(message.id, MessageStatus.DEFERRED,
                             next_attempt_at=now + settings.retry_base_seconds,
                             last_error="queue full")
        app.scheduler.schedule(message.id, now + settings.retry_base_seconds)
    metrics.incr("intake.accepted", source="smtp")
    return app.spool.require(message.id)
