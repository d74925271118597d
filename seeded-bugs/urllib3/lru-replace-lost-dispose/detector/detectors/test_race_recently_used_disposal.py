"""Race detector: every value the recently-used container drops is disposed exactly once.

Explores thread interleavings of RecentlyUsedContainer with refbench_race (PYTHONPATH must
include harness/python). Uses only the container's public mapping API (item assignment,
item access, len) and its dispose_func callback, which every refactor keeps. Replacing the
value of a key is a read-modify-write of the slot: if the old value is read in one critical
section and the new one stored in another, two concurrent writers both "replace" the same
old value (it is disposed twice) and the value written in between is dropped without ever
being disposed (a pool whose sockets are never closed).
"""

import sys

from refbench_race import assert_no_race

from urllib3 import _collections as collections_module
from urllib3._collections import RecentlyUsedContainer

TARGETS = sorted({collections_module.__name__, RecentlyUsedContainer.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=3000, timeout=10.0)


def _container():
    disposed = []
    container = RecentlyUsedContainer(maxsize=2, dispose_func=disposed.append)
    container["pool"] = "v0"
    return {"container": container, "disposed": disposed}


def test_two_writers_of_one_key_dispose_each_replaced_value_once():
    def write_v1(state):
        state["container"]["pool"] = "v1"

    def write_v2(state):
        state["container"]["pool"] = "v2"

    def check(state):
        final = state["container"]["pool"]
        assert final in ("v1", "v2")
        everything = sorted(state["disposed"] + [final])
        assert everything == ["v0", "v1", "v2"], (
            "kept %r, disposed %r: a value was disposed twice or never"
            % (final, state["disposed"]))

    assert_no_race(_container, [("writer-1", write_v1), ("writer-2", write_v2)], check,
                   TARGETS, **OPTIONS)


def test_replacing_while_another_key_evicts():
    def replace(state):
        state["container"]["pool"] = "v1"

    def add_two(state):
        state["container"]["other-1"] = "o1"
        state["container"]["other-2"] = "o2"

    def check(state):
        container = state["container"]
        assert len(container) == 2
        kept = set(container.keys())
        values = {container[k] for k in kept}
        everything = sorted(state["disposed"] + sorted(values))
        assert everything == ["o1", "o2", "v0", "v1"], (
            "kept %r, disposed %r" % (sorted(values), state["disposed"]))

    assert_no_race(_container, [("replace", replace), ("add", add_two)], check, TARGETS,
                   **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
