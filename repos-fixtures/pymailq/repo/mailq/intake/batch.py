"""The nightly CSV batch import (newsletters, statements).

Columns: to, subject, body[, from][, message_id][, priority]
Rows that fail are reported, not fatal: the import goes on with the next
row.  Batch mail is queued with BULK priority unless the row says otherwise.
"""

from __future__ import annotations

import csv
import dataclasses
import io

from .. import metrics
from ..addresses import normalize_address, parse_mailbox
from ..errors import QueueFull
from ..ids import make_message_id, normalize_message_id
from ..message import Message, MessageStatus, Priority

REQUIRED_COLUMNS = ("to", "subject", "body")


@dataclasses.dataclass
class BatchReport:
    accepted: list = dataclasses.field(default_factory=list)     # spool ids
    duplicates: list = dataclasses.field(default_factory=list)   # line numbers
    rejected: list = dataclasses.field(default_factory=list)     # (line, reason)

    def public(self) -> dict:
        return {"accepted": len(self.accepted), "duplicates": len(self.duplicates),
                "rejected": [{"line": line, "reason": reason} for line, reason in self.rejected]}


def import_csv(app, text: str) -> BatchReport:
    settings = app.settings
    report = BatchReport()
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.rejected.append((1, f"missing columns: {', '.join(missing)}"))
        return report
    for line, row in enumerate(reader, start=2):
        # Recipients: one or more, separated by ';' in this format.
        recipients = []
        bad = None
        for item in (row.get("to") or "").split(";"):
            item = item.strip()
            if not item:
                continue
            try:
                address = parse_mailbox(item)[1]
            except ValueError:
                bad = item
                break
            if address not in recipients:
                recipients.append(address)
        if bad is not None:
            report.rejected.append((line, f"invalid recipient {bad!r}"))
            continue
        if not recipients:
            report.rejected.append((line, "no recipient"))
            continue
        if len(recipients) > settings.max_recipients:
            report.rejected.append((line, f"at most {settings.max_recipients} recipients"))
            continue
        sender = (row.get("from") or "").strip() or settings.default_sender
        try:
            sender = normalize_address(sender)
        except ValueError:
            report.rejected.append((line, f"invalid sender {sender!r}"))
            continue
        subject = row.get("subject") or ""
        if len(subject) > settings.max_subject_length or "\n" in subject or "\r" in subject:
            report.rejected.append((line, "bad subject"))
            continue
        body = (row.get("body") or "").replace("\\n", "\n")
        priority_name = (row.get("priority") or "bulk").strip().lower()
        if priority_name not in ("bulk", "normal", "urgent"):
            report.rejected.append((line, f"bad priority {priority_name!r}"))
            continue
        priority = Priority[priority_name.upper()]
        allowed = [r for r in recipients if not app.suppression.is_suppressed(r)]
        if not allowed:
            report.rejected.append((line, "every recipient is suppressed"))
            continue
        now = app.clock.now()
        spool_id = app.ids.next_id()
        raw_id = (row.get("message_id") or "").strip()
        try:
            message_id = normalize_message_id(raw_id) if raw_id else \
                make_message_id(spool_id, now, settings.hostname)
        except ValueError as exc:
            report.rejected.append((line, str(exc)))
            continue
        message = Message(id=spool_id, message_id=message_id, sender=sender,
                          recipients=recipients, subject=subject, body=body, created_at=now,
                          priority=priority, source="batch")
        if message.size() > settings.max_message_bytes:
            report.rejected.append((line, "message too large"))
            continue
        if not app.dedup.register(message_id):
            metrics.incr("intake.duplicate", source="batch")
            report.duplicates.append(line)
            continue
        app.spool.add(message)
        try:
            app.queue.put(message.id, message.priority, block=False)
        except QueueFull:
            app.spool.transition(message.id, MessageStatus.DEFERRED,
                                 next_attempt_at=now + settings.retry_base_seconds,
                                 last_error="queue full")
            app.scheduler.schedule(message.id, now + settings.retry_base_seconds)
        metrics.incr("intake.accepted", source="batch")
        report.accepted.append(message.id)
    return report
