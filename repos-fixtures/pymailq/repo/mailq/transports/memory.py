"""An in-process relay for tests and the staging environment.

Every MemoryTransport of one MemoryRelay shares its mailbox; rules decide
the reply code per recipient so failures can be scripted.
"""

from __future__ import annotations

import threading

from .base import DeliveryResult, Transport


class MemoryRelay:
    def __init__(self):
        self.delivered: list[dict] = []
        self._rules: list[tuple[str, list[int], str]] = []
        self._lock = threading.Lock()
        self.connections = 0

    def script(self, match: str, codes, message: str = "scripted") -> None:
        """Recipients containing `match` get the next code from `codes` on each
        attempt (the last code repeats)."""
        with self._lock:
            self._rules.append((match, list(codes), message))

    def clear(self) -> None:
        with self._lock:
            self.delivered.clear()
            self._rules.clear()

    def reply_for(self, recipient: str) -> tuple[int, str]:
        with self._lock:
            for match, codes, message in self._rules:
                if match in recipient:
                    code = codes[0] if len(codes) == 1 else codes.pop(0)
                    return code, message
        return 250, "ok"

    def deliver(self, host: str, sender: str, recipient: str, data: str) -> None:
        with self._lock:
            self.delivered.append({"host": host, "from": sender, "to": recipient, "data": data})

    def mailbox(self, recipient: str) -> list[dict]:
        with self._lock:
            return [d for d in self.delivered if d["to"] == recipient]


_RELAYS: dict[str, MemoryRelay] = {}
_RELAYS_LOCK = threading.Lock()


def relay_named(name: str) -> MemoryRelay:
    with _RELAYS_LOCK:
        relay = _RELAYS.get(name)
        if relay is None:
            relay = _RELAYS[name] = MemoryRelay()
        return relay


class MemoryTransport(Transport):
    scheme = "memory"

    def __init__(self, host: str, relay: MemoryRelay | None = None):
        super().__init__(host)
        self.relay = relay if relay is not None else relay_named(host)
        self.relay.connections += 1

    def send(self, sender, recipients, data):
        if self.closed:
            raise ConnectionError(f"connection to {self.host} is closed")
        results = []
        for recipient in recipients:
            code, message = self.relay.reply_for(recipient)
            if 200 <= code < 300:
                self.relay.deliver(self.host, sender, recipient, data)
            results.append(DeliveryResult(recipient, code, message))
        self.sent += 1
        return results
