"""Race detector: every item put into the pool's queue wakes a waiting get().

Explores thread interleavings of SQLAlchemy's connection queue with refbench_race
(PYTHONPATH must include harness/python).  Uses only the queue's public API
(Queue(maxsize, use_lifo), put, get, qsize), which a refactor of the pools keeps.
A get() that waits forever although an item is in the queue ends the schedule as
a reported deadlock (every thread blocked), and so does a put() that is never
woken although a slot became free.
"""

import sys

from refbench_race import assert_no_race

from sqlalchemy.util import queue as queue_module
from sqlalchemy.util.queue import Queue

# The module under test, plus wherever the class lives should it be re-exported.
TARGETS = sorted({queue_module.__name__, Queue.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=300, timeout=10.0)


def _two_consumers_one_producer(use_lifo):
    def setup():
        return {"queue": Queue(use_lifo=use_lifo), "got": []}

    def consumer(state):
        state["got"].append(state["queue"].get())

    def producer(state):
        # A connection pool returning two connections in a row.
        state["queue"].put("conn-1")
        state["queue"].put("conn-2")

    def check(state):
        assert sorted(state["got"]) == ["conn-1", "conn-2"], state["got"]
        assert state["queue"].qsize() == 0

    assert_no_race(setup, [("checkout-A", consumer), ("checkout-B", consumer),
                           ("checkin", producer)], check, TARGETS, **OPTIONS)


def test_two_waiting_getters_are_both_woken_fifo():
    _two_consumers_one_producer(use_lifo=False)


def test_two_waiting_getters_are_both_woken_lifo():
    _two_consumers_one_producer(use_lifo=True)


def test_waiting_putters_are_woken_by_gets():
    def setup():
        q = Queue(maxsize=1)
        q.put("conn-0")
        return {"queue": q, "got": []}

    def producer(name):
        def put(state):
            state["queue"].put(name)
        return put

    def consumer(state):
        for _ in range(2):
            state["got"].append(state["queue"].get())

    def check(state):
        assert state["queue"].qsize() == 1
        assert len(state["got"]) == 2, state["got"]

    assert_no_race(setup, [("checkin-A", producer("conn-a")), ("checkin-B", producer("conn-b")),
                           ("checkout", consumer)], check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
