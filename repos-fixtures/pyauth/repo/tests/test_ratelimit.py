import pytest

from pyauth.clock import FakeClock
from pyauth.ratelimit import LoginRateLimiter, attempt_key


@pytest.fixture
def limiter(clock):
    return LoginRateLimiter(max_attempts=3, window_seconds=60, clock=clock)


def test_attempt_key():
    assert attempt_key(" Bob@Example.com", "1.2.3.4") == "bob@example.com|1.2.3.4"
    assert attempt_key("bob@example.com", None) == "bob@example.com|-"


def test_locks_after_max_failures(limiter):
    assert [limiter.register_failure("k") for _ in range(3)] == [1, 2, 3]
    assert limiter.is_locked("k")
    assert not limiter.is_locked("other")


def test_failures_age_out(limiter, clock):
    limiter.register_failure("k")
    clock.advance(30)
    limiter.register_failure("k")
    limiter.register_failure("k")
    assert limiter.is_locked("k")
    assert limiter.retry_after("k") == pytest.approx(30)
    clock.advance(31)
    assert not limiter.is_locked("k")
    assert limiter.failure_count("k") == 2
    assert limiter.retry_after("k") == 0


def test_reset_forgets_failures(limiter):
    for _ in range(3):
        limiter.register_failure("k")
    limiter.reset("k")
    assert limiter.failure_count("k") == 0
    assert limiter.tracked_keys() == []


def test_rejects_bad_configuration():
    with pytest.raises(ValueError):
        LoginRateLimiter(max_attempts=0, clock=FakeClock())
