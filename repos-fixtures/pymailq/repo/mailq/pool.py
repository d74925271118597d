"""Connection pools: a bounded set of open transports per relay URL.

Opening a connection to a relay costs a TLS handshake, so workers share
connections: acquire() hands out an idle one (or opens a new one while
the pool is below its size) and blocks while all are in use.
"""

from __future__ import annotations

import threading
import time

from .errors import PoolExhausted
from .transports.registry import create_transport


class ConnectionPool:
    def __init__(self, url: str, size: int, factory=None):
        if size < 1:
            raise ValueError("pool size must be at least 1")
        self.url = url
        self._size = size
        self._factory = factory or create_transport
        self._idle: list = []
        self._in_use = 0
        self._opened = 0
        self._closed = False
        self._cond = threading.Condition()

    def acquire(self, timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    raise PoolExhausted(f"pool for {self.url} is closed")
                while self._idle:
                    transport = self._idle.pop()
                    if transport.noop():
                        self._in_use += 1
                        return transport
                    transport.close()
                if self._in_use < self._size:
                    self._in_use += 1
                    break
                if deadline is None:
                    self._cond.wait()
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise PoolExhausted(f"no connection to {self.url} within {timeout}s")
                    self._cond.wait(remaining)
        # Open outside the lock: connecting can take seconds.
        try:
            transport = self._factory(self.url)
        except Exception:
            with self._cond:
                self._in_use -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._opened += 1
        return transport

    def release(self, transport, broken: bool = False) -> None:
        with self._cond:
            self._in_use -= 1
            if broken or self._closed or transport.closed:
                transport.close()
            else:
                self._idle.append(transport)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for transport in idle:
            transport.close()

    def stats(self) -> dict:
        with self._cond:
            return {"url": self.url, "size": self._size, "idle": len(self._idle),
                    "in_use": self._in_use, "opened": self._opened, "closed": self._closed}


class PoolManager:
    def __init__(self, size_per_url: int, factory=None):
        self._size = size_per_url
        self._factory = factory
        self._pools: dict[str, ConnectionPool] = {}
        self._lock = threading.Lock()

    def pool_for(self, url: str) -> ConnectionPool:
        with self._lock:
            pool = self._pools.get(url)
            if pool is None:
                pool = self._pools[url] = ConnectionPool(url, self._size, self._factory)
            return pool

    def close_all(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def stats(self) -> list[dict]:
        with self._lock:
            pools = list(self._pools.values())
        return [pool.stats() for pool in sorted(pools, key=lambda p: p.url)]
