from mailq import metrics
from mailq.message import MessageStatus

from .conftest import call, submit


def test_submit_accepts_and_queues(app):
    response = submit(app, to=["Alice <alice@Example.com>", "alice@example.com"])
    assert response.status == 202
    body = response.body
    assert body["to"] == ["alice@example.com"]
    assert body["status"] == "queued"
    assert body["message_id"] == "<1700000000.1@postroom.test>"
    assert response.headers["Location"] == f"/messages/{body['id']}"
    assert len(app.queue) == 1
    assert metrics.counter("intake.accepted", source="api") == 1


def test_submit_validation_errors(app):
    cases = [
        ({"to": []}, "invalid_request"),
        ({"to": ["nobody"]}, "invalid_request"),
        ({"subject": "two\nlines"}, "invalid_request"),
        ({"priority": "asap"}, "invalid_request"),
        ({"from": "bad sender"}, "invalid_request"),
        ({"headers": {"X-A": 1}}, "invalid_request"),
        ({"tags": "x"}, "invalid_request"),
        ({"to": [f"u{i}@example.com" for i in range(51)]}, "invalid_request"),
    ]
    for fields, code in cases:
        response = submit(app, **fields)
        assert response.status == 400, fields
        assert response.body["error"] == code
    assert call(app, "POST", "/messages", "not json").status == 400
    assert len(app.queue) == 0


def test_submit_too_large(app):
    response = submit(app, body="x" * (512 * 1024 + 1))
    assert response.status == 413


def test_duplicate_message_id_is_refused(app):
    first = submit(app, message_id="order-17@shop")
    assert first.status == 202
    again = submit(app, message_id="<order-17@shop>")
    assert again.status == 409
    assert again.body["error"] == "duplicate_message"
    assert again.body["id"] == first.body["id"]
    assert len(app.spool) == 1


def test_all_suppressed_recipients_are_refused(app):
    app.suppression.add("alice@example.com", "complaint")
    response = submit(app)
    assert response.status == 422
    assert response.body["recipients"] == ["alice@example.com"]


def test_template_submission(app):
    response = call(app, "POST", "/messages/template",
                    {"to": "bob@example.com", "template": "welcome",
                     "context": {"name": "Bob", "product": "Postroom"}})
    assert response.status == 202
    message = app.spool.require(response.body["id"])
    assert message.subject == "Welcome to Postroom"
    assert "Hello Bob" in message.body
    missing = call(app, "POST", "/messages/template",
                   {"to": "bob@example.com", "template": "welcome", "context": {}})
    assert missing.status == 400
    assert missing.body["missing"] == ["name", "product"]
    unknown = call(app, "POST", "/messages/template", {"to": "b@example.com", "template": "x"})
    assert unknown.status == 404


def test_full_queue_defers_instead_of_failing(app, settings):
    for i in range(settings.queue_capacity):
        assert submit(app, message_id=f"m{i}@x").status == 202
    response = submit(app, message_id="overflow@x")
    assert response.status == 202
    assert response.body["status"] == "deferred"
    assert app.scheduler.pending() == [(response.body["id"], 1_700_000_060.0)]


def test_status_endpoints(app):
    ids = [submit(app, message_id=f"s{i}@x").body["id"] for i in range(3)]
    got = call(app, "GET", f"/messages/{ids[1]}")
    assert got.status == 200 and got.body["id"] == ids[1]
    assert call(app, "GET", "/messages/999").status == 404
    listing = call(app, "GET", "/messages", query="status=queued&limit=2")
    assert [m["id"] for m in listing.body["messages"]] == ids[:2]
    assert call(app, "GET", "/messages", query="status=lost").status == 400
    stats = call(app, "GET", "/stats").body
    assert stats["spool"]["queued"] == 3
    assert stats["queue"] == {"length": 3, "capacity": 50}
    assert call(app, "GET", "/health").body["status"] == "ok"


def test_unknown_route_and_method(app):
    assert call(app, "GET", "/nope").status == 404
    response = call(app, "PUT", "/messages")
    assert response.status == 405
    assert response.body["allowed"] == ["GET", "POST"]
