from mailq import metrics
from mailq.message import MessageStatus

from .conftest import call, submit


def test_message_is_delivered(app, relay):
    spool_id = submit(app, to=["alice@example.com", "bob@other.org"]).body["id"]
    assert app.process_pending() == 1
    message = app.spool.require(spool_id)
    assert message.status == MessageStatus.DELIVERED
    assert message.attempts == 1
    assert message.delivered_at == 1_700_000_000.0
    assert sorted(d["to"] for d in relay.delivered) == ["alice@example.com", "bob@other.org"]
    data = relay.mailbox("alice@example.com")[0]["data"]
    assert "Subject: Hello\r\n" in data and data.endswith("Hi there")
    assert metrics.counter("delivery.delivered") == 1
    assert app.queue.join(timeout=0.01)


def test_temporary_failure_is_retried_with_backoff(app, relay, clock):
    relay.script("alice", [451, 451, 250], "try later")
    spool_id = submit(app).body["id"]
    app.process_pending()
    message = app.spool.require(spool_id)
    assert message.status == MessageStatus.DEFERRED
    assert message.last_code == 451
    assert message.next_attempt_at == clock.now() + 60
    clock.advance(60)
    assert app.scheduler.release_due() == [spool_id]
    app.process_pending()
    message = app.spool.require(spool_id)
    assert message.next_attempt_at == clock.now() + 120
    clock.advance(120)
    app.scheduler.release_due()
    app.process_pending()
    assert app.spool.require(spool_id).status == MessageStatus.DELIVERED


def test_gives_up_after_max_attempts_and_tells_the_sender(app, relay, clock):
    relay.script("alice", [421])
    spool_id = submit(app, **{"from": "shop@example.com"}).body["id"]
    for _ in range(3):
        app.process_pending()
        clock.advance(600)
        app.scheduler.release_due()
    message = app.spool.require(spool_id)
    assert message.status == MessageStatus.FAILED
    assert message.attempts == 3
    notices = [m for m in app.spool.list() if m.source == "bounce"]
    assert len(notices) == 1 and notices[0].recipients == ["shop@example.com"]
    assert not app.suppression.is_suppressed("alice@example.com")


def test_hard_bounce_suppresses_and_notifies(app, relay):
    relay.script("ghost", [550], "no such user")
    spool_id = submit(app, to=["ghost@example.com"], **{"from": "shop@example.com"}).body["id"]
    app.process_pending()
    message = app.spool.require(spool_id)
    assert message.status == MessageStatus.BOUNCED
    assert message.last_code == 550
    assert app.suppression.is_suppressed("ghost@example.com")
    app.process_pending()       # the bounce notice goes out (urgent)
    notice = relay.mailbox("shop@example.com")[0]["data"]
    assert "no such user" in notice
    assert "Auto-Submitted: auto-replied" in notice


def test_partial_failure_retries_only_the_failed_recipients(app, relay, clock):
    relay.script("bob", [450, 250])
    spool_id = submit(app, to=["alice@example.com", "bob@example.com"]).body["id"]
    app.process_pending()
    assert app.spool.require(spool_id).recipients == ["bob@example.com"]
    clock.advance(60)
    app.scheduler.release_due()
    app.process_pending()
    assert [d["to"] for d in relay.delivered] == ["alice@example.com", "bob@example.com"]


def test_mailbox_full_is_retried_not_bounced(app, relay):
    relay.script("alice", [552])
    spool_id = submit(app).body["id"]
    app.process_pending()
    assert app.spool.require(spool_id).status == MessageStatus.DEFERRED
    assert not app.suppression.is_suppressed("alice@example.com")


def test_throttled_domain_is_deferred(app, clock):
    app.throttle = type(app.throttle)(1, clock, burst=1)
    first = submit(app, message_id="t1@x").body["id"]
    second = submit(app, message_id="t2@x").body["id"]
    app.process_pending()
    assert app.spool.require(first).status == MessageStatus.DELIVERED
    deferred = app.spool.require(second)
    assert deferred.status == MessageStatus.DEFERRED
    assert deferred.last_code == 451
    assert deferred.next_attempt_at == clock.now() + 60


def test_failover_to_the_next_relay(app, relay):
    relay.script("slow.example", [421, 250])
    spool_id = submit(app, to=["x@slow.example"]).body["id"]
    app.process_pending()
    assert app.spool.require(spool_id).status == MessageStatus.DELIVERED
    assert relay.delivered[0]["host"] == "relay-c"


def test_suppressed_recipients_are_dropped_at_delivery(app, relay):
    spool_id = submit(app, to=["alice@example.com", "bob@example.com"]).body["id"]
    app.suppression.add("bob@example.com", "manual")
    app.process_pending()
    assert [d["to"] for d in relay.delivered] == ["alice@example.com"]
    assert app.spool.require(spool_id).status == MessageStatus.DELIVERED


def test_workers_deliver_in_the_background(app, relay):
    ids = [submit(app, message_id=f"w{i}@x").body["id"] for i in range(10)]
    app.start()
    try:
        assert app.queue.join(timeout=10)
    finally:
        app.stop()
    assert all(app.spool.require(i).status == MessageStatus.DELIVERED for i in ids)
    assert len(relay.delivered) == 10
