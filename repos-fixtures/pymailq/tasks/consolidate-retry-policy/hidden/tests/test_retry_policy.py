import pytest

from mailq.app import Application
from mailq.bounce import BounceProcessor
from mailq.message import MessageStatus
from mailq.mx import RoutingTable
from mailq.retry_policy import Outcome, RetryDecision, RetryPolicy
from mailq.scheduler import RetryScheduler
from mailq.settings import Settings
from mailq.transports.memory import MemoryTransport

from .conftest import ADMIN, call, submit


def _app(settings, clock, relay, policy=None):
    def factory(url):
        return MemoryTransport("relay", relay=relay)
    return Application(settings, clock, routing=RoutingTable(default=["memory://relay"]),
                       transport_factory=factory, retry_policy=policy)


def test_classify_reply_codes():
    policy = RetryPolicy(Settings())
    assert policy.classify(250) is Outcome.DELIVERED
    assert policy.classify(251) is Outcome.DELIVERED
    for code in (421, 450, 451, 452, 499, 552):
        assert policy.classify(code) is Outcome.TEMPORARY, code
    for code in (500, 550, 551, 553, 554, 599):
        assert policy.classify(code) is Outcome.PERMANENT, code
    assert [c for c in (550, 551, 552, 553, 554, 500) if policy.is_hard_bounce(c)] == \
        [550, 551, 553, 554]


def test_delay_doubles_and_is_capped():
    policy = RetryPolicy(Settings(retry_base_seconds=30, retry_max_seconds=200,
                                  retry_max_attempts=9))
    assert [policy.delay_for(n) for n in (0, 1, 2, 3, 4, 5)] == [30, 30, 60, 120, 200, 200]
    assert policy.base_seconds == 30 and policy.max_seconds == 200 and policy.max_attempts == 9


def test_decide_gives_up_after_the_last_attempt():
    policy = RetryPolicy(Settings(retry_base_seconds=10, retry_max_seconds=100,
                                  retry_max_attempts=3))
    assert policy.decide(1, now=1000.0) == RetryDecision(give_up=False, delay=10, retry_at=1010.0)
    assert policy.decide(2, now=1000.0).retry_at == 1020.0
    decision = policy.decide(3, now=1000.0)
    assert decision.give_up is True and decision.retry_at is None and decision.delay is None
    assert policy.exhausted(3) and not policy.exhausted(2)


def test_decide_waits_at_least_not_before():
    policy = RetryPolicy(Settings(retry_base_seconds=10, retry_max_seconds=100))
    assert policy.decide(1, now=0.0, not_before=45.0) == RetryDecision(False, 45.0, 45.0)
    assert policy.decide(1, now=0.0, not_before=5.0).delay == 10


def test_default_policy_comes_from_the_settings(settings, clock, relay):
    app = _app(settings, clock, relay)
    assert isinstance(app.retry_policy, RetryPolicy)
    assert app.retry_policy.max_attempts == settings.retry_max_attempts
    assert app.retry_policy.delay_for(2) == 2 * settings.retry_base_seconds
    assert RetryPolicy().max_attempts == Settings().retry_max_attempts


class SlowRetries(RetryPolicy):
    def delay_for(self, attempts):
        return 7.0 * attempts


def test_workers_defer_with_the_application_policy(settings, clock, relay):
    app = _app(settings, clock, relay, SlowRetries(settings))
    relay.script("alice", [451, 451, 250])
    spool_id = submit(app).body["id"]
    app.process_pending()
    assert app.spool.require(spool_id).next_attempt_at == clock.now() + 7
    clock.advance(7)
    assert app.scheduler.release_due() == [spool_id]
    app.process_pending()
    assert app.spool.require(spool_id).next_attempt_at == clock.now() + 14


class StrictCodes(RetryPolicy):
    def classify(self, code):
        if code == 451:
            return Outcome.PERMANENT
        return super().classify(code)

    def is_hard_bounce(self, code):
        return False


def test_reply_codes_are_classified_by_the_policy(settings, clock, relay):
    app = _app(settings, clock, relay, StrictCodes(settings))
    relay.script("alice", [451])
    relay.script("ghost", [550])
    first = submit(app, message_id="c1@x").body["id"]
    second = submit(app, to=["ghost@example.com"], message_id="c2@x").body["id"]
    app.process_pending()
    assert app.spool.require(first).status == MessageStatus.BOUNCED
    assert app.spool.require(second).status == MessageStatus.BOUNCED
    # The policy says no code is a hard bounce: nobody is suppressed.
    assert len(app.suppression) == 0


def test_scheduler_and_bounces_take_a_policy(settings, clock, relay):
    app = _app(settings, clock, relay)
    policy = SlowRetries(settings)
    scheduler = RetryScheduler(app.spool, app.queue, clock, settings, policy=policy)
    assert scheduler.policy is policy
    spool_id = submit(app).body["id"]
    app.queue.get()
    message = app.spool.transition(spool_id, MessageStatus.SENDING, attempts=2)
    deferred = scheduler.defer(message, "451 later", 451)
    assert deferred.next_attempt_at == clock.now() + 14
    assert scheduler.pending() == [(spool_id, clock.now() + 14)]
    bounces = BounceProcessor(app.spool, app.queue, app.suppression, app.templates, app.ids,
                              clock, settings, policy=policy)
    assert bounces.policy is policy
    assert app.scheduler.policy is app.retry_policy
    assert app.bounces.policy is app.retry_policy


def test_scheduler_gives_up_through_the_policy(settings, clock, relay):
    app = _app(settings, clock, relay)
    spool_id = submit(app).body["id"]
    app.queue.get()
    message = app.spool.transition(spool_id, MessageStatus.SENDING,
                                   attempts=settings.retry_max_attempts)
    assert app.scheduler.defer(message, "421 down", 421).status == MessageStatus.FAILED
    assert app.scheduler.pending() == []


def test_admin_retry_on_a_full_queue_uses_the_delivery_backoff(clock, relay):
    settings = Settings(admin_token="s3cret", queue_capacity=1, retry_base_seconds=60,
                        retry_max_seconds=3600, retry_max_attempts=5)
    app = _app(settings, clock, relay)
    relay.script("alice", [450])
    spool_id = submit(app, message_id="a1@x").body["id"]
    for _ in range(3):
        app.process_pending()
        clock.advance(3600)
        app.scheduler.release_due()
    app.process_pending()
    message = app.spool.require(spool_id)
    assert message.status == MessageStatus.DEFERRED and message.attempts == 4
    submit(app, message_id="filler@x")            # the queue is full now
    response = call(app, "POST", f"/admin/messages/{spool_id}/retry", headers=ADMIN)
    assert response.status == 202
    assert response.body["status"] == "deferred"
    assert response.body["next_attempt_at"] == clock.now() + 480   # 60 * 2 ** 3
