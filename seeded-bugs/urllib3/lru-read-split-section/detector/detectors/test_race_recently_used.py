"""Race detector: concurrent reads of the recently-used container must all see the value.

Explores thread interleavings of RecentlyUsedContainer with refbench_race (PYTHONPATH must
include harness/python). Uses only the container's public mapping API (item access, get,
item assignment, len, keys), which every refactor keeps. A read moves the key to the end of
the eviction line; if taking the item out and putting it back are not one atomic step, a
second reader (a second request to the same origin) finds the key missing and the pool
manager builds a duplicate pool.
"""

import sys

from refbench_race import assert_no_race

from urllib3 import _collections as collections_module
from urllib3._collections import RecentlyUsedContainer

TARGETS = sorted({collections_module.__name__, RecentlyUsedContainer.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=2000, timeout=10.0)


def _container():
    container = RecentlyUsedContainer(maxsize=3)
    container["pool-a"] = "A"
    container["pool-b"] = "B"
    return {"container": container, "seen": []}


def test_two_readers_of_one_key_both_find_it():
    def read(state):
        state["seen"].append(state["container"].get("pool-a"))

    def check(state):
        assert state["seen"] == ["A", "A"], "a reader missed a stored key: %r" % state["seen"]
        assert len(state["container"]) == 2

    assert_no_race(_container, [("reader-1", read), ("reader-2", read)], check, TARGETS,
                   **OPTIONS)


def test_a_read_racing_with_a_write_keeps_the_newest_value():
    def read(state):
        state["seen"].append(state["container"].get("pool-a"))

    def write(state):
        state["container"]["pool-a"] = "A2"

    def check(state):
        assert state["container"]["pool-a"] == "A2", "a read put back a replaced value"
        assert state["seen"][0] in ("A", "A2")

    assert_no_race(_container, [("reader", read), ("writer", write)], check, TARGETS,
                   **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
