"""Tiny concurrent programs used as exploration targets by the tests.

Each buggy class has a correctly synchronised twin.  Only this file is a
target in the tests, so its lines are the scheduling points.
"""

import threading
from threading import Lock

# A lock created at import time: refbench_race swaps it for a cooperative one.
_REGISTRY_LOCK = threading.Lock()


class UnsafeCounter:
    """Lost update: read-modify-write without a lock."""

    def __init__(self):
        self.value = 0

    def increment(self):
        current = self.value
        self.value = current + 1


class LockedCounter:
    def __init__(self):
        self.value = 0
        self._lock = threading.Lock()

    def increment(self):
        with self._lock:
            current = self.value
            self.value = current + 1


class UnsafeClaims:
    """Check-then-act: two callers can both claim the same key."""

    def __init__(self):
        self.owners = {}

    def claim(self, key, owner):
        if key in self.owners:
            return False
        self.owners[key] = owner
        return True


class LockedClaims:
    """Same API, the check and the act are atomic (module-level lock)."""

    def __init__(self):
        self.owners = {}

    def claim(self, key, owner):
        with _REGISTRY_LOCK:
            if key in self.owners:
                return False
            self.owners[key] = owner
            return True


class Account:
    def __init__(self, name, balance):
        self.name = name
        self.balance = balance
        self.lock = Lock()   # bound via "from threading import Lock"


def transfer_unordered(src, dst, amount):
    """AB/BA deadlock: locks taken in argument order."""
    with src.lock:
        with dst.lock:
            src.balance -= amount
            dst.balance += amount


def transfer_ordered(src, dst, amount):
    """Deadlock-free: locks always taken in a global (name) order."""
    first, second = sorted((src, dst), key=lambda a: a.name)
    with first.lock:
        with second.lock:
            src.balance -= amount
            dst.balance += amount


class Mailbox:
    """Condition-based handoff, with a buggy put that forgets to notify."""

    def __init__(self):
        self.cond = threading.Condition()
        self.items = []

    def put(self, item):
        with self.cond:
            self.items.append(item)
            self.cond.notify()

    def put_without_notify(self, item):
        with self.cond:
            self.items.append(item)

    def take(self):
        with self.cond:
            while not self.items:
                self.cond.wait()
            return self.items.pop(0)


class ReentrantCache:
    def __init__(self):
        self.lock = threading.RLock()
        self.data = {}

    def get_or_load(self, key):
        with self.lock:
            if key not in self.data:
                self._store(key, key.upper())
            return self.data[key]

    def _store(self, key, value):
        with self.lock:
            self.data[key] = value


def fails_on_odd(state, value):
    if value % 2:
        raise ValueError(f"odd value {value}")
    state.append(value)
