"""Rendering a spooled message as RFC 5322 text for the transports.

This predates our use of the email package for outgoing mail; it only
produces single-part text/plain messages, which is all we send.
"""

from __future__ import annotations

import base64
import time

from .message import Message

MAX_LINE = 78


def _needs_encoding(value: str) -> bool:
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        return True
    return False


def encode_header_value(value: str) -> str:
    """RFC 2047 'B' encoding for non-ASCII header values."""
    if not _needs_encoding(value):
        return value
    encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
    return f"=?utf-8?b?{encoded}?="


def fold_header(name: str, value: str) -> str:
    line = f"{name}: {value}"
    if len(line) <= MAX_LINE:
        return line
    words = line.split(" ")
    lines, current = [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > MAX_LINE:
            lines.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\r\n".join(lines)


def format_date(timestamp: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(timestamp))


def render(message: Message) -> str:
    headers = [
        ("From", message.sender),
        ("To", ", ".join(message.recipients)),
        ("Subject", encode_header_value(message.subject)),
        ("Date", format_date(message.created_at)),
        ("Message-ID", message.message_id),
        ("MIME-Version", "1.0"),
    ]
    if _needs_encoding(message.body):
        headers.append(("Content-Type", "text/plain; charset=utf-8"))
        headers.append(("Content-Transfer-Encoding", "base64"))
        body = base64.encodebytes(message.body.encode("utf-8")).decode("ascii")
    else:
        headers.append(("Content-Type", "text/plain; charset=us-ascii"))
        headers.append(("Content-Transfer-Encoding", "7bit"))
        body = message.body
    for name, value in sorted(message.headers.items()):
        if name.lower() in ("from", "to", "subject", "date", "message-id"):
            continue
        headers.append((name, encode_header_value(str(value))))
    lines = [fold_header(name, value) for name, value in headers]
    # Dot-stuffing is the transport's business; only normalise line ends here.
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    return "\r\n".join(lines) + "\r\n\r\n" + body
