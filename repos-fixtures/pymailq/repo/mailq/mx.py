"""Where to deliver: recipient domain -> relay hosts.

We never talk to the public internet directly; everything goes through
the relays configured per domain (and a default relay).  The routing table
comes from the ops configuration and can be reloaded at run time, so
lookups are cached for a short time.
"""

from __future__ import annotations

import threading

from .clock import Clock


class RoutingTable:
    def __init__(self, default: list[str] | None = None, routes: dict | None = None):
        self.default = list(default or [])
        self.routes = {domain.lower(): list(hosts) for domain, hosts in (routes or {}).items()}

    def lookup(self, domain: str) -> list[str]:
        domain = domain.lower()
        # Exact match first, then parent domains (mail.example.com -> example.com).
        parts = domain.split(".")
        for i in range(len(parts) - 1):
            candidate = ".".join(parts[i:])
            if candidate in self.routes:
                return list(self.routes[candidate])
        return list(self.default)


class RelayResolver:
    def __init__(self, table: RoutingTable, clock: Clock, cache_seconds: float = 300.0):
        self._table = table
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, list[str]]] = {}
        self._lock = threading.Lock()
        self.lookups = 0

    def resolve(self, domain: str) -> list[str]:
        now = self._clock.now()
        with self._lock:
            cached = self._cache.get(domain)
            if cached is not None and now - cached[0] < self._cache_seconds:
                return list(cached[1])
            hosts = self._table.lookup(domain)
            self.lookups += 1
            self._cache[domain] = (now, hosts)
            return list(hosts)

    def reload(self, table: RoutingTable) -> None:
        with self._lock:
            self._table = table
            self._cache.clear()
