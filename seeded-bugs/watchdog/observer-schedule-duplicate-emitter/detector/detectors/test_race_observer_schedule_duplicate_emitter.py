"""Race detector: scheduling one path from two threads gives the observer one emitter.

Explores thread interleavings of BaseObserver.schedule() with refbench_race (refbench puts
harness/python on PYTHONPATH). Uses only the observer's public API (the BaseObserver
constructor with an emitter class, schedule(), unschedule(), emitters), which every refactor
keeps. The observer maps each watch to its emitter; looking the watch up and registering a
new emitter must happen in one critical section. If the lookup happens before the lock is
taken, two threads that schedule handlers for the same directory both build an emitter: one
overwrites the other in the watch map, and the other stays in `emitters`, producing every
event twice and never stopped by unschedule(). Exit 0 means no race found.
"""

import sys

from refbench_race import assert_no_race

from watchdog.observers import api as api_module
from watchdog.observers.api import BaseObserver, EventEmitter, ObservedWatch

TARGETS = sorted({api_module.__name__, BaseObserver.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=2000, timeout=10.0)
PATH = "/srv/watched"


class QuietEmitter(EventEmitter):
    """An emitter that is never started and never reads the file system."""

    def queue_events(self, timeout):
        pass


class Handler:
    def __init__(self, name):
        self.name = name

    def dispatch(self, event):
        pass


def _observer():
    return {"observer": BaseObserver(QuietEmitter, timeout=0.01)}


def test_two_threads_scheduling_one_path_share_one_emitter():
    def schedule_a(state):
        state["observer"].schedule(Handler("a"), PATH)

    def schedule_b(state):
        state["observer"].schedule(Handler("b"), PATH)

    def check(state):
        observer = state["observer"]
        emitters = list(observer.emitters)
        assert len(emitters) == 1, "one watch, %d emitters" % len(emitters)
        observer.unschedule(ObservedWatch(PATH, False))
        assert len(observer.emitters) == 0, "unschedule() left %d emitters running" % len(
            observer.emitters)

    assert_no_race(_observer, [("schedule-a", schedule_a), ("schedule-b", schedule_b)],
                   check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
