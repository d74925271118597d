"""Race detector: DelayedQueue.get() returns and removes the same element.

Explores thread interleavings of DelayedQueue with refbench_race (refbench puts harness/python
on PYTHONPATH). Uses only the queue's public API (put, get, remove), which every refactor
keeps. get() reads the head of the queue in one critical section, waits for its delay
outside the lock, and takes it off in a second one; in between, remove() (the inotify
buffer pairs a moved-from event with its moved-to event this way) may take that head away.
get() must check that the element it read is still the head before popping, or it returns
the removed element (delivered twice) and silently drops the element behind it.
Exit 0 means no race found.
"""

import sys

from refbench_race import assert_no_race

from watchdog.utils import delayed_queue as delayed_queue_module
from watchdog.utils.delayed_queue import DelayedQueue

TARGETS = sorted({delayed_queue_module.__name__, DelayedQueue.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=2000, timeout=10.0)


def _queue():
    q = DelayedQueue(0)
    q.put("moved-from")
    q.put("created")
    return {"queue": q, "got": [], "removed": []}


def _drain(q):
    """Everything still queued, in order (a marker put last comes out last)."""
    q.put("end")
    left = []
    while True:
        item = q.get()
        if item == "end":
            return left
        left.append(item)


def test_get_never_returns_an_element_that_remove_took():
    def consume(state):
        state["got"].append(state["queue"].get())

    def pair_move(state):
        state["removed"].append(state["queue"].remove(lambda element: element == "moved-from"))

    def check(state):
        got, removed = state["got"], [r for r in state["removed"] if r is not None]
        assert not set(got) & set(removed), (
            "get() returned %r although remove() took it" % (got,))
        left = _drain(state["queue"])
        assert sorted(got + removed + left) == ["created", "moved-from"], (
            "got %r, removed %r, left %r: an element was lost or duplicated"
            % (got, removed, left))

    assert_no_race(_queue, [("consumer", consume), ("remover", pair_move)], check, TARGETS,
                   **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
