"""Race detector: a connection handed back to a blocking pool must wake a thread waiting for it.

Explores thread interleavings of HTTPConnectionPool with refbench_race (PYTHONPATH must include
harness/python). Uses only the pool's own API (block=True, maxsize=1, _get_conn(), _put_conn(),
the calls urlopen() and HTTPResponse.release_conn() make), which any refactor of the pools or
the responses keeps. A pool with block=True and no pool timeout makes a thread that finds no
idle connection wait until another thread returns one; if returning a connection stores it
without signalling the waiter (a lost wake-up), the waiter sleeps forever although a connection
is idle: refbench_race reports the schedule as a deadlock.
"""

import queue as stdlib_queue
import sys

from refbench_race import assert_no_race

from urllib3 import connectionpool as connectionpool_module
from urllib3.connectionpool import HTTPConnectionPool

# The pool's module, wherever its idle-connection container lives, plus the stdlib queue
# module, whose locks and conditions the container is built on: all made cooperative, so a
# thread waiting for a connection yields to the others instead of blocking the OS thread.
_container = HTTPConnectionPool("localhost", 80, maxsize=1).pool
TARGETS = sorted({connectionpool_module.__name__, HTTPConnectionPool.__module__,
                  type(_container).__module__})
PATCH = sorted({stdlib_queue, sys.modules[type(_container).__module__]}, key=repr)
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=2000, timeout=10.0,
               patch_modules=PATCH)


class _Conn(object):
    """What the pool calls on a pooled connection; never opens a socket."""

    def __init__(self, name):
        self.name = name
        self.sock = None
        self.closed = False

    def close(self):
        self.closed = True


class _Pool(HTTPConnectionPool):
    def _new_conn(self):
        return _Conn("new")


def _state():
    return {"pool": _Pool("localhost", 80, maxsize=1, block=True), "used": []}


def _borrow_and_return(state):
    pool = state["pool"]
    conn = pool._get_conn()
    state["used"].append(conn)
    pool._put_conn(conn)


def _check(state):
    assert len(state["used"]) == 2, "a thread never got a connection back from the pool"
    assert state["used"][0] is state["used"][1], "the single connection was not reused"


def test_returned_connection_wakes_a_waiting_thread():
    assert_no_race(_state, [("request-1", _borrow_and_return),
                            ("request-2", _borrow_and_return)], _check, TARGETS, **OPTIONS)


def test_three_threads_share_one_connection():
    def check(state):
        assert len(state["used"]) == 3, "a thread never got a connection back from the pool"

    assert_no_race(_state, [("request-%d" % i, _borrow_and_return) for i in (1, 2, 3)],
                   check, TARGETS, **dict(OPTIONS, preemption_bound=1))


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
