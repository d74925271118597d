"""Race detector: concurrent requests to one origin must share one connection pool.

Explores thread interleavings of PoolManager with refbench_race (PYTHONPATH must include
harness/python). Uses only PoolManager's public API (connection_from_host,
connection_from_url, pools), which any refactor of the connection pools keeps. If looking
a pool up and storing a new one are not one atomic step, two threads can both miss, both
build a pool, and one of them ends up with a pool the manager no longer knows: its
connections are never reused by later requests and never closed by clear().
"""

import sys

from refbench_race import assert_no_race

from urllib3 import _collections as collections_module
from urllib3 import poolmanager as poolmanager_module
from urllib3.poolmanager import PoolManager

# The manager's module, plus wherever the class lives should it be moved.
TARGETS = sorted({poolmanager_module.__name__, PoolManager.__module__})
# The pool container's lock is created in another module: make it cooperative too.
PATCH = [collections_module]
OPTIONS = dict(strategy="exhaustive", preemption_bound=1, max_schedules=2000, timeout=10.0,
               patch_modules=PATCH)


def _state():
    return {"manager": PoolManager(num_pools=4), "got": []}


def test_two_requests_to_one_host_share_a_pool():
    def request(state):
        state["got"].append(state["manager"].connection_from_host("example.com", 80))

    def check(state):
        first, second = state["got"]
        assert first is second, "two pools were built for one origin"
        assert state["manager"].connection_from_url("http://example.com/") is first, (
            "a request got a pool the manager no longer holds")

    assert_no_race(_state, [("request-1", request), ("request-2", request)], check,
                   TARGETS, **OPTIONS)


def test_requests_by_url_and_by_host_share_a_pool():
    def by_url(state):
        state["got"].append(state["manager"].connection_from_url("http://example.com/a"))

    def by_host(state):
        state["got"].append(state["manager"].connection_from_host("example.com"))

    def check(state):
        first, second = state["got"]
        assert first is second, "two pools were built for one origin"
        assert len(state["manager"].pools) == 1

    assert_no_race(_state, [("by-url", by_url), ("by-host", by_host)], check, TARGETS,
                   **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
