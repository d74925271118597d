"""Transport URLs -> transports.

    memory://relay-a          MemoryTransport on the in-process relay 'relay-a'
    smtp://mx1.internal:2525  SmtpTransport
    null://                   accepts everything and sends nothing (load tests)

The process-wide registry is built on first use; plugins (the SES bridge
in the ops repo) register extra schemes on it at start-up.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from ..errors import UnknownTransport
from .base import DeliveryResult, Transport


class NullTransport(Transport):
    scheme = "null"

    def send(self, sender, recipients, data):
        self.sent += 1
        return [DeliveryResult(r, 250, "discarded") for r in recipients]


def _memory_factory(parts):
    from .memory import MemoryTransport

    return MemoryTransport(parts.hostname or "default")


def _smtp_factory(parts):
    from .smtp import SmtpTransport

    return SmtpTransport(parts.hostname, parts.port or 25)


def _null_factory(parts):
    return NullTransport(parts.hostname or "null")


class TransportRegistry:
    def __init__(self):
        self._factories: dict = {}

    def register(self, scheme: str, factory) -> None:
        if not scheme or not scheme.isalnum():
            raise ValueError(f"bad transport scheme {scheme!r}")
        self._factories[scheme] = factory

    def schemes(self) -> list[str]:
        return sorted(self._factories)

    def create(self, url: str) -> Transport:
        parts = urlsplit(url)
        factory = self._factories.get(parts.scheme)
        if factory is None:
            raise UnknownTransport(f"no transport for {url!r}", scheme=parts.scheme)
        return factory(parts)


def _register_builtins(registry: TransportRegistry) -> None:
    registry.register("memory", _memory_factory)
    registry.register("smtp", _smtp_factory)
    registry.register("null", _null_factory)


_default = None
_default_lock = threading.Lock()


def default_registry() -> TransportRegistry:
    """The process-wide registry, with the built-in schemes registered."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                registry = TransportRegistry()
                _register_builtins(registry)
                _default = registry
    return _default


def reset_default_registry() -> None:
    """Forget the process-wide registry (tests, plugin reloads)."""
    global _default
    with _default_lock:
        _default = None


def create_transport(url: str) -> Transport:
    return default_registry().create(url)
