"""Race detector: a QueuePool never opens more than pool_size + max_overflow connections.

Explores thread interleavings of concurrent checkouts with refbench_race
(PYTHONPATH must include harness/python).  Uses only the pool's public API
(QueuePool(creator, pool_size, max_overflow, timeout), connect(), overflow(),
checkedout()) and sqlalchemy.exc.TimeoutError, which a refactor of engine
creation keeps.  timeout=0 makes a checkout that finds the pool exhausted fail
at once with TimeoutError instead of waiting.
"""

import sys

from refbench_race import assert_no_race

from sqlalchemy import exc
from sqlalchemy.pool import QueuePool

# The module of the pool class under test (the explorer adds the whole package).
TARGETS = sorted({QueuePool.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=250, timeout=10.0)


class _Connection(object):
    def rollback(self):
        pass

    def close(self):
        pass


def _setup(pool_size, max_overflow):
    made = []

    def creator():
        made.append(1)
        return _Connection()

    pool = QueuePool(creator, pool_size=pool_size, max_overflow=max_overflow, timeout=0)
    return {"pool": pool, "made": made, "held": [], "timeouts": []}


def _checkout(state):
    try:
        state["held"].append(state["pool"].connect())
    except exc.TimeoutError:
        state["timeouts"].append(1)


def _check(limit, max_overflow):
    def check(state):
        pool = state["pool"]
        made = len(state["made"])
        assert made <= limit, f"{made} connections opened, the pool allows {limit}"
        assert len(state["held"]) + len(state["timeouts"]) == 2
        assert len(state["held"]) == min(2, limit), (
            f"{len(state['held'])} checkouts succeeded, expected {min(2, limit)}")
        assert pool.checkedout() == len(state["held"])
        assert pool.overflow() <= max_overflow, f"overflow {pool.overflow()} > max_overflow {max_overflow}"
    return check


def test_concurrent_checkouts_respect_pool_size_without_overflow():
    assert_no_race(lambda: _setup(pool_size=1, max_overflow=0),
                   [("request-A", _checkout), ("request-B", _checkout)],
                   _check(1, 0), TARGETS, **OPTIONS)


def test_concurrent_checkouts_respect_max_overflow():
    assert_no_race(lambda: _setup(pool_size=0, max_overflow=1),
                   [("request-A", _checkout), ("request-B", _checkout)],
                   _check(1, 1), TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
