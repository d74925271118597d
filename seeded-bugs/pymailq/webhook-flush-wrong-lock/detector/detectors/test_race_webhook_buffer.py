"""Race detector: a delivery event emitted while the webhook buffer is being
flushed must be sent by that flush or stay buffered for the next one; it
must never be lost.

Explores thread interleavings of the webhook dispatcher with refbench_race
(PYTHONPATH must include harness/python).  Uses only the dispatcher's public
API (WebhookDispatcher(clock, sender=...), register, emit, flush, pending),
which a refactor of the periodic jobs keeps.
"""

import sys
import types

from refbench_race import assert_no_race

from mailq import webhooks as webhooks_module
from mailq.clock import FakeClock
from mailq.webhooks import WebhookDispatcher

TARGETS = sorted({webhooks_module.__name__, WebhookDispatcher.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=1500, timeout=5.0)


def _message(spool_id):
    return types.SimpleNamespace(id=spool_id, message_id=f"<{spool_id}@shop.example>",
                                 sender="orders@shop.example", recipients=["a@example.com"])


def _setup():
    posted = []

    def sender(url, body):
        posted.extend(event["id"] for event in body["events"])
        return 200

    hooks = WebhookDispatcher(FakeClock(1_700_000_000.0), sender=sender)
    hooks.register("shop.example", "https://hooks.shop.example/mail")
    return {"hooks": hooks, "posted": posted}


def _accounted(state):
    """Events sent so far plus events still waiting for the next flush."""
    hooks = state["hooks"]
    waiting = hooks.pending()
    hooks.flush()
    return sorted(state["posted"]), waiting


def test_an_event_emitted_during_a_flush_is_not_lost():
    def worker(state):
        state["hooks"].emit("delivered", _message(1))

    def housekeeper(state):
        state["hooks"].flush()

    def check(state):
        posted, _ = _accounted(state)
        assert posted == [1], f"events sent: {posted}; the delivered event was lost"

    assert_no_race(_setup, [("worker", worker), ("housekeeper", housekeeper)], check,
                   TARGETS, **OPTIONS)


def test_two_workers_and_a_flush():
    def worker(spool_id):
        def run(state):
            state["hooks"].emit("delivered", _message(spool_id))
        return run

    def housekeeper(state):
        state["hooks"].flush()

    def check(state):
        posted, _ = _accounted(state)
        assert posted == [1, 2], f"events sent: {posted}; expected both"

    assert_no_race(_setup, [("worker-1", worker(1)), ("worker-2", worker(2)),
                            ("housekeeper", housekeeper)], check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
