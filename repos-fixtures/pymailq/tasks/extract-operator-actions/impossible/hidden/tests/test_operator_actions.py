import pytest

from mailq import metrics
from mailq.api.http import Request
from mailq.errors import Conflict, NotFound, ValidationError
from mailq.message import MessageStatus
from mailq.operations import OperatorActions
from mailq.outbound_queue import OutboundQueue
from mailq.scheduler import RetryScheduler

from .conftest import ADMIN, call, submit


def _actions(app, queue=None, scheduler=None):
    queue = queue if queue is not None else app.queue
    scheduler = scheduler if scheduler is not None else app.scheduler
    return OperatorActions(spool=app.spool, queue=queue, scheduler=scheduler,
                           suppression=app.suppression, audit=app.audit, clock=app.clock,
                           settings=app.settings)


def _failed_message(app, relay, clock):
    relay.script("alice", [421, 421, 421, 250])
    spool_id = submit(app).body["id"]
    for _ in range(3):
        app.process_pending()
        clock.advance(600)
        app.scheduler.release_due()
    assert app.spool.require(spool_id).status == MessageStatus.FAILED
    return spool_id


def test_the_application_builds_one_operator_actions(app):
    assert isinstance(app.operations, OperatorActions)
    spool_id = submit(app).body["id"]
    cancelled = app.operations.cancel(spool_id, operator="cli")
    assert cancelled.status == MessageStatus.CANCELLED
    assert len(app.queue) == 0
    assert app.audit.entries("message.cancelled") == [
        {"at": app.clock.now(), "action": "message.cancelled", "operator": "cli", "id": spool_id}]


def test_retry_puts_a_failed_message_back(app, relay, clock):
    spool_id = _failed_message(app, relay, clock)
    message = _actions(app).retry(spool_id, operator="ops")
    assert message.status == MessageStatus.QUEUED
    assert message.attempts == app.settings.retry_max_attempts - 1
    assert message.last_error is None and message.next_attempt_at is None
    assert len(app.queue) == 1
    assert metrics.counter("admin.retry") == 1
    assert app.audit.entries("message.retried")[0]["operator"] == "ops"
    app.process_pending()
    assert app.spool.require(spool_id).status == MessageStatus.DELIVERED


def test_retry_a_deferred_message_cancels_its_scheduled_retry(app, relay):
    relay.script("alice", [450, 250])
    spool_id = submit(app).body["id"]
    app.process_pending()
    assert [i for i, _ in app.scheduler.pending()] == [spool_id]
    assert _actions(app).retry(spool_id).status == MessageStatus.QUEUED
    assert app.scheduler.pending() == []
    assert app.audit.entries("message.retried")[0]["operator"] == "unknown"


def test_retry_defers_when_the_queue_is_full(app, relay, clock):
    spool_id = _failed_message(app, relay, clock)
    full = OutboundQueue(1)
    full.put(999_999, app.spool.require(spool_id).priority, block=False)
    scheduler = RetryScheduler(app.spool, full, app.clock, app.settings)
    message = _actions(app, queue=full, scheduler=scheduler).retry(spool_id)
    assert message.status == MessageStatus.DEFERRED
    assert message.last_error == "queue full"
    delay = min(app.settings.retry_base_seconds * message.attempts, app.settings.retry_max_seconds)
    assert message.next_attempt_at == clock.now() + delay
    assert scheduler.pending() == [(spool_id, clock.now() + delay)]


@pytest.mark.parametrize("action", ["retry", "cancel"])
def test_unknown_messages_are_not_found(app, action):
    with pytest.raises(NotFound):
        getattr(_actions(app), action)(424242)


def test_retry_and_cancel_refuse_final_messages(app):
    spool_id = submit(app).body["id"]
    actions = _actions(app)
    with pytest.raises(Conflict) as queued:
        actions.retry(spool_id)
    assert queued.value.details == {"status": "queued"}
    app.process_pending()
    for action in (actions.retry, actions.cancel):
        with pytest.raises(Conflict) as delivered:
            action(spool_id)
        assert delivered.value.details == {"status": "delivered"}
    assert metrics.counter("admin.retry") == 0 and metrics.counter("admin.cancel") == 0


def test_cancel_refuses_a_message_being_delivered(app):
    spool_id = submit(app).body["id"]
    app.spool.transition(spool_id, MessageStatus.SENDING)
    cancelled = _actions(app).cancel(spool_id)
    assert cancelled.status == MessageStatus.CANCELLED
    assert app.spool.require(spool_id).status == MessageStatus.CANCELLED


