import pytest

from mailq.audit import AuditLog
from mailq.clock import FakeClock
from mailq.dedup import DuplicateFilter
from mailq.errors import Conflict, NotFound
from mailq.ids import IdSequence, make_message_id, normalize_message_id
from mailq.message import Message, MessageStatus
from mailq.spool import Spool
from mailq.suppression import SuppressionList
from mailq.throttle import DomainThrottle


def _message(spool_id, **fields):
    values = dict(id=spool_id, message_id=f"<{spool_id}@t>", sender="s@example.com",
                  recipients=["r@example.com"], subject="s", body="b", created_at=100.0)
    values.update(fields)
    return Message(**values)


def test_spool_transitions():
    spool = Spool()
    spool.add(_message(1))
    with pytest.raises(Conflict):
        spool.add(_message(1))
    assert spool.transition(1, MessageStatus.SENDING, attempts=1).attempts == 1
    assert spool.transition(1, MessageStatus.DELIVERED).status == MessageStatus.DELIVERED
    with pytest.raises(Conflict):
        spool.transition(1, MessageStatus.QUEUED)
    with pytest.raises(NotFound):
        spool.require(2)
    assert spool.counts()["delivered"] == 1


def test_spool_returns_copies_and_lists():
    spool = Spool()
    for i in range(1, 4):
        spool.add(_message(i))
    copy = spool.get(1)
    copy.recipients.append("x@example.com")
    assert spool.get(1).recipients == ["r@example.com"]
    assert [m.id for m in spool.list(limit=2, offset=1)] == [2, 3]
    assert spool.find_by_message_id("<3@t>").id == 3
    spool.transition(2, MessageStatus.CANCELLED)
    assert spool.purge_final(before=200.0) == 1
    assert len(spool) == 2


def test_dedup_filter_ttl():
    clock = FakeClock(1000.0)
    dedup = DuplicateFilter(60, clock)
    assert dedup.register("<a@x>") is True
    assert dedup.register("<a@x>") is False
    assert dedup.seen_recently("<a@x>")
    clock.advance(61)
    assert not dedup.seen_recently("<a@x>")
    assert dedup.register("<a@x>") is True
    assert dedup.forget("<a@x>") is True
    assert len(dedup) == 0


def test_suppression_list():
    sup = SuppressionList(FakeClock())
    sup.add("Bob@Example.com", "hard-bounce", note="550 no such user")
    assert sup.is_suppressed("bob@example.com")
    assert sup.filter(["bob@example.com", "amy@example.com"]) == (["amy@example.com"],
                                                                  ["bob@example.com"])
    with pytest.raises(ValueError):
        sup.add("x@example.com", "because")
    assert [e.address for e in sup.entries("hard-bounce")] == ["bob@example.com"]
    assert sup.remove("BOB@example.com") is True
    assert not sup.is_suppressed("not an address")


def test_throttle_refills_over_time():
    clock = FakeClock(0.0)
    throttle = DomainThrottle(60, clock, burst=2)
    assert throttle.try_acquire("x.org") == (True, 0.0)
    assert throttle.try_acquire("x.org") == (True, 0.0)
    ok, wait = throttle.try_acquire("x.org")
    assert not ok and wait == pytest.approx(1.0)
    clock.advance(1.0)
    assert throttle.try_acquire("x.org")[0]
    assert throttle.try_acquire("y.org")[0]


def test_ids_and_message_ids():
    ids = IdSequence()
    assert [ids.next_id() for _ in range(3)] == [1, 2, 3]
    assert make_message_id(7, 1700000000.5, "h") == "<1700000000.7@h>"
    assert normalize_message_id("abc@x") == "<abc@x>"
    with pytest.raises(ValueError):
        normalize_message_id("no at sign")


def test_audit_log_limit():
    log = AuditLog(FakeClock(), limit=2)
    for action in ("a", "b", "c"):
        log.record(action, by="me")
    assert log.actions() == ["b", "c"]
    assert log.entries("c")[0]["by"] == "me"
