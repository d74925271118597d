import pytest

from mailq import metrics
from mailq.errors import Duplicate, Suppressed, TooLarge, ValidationError
from mailq.message import MessageStatus, Priority
from mailq.submission import Draft, SubmissionService

from .conftest import ADMIN, call, submit


def _draft(**fields):
    values = dict(to=["alice@example.com"], subject="Hello", body="Hi there")
    values.update(fields)
    return Draft(**values)


def test_submit_spools_and_queues(app):
    message = app.submissions.submit(_draft(to=["Alice <alice@Example.com>", "alice@example.com"],
                                            tags=("receipt",), priority=Priority.URGENT))
    assert message.recipients == ["alice@example.com"]
    assert message.sender == "no-reply@postroom.test"
    assert message.message_id == f"<1700000000.{message.id}@postroom.test>"
    assert message.status == MessageStatus.QUEUED and message.source == "api"
    assert message.tags == ("receipt",) and message.priority == Priority.URGENT
    assert app.spool.require(message.id) == message
    assert app.queue.snapshot()["urgent"] == [message.id]
    assert metrics.counter("intake.accepted", source="api") == 1


def test_the_application_builds_one_service(app):
    assert isinstance(app.submissions, SubmissionService)
    service = SubmissionService(settings=app.settings, clock=app.clock, ids=app.ids,
                                spool=app.spool, queue=app.queue, scheduler=app.scheduler,
                                suppression=app.suppression, duplicates=app.dedup)
    message = service.submit(_draft(source="batch"))
    assert message.source == "batch"
    assert metrics.counter("intake.accepted", source="batch") == 1


@pytest.mark.parametrize("fields, field", [
    ({"to": []}, "to"),
    ({"to": ["nobody"]}, "to"),
    ({"to": [f"u{i}@example.com" for i in range(51)]}, "to"),
    ({"sender": "not an address"}, "from"),
    ({"subject": "two\nlines"}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"body": None}, "body"),
    ({"headers": {"X-A": 1}}, "headers"),
    ({"message_id": "no at sign"}, "message_id"),
])
def test_validation(app, fields, field):
    with pytest.raises(ValidationError) as info:
        app.submissions.submit(_draft(**fields))
    assert info.value.details.get("field") == field
    assert len(app.spool) == 0 and len(app.queue) == 0


def test_duplicates_suppression_and_size(app):
    first = app.submissions.submit(_draft(message_id="order-1@shop"))
    with pytest.raises(Duplicate) as info:
        app.submissions.submit(_draft(message_id="<order-1@shop>", source="smtp"))
    assert info.value.details["id"] == first.id
    assert metrics.counter("intake.duplicate", source="smtp") == 1
    app.suppression.add("bob@example.com", "complaint")
    with pytest.raises(Suppressed):
        app.submissions.submit(_draft(to=["bob@example.com"]))
    kept = app.submissions.submit(_draft(to=["bob@example.com", "carol@example.com"]))
    assert kept.recipients == ["bob@example.com", "carol@example.com"]
    with pytest.raises(TooLarge):
        app.submissions.submit(_draft(body="x" * (512 * 1024 + 1)))


def test_full_queue_defers(app, settings, clock):
    for i in range(settings.queue_capacity):
        app.submissions.submit(_draft(message_id=f"f{i}@x"))
    message = app.submissions.submit(_draft(message_id="late@x"))
    assert message.status == MessageStatus.DEFERRED
    assert message.next_attempt_at == clock.now() + settings.retry_base_seconds
    assert app.scheduler.pending() == [(message.id, clock.now() + settings.retry_base_seconds)]


class _Spy:
    def __init__(self, service):
        self.service = service
        self.drafts = []

    def submit(self, draft):
        self.drafts.append(draft)
        return self.service.submit(draft)


def test_json_api_submits_through_the_service(app):
    spy = _Spy(app.submissions)
    app.submissions = spy
    response = submit(app, to="Bob <bob@example.com>", priority="bulk", tags=["x"])
    assert response.status == 202
    [draft] = spy.drafts
    assert draft.to == ["Bob <bob@example.com>"] and draft.priority == Priority.BULK
    assert draft.source == "api" and tuple(draft.tags) == ("x",)
    templated = call(app, "POST", "/messages/template",
                     {"to": "bob@example.com", "template": "welcome",
                      "context": {"name": "Bob", "product": "Postroom"}})
    assert templated.status == 202
    assert spy.drafts[-1].subject == "Welcome to Postroom"


def test_batch_import_submits_through_the_service(app):
    spy = _Spy(app.submissions)
    app.submissions = spy
    csv = ("to,subject,body,priority\n"
           "a@example.com;b@example.com,S,Line\\nbreak,\n"
           "c@example.com,S,x,urgent\n")
    response = call(app, "POST", "/batches", csv, headers=ADMIN)
    assert response.body["accepted"] == 2
    assert [d.source for d in spy.drafts] == ["batch", "batch"]
    assert spy.drafts[0].to == ["a@example.com", "b@example.com"]
    assert spy.drafts[0].body == "Line\nbreak" and spy.drafts[0].priority == Priority.BULK
    assert spy.drafts[1].priority == Priority.URGENT


def test_batch_rows_report_the_services_reasons(app):
    many = ";".join(f"u{i}@example.com" for i in range(51))
    csv = ("to,subject,body\n"
           f"{many},S,x\n"
           f"a@example.com,{'s' * 201},x\n"
           "a@example.com,S,x\n")
    app.suppression.add("a@example.com", "manual")
    report = call(app, "POST", "/batches", csv, headers=ADMIN).body
    assert report["rejected"] == [
        {"line": 2, "reason": "at most 50 recipients"},
        {"line": 3, "reason": "subject must be a string of at most 200 characters"},
        {"line": 4, "reason": "every recipient is on the suppression list"},
    ]


def test_dropbox_submits_through_the_service(app):
    spy = _Spy(app.submissions)
    app.submissions = spy
    raw = ("From: Billing <billing@example.com>\nTo: alice@example.com\n"
           "Subject: " + "s" * 300 + "\nMessage-ID: <inv-1@billing>\n\nHello\n")
    response = call(app, "POST", "/dropbox", raw)
    assert response.status == 202
    [draft] = spy.drafts
    assert draft.source == "smtp" and draft.sender == "billing@example.com"
    assert len(draft.subject) == 200           # the drop box cuts long subjects
    again = call(app, "POST", "/dropbox", raw)
    assert again.status == 409 and again.body["id"] == response.body["id"]
