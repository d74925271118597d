"""Race detector: a producer blocked on a full outbound queue must be woken
when a worker takes an id out, whichever lane the id was in.

Explores thread interleavings of the outbound queue with refbench_race
(PYTHONPATH must include harness/python).  Uses only the queue's public API
(OutboundQueue(capacity), put(spool_id, priority), get(), len()), which a
refactor of the delivery path keeps.  A producer left waiting on a full
queue that has room again shows up as a DEADLOCK.
"""

import sys

from refbench_race import assert_no_race

from mailq import outbound_queue as queue_module
from mailq.message import Priority
from mailq.outbound_queue import OutboundQueue

# The module under test, plus wherever the class lives should it be re-exported.
TARGETS = sorted({queue_module.__name__, OutboundQueue.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=800, timeout=5.0)


def _full_queue(first_priority):
    queue = OutboundQueue(1)
    queue.put(1, first_priority)
    return {"queue": queue, "taken": []}


def _produce(state):
    state["queue"].put(2, Priority.NORMAL)          # blocks while the queue is full


def _consume(state):
    state["taken"].append(state["queue"].get())


def _check_one_taken(state):
    assert state["taken"] == [1], state["taken"]
    assert len(state["queue"]) == 1, "the blocked producer never got its slot"


def test_taking_an_urgent_id_wakes_a_blocked_producer():
    assert_no_race(lambda: _full_queue(Priority.URGENT),
                   [("producer", _produce), ("worker", _consume)],
                   _check_one_taken, TARGETS, **OPTIONS)


def test_taking_a_normal_id_wakes_a_blocked_producer():
    assert_no_race(lambda: _full_queue(Priority.NORMAL),
                   [("producer", _produce), ("worker", _consume)],
                   _check_one_taken, TARGETS, **OPTIONS)


def test_two_producers_behind_an_urgent_id():
    def setup():
        return _full_queue(Priority.URGENT)

    def worker(state):
        queue = state["queue"]
        state["taken"].append(queue.get())
        state["taken"].append(queue.get())

    def check(state):
        assert state["taken"][0] == 1, state["taken"]
        assert len(state["taken"]) == 2 and len(state["queue"]) == 1, state["taken"]

    assert_no_race(setup, [("producer-A", _produce), ("producer-B", _produce),
                           ("worker", worker)], check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
