"""Race detector: delivery workers asking the per-domain throttle at the same
time must never get more tokens than the bucket holds.

Explores thread interleavings of the throttle with refbench_race (PYTHONPATH
must include harness/python).  Uses only the throttle's public API
(DomainThrottle(rate_per_minute, clock, burst=...), try_acquire, available),
which a refactor of the delivery code keeps.
"""

import sys

from refbench_race import assert_no_race

from mailq import throttle as throttle_module
from mailq.clock import FakeClock
from mailq.throttle import DomainThrottle

TARGETS = sorted({throttle_module.__name__, DomainThrottle.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=800, timeout=5.0)
DOMAIN = "gmail.example"


def _setup(burst):
    def setup():
        # The clock never moves: no refill, the bucket holds exactly `burst` tokens.
        return {"throttle": DomainThrottle(1, FakeClock(1_700_000_000.0), burst=burst),
                "granted": []}
    return setup


def _worker(state):
    ok, _wait = state["throttle"].try_acquire(DOMAIN)
    state["granted"].append(ok)


def test_the_last_token_goes_to_one_worker():
    def check(state):
        assert sorted(state["granted"]) == [False, True], \
            f"try_acquire() answers {state['granted']} with one token in the bucket"
        assert state["throttle"].available(DOMAIN) == 0.0

    assert_no_race(_setup(1), [("worker-1", _worker), ("worker-2", _worker)], check,
                   TARGETS, **OPTIONS)


def test_three_workers_share_two_tokens():
    def check(state):
        assert sorted(state["granted"]) == [False, True, True], \
            f"try_acquire() answers {state['granted']} with two tokens in the bucket"
        assert state["throttle"].available(DOMAIN) == 0.0

    assert_no_race(_setup(2), [("worker-1", _worker), ("worker-2", _worker),
                               ("worker-3", _worker)], check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
