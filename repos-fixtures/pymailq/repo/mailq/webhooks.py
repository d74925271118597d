"""Delivery events for the applications that sent the mail.

Each sending application may register a callback URL; we POST a small JSON
document per event (delivered, bounced, failed).  Events are buffered and
sent in batches by the flush loop so a slow endpoint never holds up a
delivery worker.
"""

from __future__ import annotations

import json
import threading
import urllib.request

from . import metrics

EVENTS = ("delivered", "deferred", "bounced", "failed")


def _post_json(url: str, payload: dict, timeout: float = 5.0) -> int:
    request = urllib.request.Request(url, data=json.dumps(payload).encode("utf-8"),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status


class WebhookDispatcher:
    def __init__(self, clock, max_buffer: int = 5000, sender=None):
        self._clock = clock
        self._endpoints: dict[str, str] = {}       # sender domain -> URL
        self._buffer: list[tuple[str, dict]] = []
        self._max_buffer = max_buffer
        self._lock = threading.Lock()          # endpoints, buffer, counters
        self._flush_lock = threading.Lock()    # one flush at a time
        self._send = sender or _post_json
        self.dropped = 0
        self.sent = 0
        self.failed = 0

    def register(self, sender_domain: str, url: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook URL must be http(s): {url!r}")
        with self._lock:
            self._endpoints[sender_domain.lower()] = url

    def unregister(self, sender_domain: str) -> bool:
        with self._lock:
            return self._endpoints.pop(sender_domain.lower(), None) is not None

    def emit(self, event: str, message, **extra) -> bool:
        if event not in EVENTS:
            raise ValueError(f"unknown event {event!r}")
        domain = message.sender.rsplit("@", 1)[-1].lower()
        with self._lock:
            url = self._endpoints.get(domain)
            if url is None:
                return False
            buffer = self._buffer
            if len(buffer) >= self._max_buffer:
                self.dropped += 1
                metrics.incr("webhooks.dropped")
                return False
            payload = {"event": event, "id": message.id, "message_id": message.message_id,
                       "at": self._clock.now(), "recipients": list(message.recipients)}
            payload.update(extra)
            buffer.append((url, payload))
            return True

    def pending(self) -> int:
        with self._lock:
            return len(self._buffer)

    def flush(self) -> int:
        """Send everything buffered; events of one URL go out as one batch.
        The housekeeper and stop() may flush at the same time: one flush at a
        time keeps the batches of one endpoint in order."""
        with self._flush_lock:
            with self._lock:
                batch, self._buffer = self._buffer, []
            by_url: dict[str, list[dict]] = {}
            for url, payload in batch:
                by_url.setdefault(url, []).append(payload)
            delivered = 0
            for url, payloads in sorted(by_url.items()):
                try:
                    status = self._send(url, {"events": payloads})
                except OSError:
                    status = None
                if status is not None and 200 <= status < 300:
                    delivered += len(payloads)
                    continue
                with self._lock:
                    self.failed += len(payloads)
                metrics.incr("webhooks.failed", len(payloads))
            with self._lock:
                self.sent += delivered
            if delivered:
                metrics.incr("webhooks.sent", delivered)
            return delivered
