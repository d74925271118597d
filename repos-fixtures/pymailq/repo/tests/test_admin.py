from mailq.message import MessageStatus

from .conftest import ADMIN, call, submit


def test_admin_needs_the_token(app):
    assert call(app, "GET", "/admin/queue").status == 401
    assert call(app, "GET", "/admin/queue", headers={"X-Admin-Token": "nope"}).status == 403
    assert call(app, "GET", "/admin/queue", headers=ADMIN).status == 200


def test_cancel_a_queued_message(app):
    spool_id = submit(app).body["id"]
    response = call(app, "DELETE", f"/admin/messages/{spool_id}", headers=ADMIN)
    assert response.status == 200 and response.body["status"] == "cancelled"
    assert len(app.queue) == 0
    assert call(app, "DELETE", f"/admin/messages/{spool_id}", headers=ADMIN).status == 409
    assert app.audit.entries("message.cancelled")[0]["operator"] == "ops@example.com"


def test_retry_a_failed_message(app, relay, clock):
    relay.script("alice", [421, 421, 421, 250])
    spool_id = submit(app).body["id"]
    for _ in range(3):
        app.process_pending()
        clock.advance(600)
        app.scheduler.release_due()
    assert app.spool.require(spool_id).status == MessageStatus.FAILED
    response = call(app, "POST", f"/admin/messages/{spool_id}/retry", headers=ADMIN)
    assert response.status == 202 and response.body["status"] == "queued"
    app.process_pending()
    message = app.spool.require(spool_id)
    assert message.status == MessageStatus.DELIVERED
    assert message.attempts == 3


def test_retry_a_deferred_message_now(app, relay):
    relay.script("alice", [450, 250])
    spool_id = submit(app).body["id"]
    app.process_pending()
    assert app.scheduler.pending()
    response = call(app, "POST", f"/admin/messages/{spool_id}/retry", headers=ADMIN)
    assert response.status == 202
    assert app.scheduler.pending() == []
    app.process_pending()
    assert app.spool.require(spool_id).status == MessageStatus.DELIVERED


def test_retry_refuses_delivered_messages(app):
    spool_id = submit(app).body["id"]
    app.process_pending()
    response = call(app, "POST", f"/admin/messages/{spool_id}/retry", headers=ADMIN)
    assert response.status == 409
    assert response.body["status"] == "delivered"


def test_purge_cancels_everything_queued(app):
    for i in range(3):
        submit(app, message_id=f"p{i}@x")
    response = call(app, "POST", "/admin/queue/purge", headers=ADMIN)
    assert response.body == {"cancelled": 3}
    assert app.spool.counts()["cancelled"] == 3
    assert app.audit.entries("queue.purged")[0]["count"] == 3


def test_suppression_endpoints(app):
    added = call(app, "POST", "/admin/suppressions",
                 {"address": "Eve@Example.com", "reason": "complaint"}, headers=ADMIN)
    assert added.status == 201 and added.body["address"] == "eve@example.com"
    assert call(app, "POST", "/admin/suppressions", {"address": "eve", "reason": "manual"},
                headers=ADMIN).status == 400
    listing = call(app, "GET", "/admin/suppressions", headers=ADMIN, query="reason=complaint")
    assert [e["address"] for e in listing.body["suppressions"]] == ["eve@example.com"]
    assert call(app, "DELETE", "/admin/suppressions/eve@example.com", headers=ADMIN).status == 200
    assert call(app, "DELETE", "/admin/suppressions/eve@example.com", headers=ADMIN).status == 404


def test_queue_state(app):
    submit(app)
    state = call(app, "GET", "/admin/queue", headers=ADMIN).body
    assert state["normal"] == [1]
    assert state["unfinished"] == 1
    assert state["scheduled"] == []
