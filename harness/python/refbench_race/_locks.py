"""Cooperative replacements for threading.Lock / RLock / Condition / Event.

Inside a managed thread (one started by the scheduler) a contended acquire
does not block the OS thread: it marks the thread BLOCKED on the primitive and
hands control to another enabled thread.  A release makes the waiters
runnable again.  If no thread is runnable any more the scheduler reports a
deadlock instead of hanging.

Outside managed threads (``setup`` and ``check`` run in the exploring thread)
the primitives behave like ordinary locks, backed by a real ``_thread`` lock.
"""

from __future__ import annotations

import os
import sys
import threading
import _thread

from ._core import _Abort, current_context

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))


def _creation_site():
    """file:line of the first frame outside this package (for messages)."""
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if not os.path.abspath(fn).startswith(_PKG_DIR):
            return f"{os.path.basename(fn)}:{f.f_lineno}"
        f = f.f_back
    return "?"


class CoopLock:
    """Non-reentrant cooperative lock (stands in for ``threading.Lock``)."""

    _reentrant = False
    _kind = "Lock"

    def __init__(self, _site=None):
        self._real = _thread.allocate_lock()
        self._owner = None      # OS thread ident of the holder
        self._count = 0
        self._site = _site or _creation_site()

    def __repr__(self):
        state = "locked" if self._owner is not None else "unlocked"
        return f"<refbench_race {self._kind} created at {self._site}, {state}>"

    def _rr_describe_wait(self, run):
        owner = run.tid_of_ident(self._owner) if self._owner is not None else None
        who = run.names[owner] if owner is not None else (
            "no managed thread" if self._owner is None else "an unmanaged thread")
        return f"acquire of {self._kind} created at {self._site}, held by {who}"

    # -- core ------------------------------------------------------------
    def acquire(self, blocking=True, timeout=-1):
        ctx = current_context()
        me_ident = threading.get_ident()
        if ctx is None:
            # Plain mode (setup/check, or code outside an exploration).
            if self._reentrant and self._owner == me_ident:
                self._count += 1
                return True
            if timeout is None:
                timeout = -1
            ok = self._real.acquire(blocking, timeout) if blocking else self._real.acquire(False)
            if ok:
                self._owner = me_ident
                self._count = 1
            return ok
        run, me = ctx
        with run.mutex:
            while True:
                if run.aborted:
                    raise _Abort()
                if self._owner is None:
                    if not self._real.acquire(False):  # pragma: no cover - foreign holder
                        raise RuntimeError(f"{self!r} is held outside the exploration")
                    self._owner = me_ident
                    self._count = 1
                    return True
                if self._reentrant and self._owner == me_ident:
                    self._count += 1
                    return True
                if not blocking:
                    return False
                t = None if (timeout is None or timeout < 0) else timeout
                if not run.block_locked(me, self, t):
                    return False

    def release(self):
        if self._owner is None:
            raise RuntimeError("release unlocked lock")
        if self._reentrant and self._owner != threading.get_ident():
            raise RuntimeError("cannot release un-acquired lock")
        ctx = current_context()
        if ctx is None:
            self._release_now()
            return
        run, _ = ctx
        with run.mutex:
            self._release_now()
            run.wake_locked(self)

    def _release_now(self):
        if self._reentrant and self._count > 1:
            self._count -= 1
            return False
        self._owner = None
        self._count = 0
        self._real.release()
        return True

    def locked(self):
        return self._owner is not None

    __enter__ = acquire

    def __exit__(self, *exc):
        self.release()

    # -- used by CoopCondition -------------------------------------------
    def _is_owned(self):
        return self._owner == threading.get_ident()

    def _release_save(self):
        count = self._count
        self._count = 1
        self.release()
        return count

    def _acquire_restore(self, count):
        self.acquire()
        self._count = count


class CoopRLock(CoopLock):
    """Reentrant cooperative lock (stands in for ``threading.RLock``)."""

    _reentrant = True
    _kind = "RLock"


class CoopCondition:
    """Cooperative condition variable (stands in for ``threading.Condition``)."""

    def __init__(self, lock=None, _site=None):
        site = _site or _creation_site()
        if lock is None:
            lock = CoopRLock(_site=site)
        self._lock = lock
        self._site = site
        self._waiters = []   # [tid, notified] entries, FIFO

    def __repr__(self):
        return f"<refbench_race Condition created at {self._site}>"

    def _rr_describe_wait(self, run):
        return f"wait() on Condition created at {self._site} (never notified)"

    def acquire(self, *a, **kw):
        return self._lock.acquire(*a, **kw)

    def release(self):
        self._lock.release()

    __enter__ = acquire

    def __exit__(self, *exc):
        self._lock.release()

    def wait(self, timeout=None):
        if not self._lock._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        ctx = current_context()
        if ctx is None:
            raise RuntimeError(
                "refbench_race: Condition.wait() outside a managed thread is not supported")
        run, me = ctx
        entry = [me, False]
        saved = self._lock._release_save()
        with run.mutex:
            if run.aborted:
                raise _Abort()
            self._waiters.append(entry)
            run.block_locked(me, self, timeout)
            if not entry[1] and entry in self._waiters:
                self._waiters.remove(entry)
        self._lock._acquire_restore(saved)
        return entry[1]

    def wait_for(self, predicate, timeout=None):
        result = predicate()
        while not result:
            if not self.wait(timeout) and timeout is not None:
                return predicate()
            result = predicate()
        return result

    def notify(self, n=1):
        if not self._lock._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        ctx = current_context()
        woken, self._waiters = self._waiters[:n], self._waiters[n:]
        for entry in woken:
            entry[1] = True
        if ctx is not None:
            run, _ = ctx
            with run.mutex:
                for entry in woken:
                    run.wake_one_locked(entry[0])

    def notify_all(self):
        self.notify(len(self._waiters))

    notifyAll = notify_all


class CoopEvent:
    """Cooperative event (stands in for ``threading.Event``)."""

    def __init__(self, _site=None):
        site = _site or _creation_site()
        self._cond = CoopCondition(CoopLock(_site=site), _site=site)
        self._flag = False

    def is_set(self):
        return self._flag

    isSet = is_set

    def set(self):
        with self._cond:
            self._flag = True
            self._cond.notify_all()

    def clear(self):
        with self._cond:
            self._flag = False

    def wait(self, timeout=None):
        with self._cond:
            if not self._flag:
                if current_context() is None:
                    raise RuntimeError(
                        "refbench_race: Event.wait() outside a managed thread is not supported")
                self._cond.wait(timeout)
            return self._flag


def Lock():  # noqa: N802 - mirrors threading.Lock
    return CoopLock(_site=_creation_site())


def RLock(*args, **kwargs):  # noqa: N802 - mirrors threading.RLock
    return CoopRLock(_site=_creation_site())


def Condition(lock=None):  # noqa: N802
    return CoopCondition(lock, _site=_creation_site())


def Event():  # noqa: N802
    return CoopEvent(_site=_creation_site())
