"""Race detector: handlers added from two threads are all kept by the observer.

Explores thread interleavings of BaseObserver with refbench_race (refbench puts
harness/python on PYTHONPATH). Uses only the observer's public API (the BaseObserver
constructor with an emitter class, schedule(), add_handler_for_watch(),
remove_handler_for_watch(), event_queue and dispatch_events()), which every refactor keeps.
The observer's watch -> handlers map is created on first use ("no set for this watch yet:
make one") and changed by schedule(), add_handler_for_watch() and
remove_handler_for_watch(); all of them must take the same lock. If one of them guards the
map with another lock (the event queue's mutex), a handler added while another thread
schedules the same path is dropped: it never receives an event. Exit 0 means no race found.
"""

import sys

from refbench_race import assert_no_race

from watchdog.events import FileModifiedEvent
from watchdog.observers import api as api_module
from watchdog.observers.api import BaseObserver, EventEmitter, ObservedWatch

TARGETS = sorted({api_module.__name__, BaseObserver.__module__})
# The observer's event queue is a queue.Queue: make its mutex cooperative too, so that a
# thread holding it is switched out like one holding the observer's own lock.
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=2000, timeout=10.0,
               patch_modules=("queue",))
PATH = "/srv/watched"


class QuietEmitter(EventEmitter):
    """An emitter that is never started and never reads the file system."""

    def queue_events(self, timeout):
        pass


class Handler:
    def __init__(self, name):
        self.name = name
        self.events = []

    def dispatch(self, event):
        self.events.append(event)


def _observer():
    return {
        "observer": BaseObserver(QuietEmitter, timeout=0.01),
        "scheduled": Handler("scheduled"),
        "added": Handler("added"),
        "watch": ObservedWatch(PATH, False),
    }


def _dispatch_one_event(state):
    observer = state["observer"]
    event = FileModifiedEvent(PATH + "/file.txt")
    observer.event_queue.put((event, state["watch"]))
    observer.dispatch_events(observer.event_queue)
    return event


def test_handler_added_while_the_path_is_scheduled_receives_events():
    def schedule(state):
        state["observer"].schedule(state["scheduled"], PATH)

    def add(state):
        state["observer"].add_handler_for_watch(state["added"], state["watch"])

    def check(state):
        event = _dispatch_one_event(state)
        for handler in (state["scheduled"], state["added"]):
            assert handler.events == [event], (
                "handler %r received %r: it was dropped from the observer"
                % (handler.name, handler.events))

    assert_no_race(_observer, [("schedule", schedule), ("add-handler", add)], check,
                   TARGETS, **OPTIONS)


def test_handler_removed_while_another_is_added_stays_removed():
    def setup():
        state = _observer()
        state["observer"].schedule(state["scheduled"], PATH)
        return state

    def remove(state):
        state["observer"].remove_handler_for_watch(state["scheduled"], state["watch"])

    def add(state):
        state["observer"].add_handler_for_watch(state["added"], state["watch"])

    def check(state):
        event = _dispatch_one_event(state)
        assert state["scheduled"].events == [], "a removed handler still receives events"
        assert state["added"].events == [event], "the added handler was dropped"

    assert_no_race(setup, [("remove-handler", remove), ("add-handler", add)], check,
                   TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
