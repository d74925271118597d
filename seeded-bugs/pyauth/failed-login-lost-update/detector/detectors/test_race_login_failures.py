"""Race detector: concurrent failed sign-ins must all be counted.

Explores thread interleavings of the failed sign-in tracker with refbench_race
(PYTHONPATH must include harness/python).  Uses only the tracker's public API
(LoginRateLimiter(max_attempts, window_seconds, clock), register_failure,
failure_count, is_locked, reset), which a refactor of the sign-in flow keeps.
"""

import sys

from refbench_race import assert_no_race

from pyauth import ratelimit
from pyauth.clock import FakeClock
from pyauth.ratelimit import LoginRateLimiter

KEY = "mallory@example.com|203.0.113.9"
# The module under test, plus wherever the class lives should it be re-exported.
TARGETS = sorted({ratelimit.__name__, LoginRateLimiter.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=400, timeout=5.0)


def _limiter(max_attempts=3):
    return LoginRateLimiter(max_attempts=max_attempts, window_seconds=600,
                            clock=FakeClock(1_700_000_000.0))


def test_concurrent_failures_are_all_counted():
    def setup():
        return {"limiter": _limiter(), "returned": []}

    def failed_attempt(state):
        state["returned"].append(state["limiter"].register_failure(KEY))

    def check(state):
        count = state["limiter"].failure_count(KEY)
        assert count == 2, f"2 concurrent failed attempts, {count} recorded"
        assert sorted(state["returned"]) == [1, 2], f"register_failure returned {state['returned']}"

    assert_no_race(setup, [("attempt-A", failed_attempt), ("attempt-B", failed_attempt)],
                   check, TARGETS, **OPTIONS)


def test_lockout_is_reached_by_concurrent_failures():
    def setup():
        limiter = _limiter(max_attempts=3)
        limiter.register_failure(KEY)          # one earlier failure on record
        return limiter

    def failed_attempt(limiter):
        limiter.register_failure(KEY)

    def check(limiter):
        assert limiter.failure_count(KEY) == 3, f"{limiter.failure_count(KEY)} failures recorded, expected 3"
        assert limiter.is_locked(KEY), "3 failures on record but the key is not locked"

    assert_no_race(setup, [("attempt-A", failed_attempt), ("attempt-B", failed_attempt)],
                   check, TARGETS, **OPTIONS)


def test_reset_racing_with_a_failure():
    def setup():
        limiter = _limiter()
        limiter.register_failure(KEY)
        return limiter

    def failed_attempt(limiter):
        limiter.register_failure(KEY)

    def successful_login(limiter):
        limiter.reset(KEY)

    def check(limiter):
        # reset before the failure -> 1; reset after it -> 0.  Nothing else.
        count = limiter.failure_count(KEY)
        assert count in (0, 1), f"{count} failures survived a concurrent reset"

    assert_no_race(setup, [("attempt", failed_attempt), ("login-ok", successful_login)],
                   check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
