"""Race detector: closing a DelayedQueue wakes a consumer blocked in get().

Explores thread interleavings of DelayedQueue with refbench_race (refbench puts harness/python
on PYTHONPATH). Uses only the queue's public API (put, get, close), which every refactor
keeps. get() waits on the queue's condition while the queue is empty and open; close() must
set the closed flag and notify that condition, or a consumer that started waiting before the
close sleeps forever (the inotify buffer's reader thread never ends: a lost wake-up, which
the explorer reports as a deadlock). Exit 0 means no race found.
"""

import sys

from refbench_race import assert_no_race

from watchdog.utils import delayed_queue as delayed_queue_module
from watchdog.utils.delayed_queue import DelayedQueue

TARGETS = sorted({delayed_queue_module.__name__, DelayedQueue.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=2000, timeout=10.0)


def _queue():
    return {"queue": DelayedQueue(0), "got": []}


def test_close_wakes_a_consumer_blocked_in_get():
    def consume(state):
        state["got"].append(state["queue"].get())

    def close(state):
        state["queue"].close()

    def check(state):
        assert state["got"] == [None], "get() returned %r after close()" % (state["got"],)

    assert_no_race(_queue, [("consumer", consume), ("closer", close)], check, TARGETS,
                   **OPTIONS)


def test_put_wakes_a_consumer_blocked_in_get():
    def consume(state):
        state["got"].append(state["queue"].get())

    def produce(state):
        state["queue"].put("event")

    def check(state):
        assert state["got"] == ["event"], "get() returned %r after put()" % (state["got"],)

    assert_no_race(_queue, [("consumer", consume), ("producer", produce)], check, TARGETS,
                   **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