def test_cancel_a_deferred_message_drops_its_retry(app, relay):
    relay.script("alice", [450])
    spool_id = submit(app).body["id"]
    app.process_pending()
    message = _actions(app).cancel(spool_id, operator="ops")
    assert message.status == MessageStatus.CANCELLED and message.next_attempt_at is None
    assert app.scheduler.pending() == []
    assert metrics.counter("admin.cancel") == 1


def test_purge_cancels_the_queue_and_counts(app):
    ids = [submit(app, message_id=f"p{i}@x").body["id"] for i in range(4)]
    # A message delivered meanwhile is skipped, not counted.
    app.spool.transition(ids[0], MessageStatus.SENDING)
    app.spool.transition(ids[0], MessageStatus.DELIVERED)
    assert _actions(app).purge(operator="ops") == 3
    assert len(app.queue) == 0
    assert app.spool.counts()["cancelled"] == 3
    assert app.spool.require(ids[0]).status == MessageStatus.DELIVERED
    assert app.audit.entries("queue.purged")[0] == {
        "at": app.clock.now(), "action": "queue.purged", "operator": "ops", "count": 3}
    assert metrics.counter("admin.purge") == 1


def test_suppress_and_unsuppress(app):
    actions = _actions(app)
    entry = actions.suppress("Eve@Example.com", "complaint", note="x" * 300, operator="ops")
    assert entry.address == "eve@example.com" and len(entry.note) == 200
    assert app.suppression.is_suppressed("eve@example.com")
    assert app.audit.entries("suppression.added")[0]["reason"] == "complaint"
    with pytest.raises(ValidationError):
        actions.suppress("eve", "manual")
    with pytest.raises(ValidationError):
        actions.suppress("bob@example.com", "because")
    assert actions.unsuppress("eve@example.com", operator="ops") is None
    assert not app.suppression.is_suppressed("eve@example.com")
    assert app.audit.entries("suppression.removed")[0]["operator"] == "ops"
    with pytest.raises(NotFound):
        actions.unsuppress("eve@example.com")


class _Recorder:
    def __init__(self, real):
        self.real = real
        self.calls = []

    def __getattr__(self, name):
        method = getattr(self.real, name)

        def record(*args, **kwargs):
            self.calls.append((name, args, kwargs.get("operator")))
            return method(*args, **kwargs)
        return record


def test_admin_endpoints_go_through_the_application_actions(app, relay):
    relay.script("alice", [450])
    recorder = app.operations = _Recorder(app.operations)
    first = submit(app).body["id"]
    app.process_pending()
    second = submit(app, message_id="two@x").body["id"]
    assert call(app, "POST", f"/admin/messages/{first}/retry", headers=ADMIN).status == 202
    assert call(app, "DELETE", f"/admin/messages/{first}", headers=ADMIN).status == 200
    assert call(app, "POST", "/admin/queue/purge", headers=ADMIN).body == {"cancelled": 1}
    assert call(app, "POST", "/admin/suppressions", {"address": "eve@example.com"},
                headers=ADMIN).status == 201
    assert call(app, "DELETE", "/admin/suppressions/eve@example.com",
                headers=ADMIN).status == 200
    assert [(name, operator) for name, _, operator in recorder.calls] == [
        ("retry", "ops@example.com"), ("cancel", "ops@example.com"),
        ("purge", "ops@example.com"), ("suppress", "ops@example.com"),
        ("unsuppress", "ops@example.com")]
    assert recorder.calls[0][1] == (first,) and recorder.calls[1][1] == (first,)
    assert app.spool.require(second).status == MessageStatus.CANCELLED


def test_request_spool_id():
    assert Request("GET", "/messages/7", params={"id": "7"}).spool_id() == 7
    for params in ({}, {"id": "seven"}):
        with pytest.raises(NotFound) as missing:
            Request("GET", "/messages/x", params=params).spool_id()
        assert missing.value.message == "no such message"


def test_bad_ids_are_404_on_every_route(app):
    assert call(app, "GET", "/messages/abc").status == 404
    assert call(app, "DELETE", "/admin/messages/abc", headers=ADMIN).status == 404
    assert call(app, "POST", "/admin/messages/abc/retry", headers=ADMIN).status == 404
