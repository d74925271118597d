"""Race detector: workers asking the pool manager for the pool of a relay it
has not seen yet must all get the same pool.

Explores thread interleavings of the connection pools with refbench_race
(PYTHONPATH must include harness/python).  Uses only the public API
(PoolManager(size_per_url, factory), pool_for, stats, close_all,
ConnectionPool.acquire / release), which a refactor around it keeps.
"""

import sys

from refbench_race import assert_no_race

from mailq import pool as pool_module
from mailq.pool import PoolManager

TARGETS = sorted({pool_module.__name__, PoolManager.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=800, timeout=5.0)
URL = "memory://relay-new"


class _Transport:
    closed = False

    def noop(self):
        return True

    def close(self):
        self.closed = True


def _setup():
    return {"manager": PoolManager(1, lambda url: _Transport()), "pools": []}


def _worker(state):
    state["pools"].append(state["manager"].pool_for(URL))


def test_one_pool_per_relay():
    def check(state):
        first, second = state["pools"]
        assert first is second, "two workers got two different pools for one relay"
        assert [p["url"] for p in state["manager"].stats()] == [URL]

    assert_no_race(_setup, [("worker-1", _worker), ("worker-2", _worker)], check,
                   TARGETS, **OPTIONS)


def test_the_connection_bound_holds_per_relay():
    def deliver(state):
        pool = state["manager"].pool_for(URL)
        transport = pool.acquire(timeout=0)   # size 1: a second holder is refused
        state["pools"].append(pool)
        state.setdefault("held", []).append(transport)

    def check(state):
        # Nobody releases: with one pool of size 1 the second acquire is
        # refused, with two pools both workers hold a connection.
        assert len(state.get("held", [])) == 1, \
            f"{len(state.get('held', []))} connections open to a relay limited to 1"
        assert state.get("refused") == ["PoolExhausted"], state.get("refused")

    def guarded(state):
        try:
            deliver(state)
        except Exception as exc:  # PoolExhausted: the bound did its job
            state.setdefault("refused", []).append(type(exc).__name__)

    assert_no_race(_setup, [("worker-1", guarded), ("worker-2", guarded)], check,
                   TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
