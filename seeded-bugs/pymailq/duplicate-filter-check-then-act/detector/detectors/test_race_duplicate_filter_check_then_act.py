"""Race detector: one Message-ID submitted twice at the same time must be
accepted once.

Explores thread interleavings of the duplicate filter with refbench_race
(PYTHONPATH must include harness/python).  Uses only the filter's public API
(DuplicateFilter(ttl_seconds, clock), register, forget, seen_recently),
which a refactor of the intake paths keeps.
"""

import sys

from refbench_race import assert_no_race

from mailq import dedup as dedup_module
from mailq.clock import FakeClock
from mailq.dedup import DuplicateFilter

TARGETS = sorted({dedup_module.__name__, DuplicateFilter.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=800, timeout=5.0)
KEY = "<order-4711@shop.example>"


def _setup():
    return {"filter": DuplicateFilter(3600, FakeClock(1_700_000_000.0)), "accepted": []}


def _submit(state):
    state["accepted"].append(state["filter"].register(KEY))


def test_a_retried_api_call_is_accepted_once():
    def check(state):
        assert sorted(state["accepted"]) == [False, True], \
            f"register() answers {state['accepted']}: the message would be sent twice"

    assert_no_race(_setup, [("api-call", _submit), ("api-retry", _submit)], check,
                   TARGETS, **OPTIONS)


def test_three_intake_paths_race_for_one_message_id():
    def check(state):
        assert sorted(state["accepted"]) == [False, False, True], state["accepted"]
        assert state["filter"].seen_recently(KEY)

    assert_no_race(_setup, [("api", _submit), ("batch", _submit), ("dropbox", _submit)],
                   check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
