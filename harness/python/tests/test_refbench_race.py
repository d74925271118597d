"""Tests for refbench_race on tiny programs from race_examples.py.

Run with:  PYTHONPATH=harness/python python3 -m pytest -p no:cacheprovider harness/python/tests
"""

import os
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # harness/python, if PYTHONPATH is not set
sys.path.insert(0, HERE)

import race_examples as ex  # noqa: E402
import refbench_race  # noqa: E402
from refbench_race import (  # noqa: E402
    DEADLOCK, EXCEPTION, TIMEOUT, VIOLATION, assert_no_race, explore, replay,
)

TARGET = ["race_examples"]
REPEAT = 50


# --------------------------------------------------------------------------
# scenarios

def counter_case(cls):
    def worker(counter):
        counter.increment()

    def check(counter):
        assert counter.value == 2, f"expected 2 increments, counted {counter.value}"

    return cls, [worker, worker], check


def claims_case(cls):
    def setup():
        return {"registry": cls(), "won": []}

    def alice(state):
        if state["registry"].claim("job-1", "alice"):
            state["won"].append("alice")

    def bob(state):
        if state["registry"].claim("job-1", "bob"):
            state["won"].append("bob")

    def check(state):
        assert len(state["won"]) == 1, f"claim granted to {state['won']}"

    return setup, [alice, bob], check


def transfer_case(fn):
    def setup():
        return ex.Account("a", 100), ex.Account("b", 100)

    def a_to_b(accts):
        fn(accts[0], accts[1], 10)

    def b_to_a(accts):
        fn(accts[1], accts[0], 5)

    def check(accts):
        assert accts[0].balance + accts[1].balance == 200

    return setup, [("a->b", a_to_b), ("b->a", b_to_a)], check


# --------------------------------------------------------------------------
# the three classic bugs are found, every time, with the same schedule

def test_finds_lost_update_every_time():
    setup, threads, check = counter_case(ex.UnsafeCounter)
    seen = set()
    for _ in range(REPEAT):
        result = explore(setup, threads, check, TARGET)
        assert not result.ok
        assert result.failure.kind == VIOLATION
        assert "counted 1" in result.failure.message
        seen.add((result.failure.schedule, result.schedules_run))
    assert len(seen) == 1, f"exploration is not deterministic: {seen}"


def test_finds_check_then_act_every_time():
    setup, threads, check = claims_case(ex.UnsafeClaims)
    seen = set()
    for _ in range(REPEAT):
        result = explore(setup, threads, check, TARGET)
        assert not result.ok and result.failure.kind == VIOLATION
        assert "alice" in result.failure.message and "bob" in result.failure.message
        seen.add(result.failure.schedule)
    assert len(seen) == 1


def test_finds_ab_ba_deadlock_every_time():
    setup, threads, check = transfer_case(ex.transfer_unordered)
    seen = set()
    for _ in range(REPEAT):
        result = explore(setup, threads, check, TARGET, timeout=2.0)
        assert not result.ok
        failure = result.failure
        assert failure.kind == DEADLOCK
        assert "a->b blocked" in failure.message and "b->a blocked" in failure.message
        assert "held by" in failure.message
        seen.add(failure.schedule)
    assert len(seen) == 1


def test_a_deadlock_the_scheduler_ends_is_not_a_lost_tracer():
    # Ending a deadlocked schedule raises from the tracer, which the interpreter then unsets:
    # that must not read as the code under test removing the explorer's tracer.
    from refbench_race import _report
    before = _report._state["tracer_lost"]
    setup, threads, check = transfer_case(ex.transfer_unordered)
    result = explore(setup, threads, check, TARGET, timeout=2.0)
    assert result.failure.kind == DEADLOCK
    assert _report._state["tracer_lost"] == before


# --------------------------------------------------------------------------
# ... and the correctly synchronised twins never raise a false alarm

def test_locked_counter_no_false_alarm():
    setup, threads, check = counter_case(ex.LockedCounter)
    for _ in range(REPEAT):
        result = explore(setup, threads, check, TARGET)
        assert result.ok, result.failure.format()
        assert result.exhausted


def test_locked_claims_no_false_alarm():
    # LockedClaims uses a lock created at import time (module global).
    setup, threads, check = claims_case(ex.LockedClaims)
    for _ in range(REPEAT):
        result = explore(setup, threads, check, TARGET)
        assert result.ok, result.failure.format()
        assert result.exhausted


