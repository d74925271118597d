from mailq.message import MessageStatus, Priority

from .conftest import ADMIN, call

CSV = """to,subject,body,from,message_id,priority
alice@example.com,Statement,Your statement\\nis ready,,stmt-1@bank,
bob@example.com;carol@example.com,Statement,Hi,billing@example.com,stmt-2@bank,normal
not-an-address,Statement,Hi,,,
dave@example.com,Statement,Hi,,stmt-1@bank,
erin@example.com,Statement,Hi,,,asap
"""


def test_batch_import(app):
    response = call(app, "POST", "/batches", CSV, headers=ADMIN)
    assert response.status == 202
    assert response.body["accepted"] == 2
    assert response.body["duplicates"] == 1
    assert response.body["rejected"] == [
        {"line": 4, "reason": "invalid recipient 'not-an-address'"},
        {"line": 6, "reason": "bad priority 'asap'"},
    ]
    first, second = app.spool.list()
    assert first.body == "Your statement\nis ready"
    assert first.priority == Priority.BULK and first.source == "batch"
    assert second.recipients == ["bob@example.com", "carol@example.com"]
    assert second.sender == "billing@example.com"
    assert app.audit.entries("batch.imported")[0]["accepted"] == 2


def test_batch_needs_admin_and_columns(app):
    assert call(app, "POST", "/batches", CSV).status == 401
    response = call(app, "POST", "/batches", "to,body\nx@example.com,hi\n", headers=ADMIN)
    assert response.body["rejected"] == [{"line": 1, "reason": "missing columns: subject"}]


RAW = """From: Legacy Billing <billing@example.com>
To: alice@example.com, Bob <bob@example.com>
Subject: Invoice 42
Message-ID: <inv-42@billing>
X-Priority: 1
X-Customer: 991

Please find your invoice attached.
"""


def test_dropbox_accepts_raw_messages(app, relay):
    response = call(app, "POST", "/dropbox", RAW)
    assert response.status == 202
    message = app.spool.require(response.body["id"])
    assert message.sender == "billing@example.com"
    assert message.recipients == ["alice@example.com", "bob@example.com"]
    assert message.priority == Priority.URGENT
    assert message.headers == {"X-Priority": "1", "X-Customer": "991"}
    assert message.message_id == "<inv-42@billing>"
    assert call(app, "POST", "/dropbox", RAW).status == 409
    app.process_pending()
    assert app.spool.require(message.id).status == MessageStatus.DELIVERED
    assert "X-Customer: 991" in relay.mailbox("bob@example.com")[0]["data"]


def test_dropbox_envelope_recipients_win(app):
    response = call(app, "POST", "/dropbox", RAW.replace("<inv-42@billing>", "<inv-43@billing>"),
                    headers={"X-Envelope-To": "zed@example.com"})
    assert response.body["to"] == ["zed@example.com"]


def test_dropbox_rejects_bad_input(app):
    assert call(app, "POST", "/dropbox", "Subject: x\n\nno recipient\n").status == 400
    app.suppression.add("alice@example.com", "manual")
    assert call(app, "POST", "/dropbox", "To: alice@example.com\n\nhi\n").status == 422
