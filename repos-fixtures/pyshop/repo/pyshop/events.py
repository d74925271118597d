"""A tiny synchronous publish/subscribe bus.

Subscribers run in the publisher's thread, in subscription order.  A failing
subscriber is logged in ``failures`` and does not stop the others.
"""

import threading
from collections import defaultdict


class EventBus:
    def __init__(self, keep_history: int = 500):
        self._subscribers = defaultdict(list)
        self._lock = threading.Lock()
        self._history = []
        self._keep = keep_history
        self.failures = []

    def subscribe(self, topic: str, handler) -> None:
        with self._lock:
            self._subscribers[topic].append(handler)

    def unsubscribe(self, topic: str, handler) -> None:
        with self._lock:
            if handler in self._subscribers.get(topic, []):
                self._subscribers[topic].remove(handler)

    def publish(self, topic: str, **payload) -> int:
        with self._lock:
            handlers = list(self._subscribers.get(topic, ())) + list(self._subscribers.get("*", ()))
            self._history.append((topic, dict(payload)))
            if len(self._history) > self._keep:
                del self._history[: len(self._history) - self._keep]
        for handler in handlers:
            try:
                handler(topic, payload)
            except Exception as exc:  # noqa: BLE001 - a subscriber must not break the publisher
                self.failures.append((topic, repr(exc)))
        return len(handlers)

    def history(self, topic: str | None = None) -> list:
        with self._lock:
            return [(t, dict(p)) for t, p in self._history if topic is None or t == topic]


# Legacy: some old scripts publish on the module-level bus.  Application
# instances use their own bus.
default_bus = EventBus()


def publish(topic: str, **payload) -> int:
    return default_bus.publish(topic, **payload)