def test_ordered_locks_no_false_alarm():
    setup, threads, check = transfer_case(ex.transfer_ordered)
    for _ in range(REPEAT):
        result = explore(setup, threads, check, TARGET, preemption_bound=2, max_schedules=200)
        assert result.ok, result.failure.format()
        assert result.schedules_run > 10


# --------------------------------------------------------------------------
# reporting and replay

def test_assert_no_race_message_shows_interleaving_and_replays():
    setup, threads, check = counter_case(ex.UnsafeCounter)
    with pytest.raises(AssertionError) as info:
        assert_no_race(setup, threads, check, TARGET)
    text = str(info.value)
    assert "invariant violated" in text
    assert "T0:worker" in text and "T1:worker" in text
    assert "race_examples.py:21" in text and "current = self.value" in text
    assert "-- switch --" in text
    assert "schedule='" in text and "replay(" in text
    assert "seed=0" in text
    schedule = text.split("schedule='", 1)[1].split("'", 1)[0]
    again = replay(setup, threads, check, TARGET, schedule=schedule)
    assert not again.ok and again.schedules_run == 1
    assert again.failure.steps() == explore(setup, threads, check, TARGET).failure.steps()


def test_failure_steps_name_threads_and_lines():
    setup, threads, check = counter_case(ex.UnsafeCounter)
    failure = explore(setup, threads, check, TARGET).failure
    assert failure.steps() == [
        "T0:worker@race_examples.py:21",
        "T1:worker@race_examples.py:21",
        "T1:worker@race_examples.py:22",
        "T0:worker@race_examples.py:22",
    ]


def test_replay_of_a_passing_schedule_passes():
    setup, threads, check = counter_case(ex.UnsafeCounter)
    result = replay(setup, threads, check, TARGET, schedule="")   # non-preemptive
    assert result.ok and result.schedules_run == 1


def test_assert_no_race_returns_result_when_clean():
    setup, threads, check = counter_case(ex.LockedCounter)
    result = assert_no_race(setup, threads, check, TARGET)
    assert result.ok and "OK" in result.summary()


# --------------------------------------------------------------------------
# other strategies: seeded and deterministic

@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_seeded_strategies_are_deterministic(strategy):
    setup, threads, check = claims_case(ex.LockedClaims)
    runs = [explore(setup, threads, check, TARGET, strategy=strategy, seed=7, max_schedules=40)
            for _ in range(3)]
    assert all(r.ok for r in runs)
    assert runs[0].schedules == runs[1].schedules == runs[2].schedules
    other = explore(setup, threads, check, TARGET, strategy=strategy, seed=8, max_schedules=40)
    assert other.schedules != runs[0].schedules


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_seeded_strategies_find_lost_update(strategy):
    setup, threads, check = counter_case(ex.UnsafeCounter)
    for seed in range(5):
        result = explore(setup, threads, check, TARGET, strategy=strategy, seed=seed,
                         max_schedules=200)
        assert not result.ok and result.failure.kind == VIOLATION
        again = replay(setup, threads, check, TARGET, schedule=result.failure.schedule)
        assert not again.ok


# --------------------------------------------------------------------------
# primitives and backstops

def test_missing_notify_is_reported_as_deadlock():
    def consumer(box):
        box.take()

    def producer(box):
        box.put_without_notify("x")

    result = explore(ex.Mailbox, [consumer, producer], None, TARGET)
    assert not result.ok and result.failure.kind == DEADLOCK
    assert "never notified" in result.failure.message


def test_condition_handoff_no_false_alarm():
    def consumer(box):
        box.got = box.take()

    def producer(box):
        box.put("x")

    def check(box):
        assert box.got == "x" and box.items == []

    result = explore(ex.Mailbox, [consumer, producer], check, TARGET)
    assert result.ok, result.failure.format()
    assert result.exhausted


def test_rlock_is_reentrant():
    def reader(cache):
        cache.get_or_load("k")

    result = explore(ex.ReentrantCache, [reader, reader], lambda c: c.data == {"k": "K"}, TARGET)
    assert result.ok, result.failure.format()


