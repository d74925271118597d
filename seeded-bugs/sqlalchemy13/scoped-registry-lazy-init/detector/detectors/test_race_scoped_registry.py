"""Race detector: one object per scope, however many threads ask for it first.

Explores thread interleavings of the scope registry behind scoped_session with
refbench_race (PYTHONPATH must include harness/python).  Uses only public API that
a refactor of scoped_session keeps: sqlalchemy.util.ScopedRegistry(createfunc,
scopefunc) with __call__ / has(), and sqlalchemy.orm.scoped_session(factory,
scopefunc) with __call__.  Two requests that share a scope (a
custom scopefunc, e.g. one web request served by two threads) and both find the
scope empty must end up with the same object, the one the registry keeps.
"""

import sys

from refbench_race import assert_no_race

from sqlalchemy import util
from sqlalchemy.orm import scoped_session

# The module of the registry class (the explorer adds the whole package).
TARGETS = sorted({util.ScopedRegistry.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=300, timeout=10.0)


class Resource(object):
    made = 0

    def __init__(self):
        Resource.made += 1
        self.number = Resource.made


def test_first_use_from_two_threads_yields_one_object():
    def setup():
        return {"registry": util.ScopedRegistry(Resource, lambda: "request-1"), "seen": []}

    def first_use(state):
        state["seen"].append(state["registry"]())

    def check(state):
        a, b = state["seen"]
        kept = state["registry"]()
        assert a is b, f"two threads of one scope got different objects (#{a.number}, #{b.number})"
        assert kept is a, "the registry keeps another object than the one handed out"

    assert_no_race(setup, [("request-A", first_use), ("request-B", first_use)],
                   check, TARGETS, **OPTIONS)


def test_scoped_session_hands_out_one_session_per_scope():
    def setup():
        # Any factory will do: a real Session would only add untargeted work.
        return {"Session": scoped_session(Resource, scopefunc=lambda: "request-1"), "seen": []}

    def use_session(state):
        state["seen"].append(state["Session"]())

    def check(state):
        a, b = state["seen"]
        assert a is b, "two threads of one scope got different sessions"
        assert state["Session"]() is a, "the scoped_session keeps another session"

    assert_no_race(setup, [("request-A", use_session), ("request-B", use_session)],
                   check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
