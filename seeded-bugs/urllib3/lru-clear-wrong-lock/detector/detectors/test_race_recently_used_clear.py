"""Race detector: clearing the recently-used container excludes every other change to it.

Explores thread interleavings of RecentlyUsedContainer with refbench_race (PYTHONPATH must
include harness/python). Uses only the container's public mapping API (item assignment,
deletion, clear(), len, keys()) and its dispose_func callback, which every refactor keeps.
clear() copies the values out and then empties the mapping; if it does so under a lock other
than the one the other operations take, a value stored in between is dropped without being
disposed, and a value deleted in between is disposed twice (once by each thread).
"""

import sys

from refbench_race import assert_no_race

from urllib3 import _collections as collections_module
from urllib3._collections import RecentlyUsedContainer

TARGETS = sorted({collections_module.__name__, RecentlyUsedContainer.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=3000, timeout=10.0)


def _container():
    disposed = []
    container = RecentlyUsedContainer(maxsize=4, dispose_func=disposed.append)
    container["a"] = "va"
    return {"container": container, "disposed": disposed}


def _clear(state):
    state["container"].clear()


def test_a_value_stored_during_clear_is_kept_or_disposed():
    def store(state):
        state["container"]["b"] = "vb"

    def check(state):
        container = state["container"]
        kept = [container[key] for key in container.keys()]
        everything = sorted(state["disposed"] + kept)
        assert everything == ["va", "vb"], (
            "kept %r, disposed %r: a value was dropped without being disposed, or disposed "
            "twice" % (kept, state["disposed"]))

    assert_no_race(_container, [("clear", _clear), ("store", store)], check, TARGETS,
                   **OPTIONS)


def test_a_value_deleted_during_clear_is_disposed_once():
    def delete(state):
        try:
            del state["container"]["a"]
        except KeyError:
            pass  # clear() got there first

    def check(state):
        assert len(state["container"]) == 0
        assert state["disposed"] == ["va"], (
            "disposed %r: the deleted value was disposed more than once" % state["disposed"])

    assert_no_race(_container, [("clear", _clear), ("delete", delete)], check, TARGETS,
                   **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