def test_thread_exception_is_reported():
    result = explore(list, [lambda s: ex.fails_on_odd(s, 2), lambda s: ex.fails_on_odd(s, 3)],
                     None, TARGET)
    assert not result.ok and result.failure.kind == EXCEPTION
    assert "ValueError: odd value 3" in result.failure.message


def test_timeout_backstop_reports_a_hang():
    gate = threading.Event()   # a real Event, created outside the targets: not controlled

    def stuck(_):
        gate.wait()

    try:
        result = explore(None, [stuck, stuck], None, TARGET, timeout=0.3)
    finally:
        gate.set()
    assert not result.ok and result.failure.kind == TIMEOUT


def _live_workers(wait=10.0):
    """Worker threads still alive after giving them ``wait`` seconds to exit."""
    for t in threading.enumerate():
        if t.name.startswith("refbench-race"):
            t.join(wait)
    return [t for t in threading.enumerate() if t.name.startswith("refbench-race")]


def test_threads_are_reused_across_schedules(monkeypatch):
    # Regression: a fresh pair of OS threads per schedule made long explorations
    # crawl on a loaded machine (a new thread waits for a whole CPU scheduling
    # round before it first runs, and Thread.start() waits for that), so a
    # detector with ~1700 schedules ran into refbench's 60 s limit.  One worker
    # per managed thread must serve every schedule of an exploration.
    started = []
    real_start = threading.Thread.start

    def counting_start(self):
        started.append(self.name)
        return real_start(self)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    setup, threads, check = transfer_case(ex.transfer_ordered)
    result = explore(setup, threads, check, TARGET, max_schedules=200)
    monkeypatch.undo()
    assert result.ok, result.failure.format()
    assert result.schedules_run > 10
    assert len(started) <= len(threads), f"{len(started)} threads for {result.schedules_run} schedules"
    assert not _live_workers(), "worker threads outlive the exploration"


def test_stuck_worker_is_replaced_and_later_schedules_still_run():
    gate = threading.Event()   # real, not controlled: the first thread hangs on it
    calls = []

    def stuck(_):
        calls.append("stuck")
        gate.wait()

    def fine(_):
        calls.append("fine")

    try:
        result = explore(None, [stuck, fine], None, TARGET, strategy="random", seed=1,
                         max_schedules=3, timeout=0.3, stop_on_first=False)
        assert result.schedules_run == 3
        assert [f.kind for f in result.failures] == [TIMEOUT] * 3
        # every schedule ran on a fresh worker for the stuck slot
        assert calls.count("stuck") == 3
        # the pool is still usable afterwards, and a clean exploration is clean
        setup, threads, check = counter_case(ex.LockedCounter)
        again = explore(setup, threads, check, TARGET)
        assert again.ok and again.exhausted
    finally:
        gate.set()
    assert not _live_workers()


def test_grant_to_a_thread_whose_gate_is_already_open_is_harmless():
    # Gates are wake-up hints: opening an open gate must neither raise nor
    # leave a thread asleep.
    from refbench_race._core import _open
    import _thread
    gate = _thread.allocate_lock()
    gate.acquire()
    _open(gate)
    _open(gate)
    assert gate.acquire(False)
    assert not gate.acquire(False)


def test_path_suffix_target_and_patch_restore():
    before = (ex.threading, ex.Lock, ex._REGISTRY_LOCK)
    setup, threads, check = counter_case(ex.UnsafeCounter)
    result = explore(setup, threads, check, ["tests/race_examples.py"])
    assert not result.ok
    result = explore(*claims_case(ex.LockedClaims), ["race_examples.py"])
    assert result.ok
    assert (ex.threading, ex.Lock, ex._REGISTRY_LOCK) == before
    assert ex.threading is threading


def test_locks_are_cooperative_only_during_exploration():
    seen = {}

    def setup():
        seen["lock"] = ex.LockedCounter()._lock
        return ex.LockedCounter()

    explore(setup, [lambda c: c.increment()], None, TARGET)
    assert isinstance(seen["lock"], refbench_race.CoopLock)
    assert not isinstance(ex.LockedCounter()._lock, refbench_race.CoopLock)


def test_bad_arguments():
    with pytest.raises(ValueError):
        explore(None, [lambda s: None], None, [])
    with pytest.raises(ValueError):
        explore(None, [], None, TARGET)
    with pytest.raises(ValueError):
        explore(None, [lambda s: None], None, TARGET, strategy="nope")
