from mailq import metrics
from mailq.clock import FakeClock
from mailq.dedup import DuplicateFilter
from mailq.outbound_queue import OutboundQueue
from mailq.pool import PoolManager
from mailq.reporting import delivery_summary, render_report
from mailq.scheduler import RetryScheduler
from mailq.spool import Spool
from mailq.stats import ServiceStats
from mailq.suppression import SuppressionList

from .conftest import ADMIN, call, submit


class _Transport:
    closed = False

    def noop(self):
        return True

    def close(self):
        self.closed = True


def _components(settings):
    clock = FakeClock(1_700_000_000.0)
    spool = Spool()
    queue = OutboundQueue(7)
    parts = dict(spool=spool, queue=queue,
                 scheduler=RetryScheduler(spool, queue, clock, settings),
                 suppression=SuppressionList(clock), dedup=DuplicateFilter(60, clock),
                 pools=PoolManager(2, lambda url: _Transport()))
    return parts, clock


def test_overview_of_empty_components(settings):
    parts, _ = _components(settings)
    overview = ServiceStats(**parts).overview()
    assert overview["queue"] == {"length": 0, "capacity": 7}
    assert overview["deferred"] == 0 and overview["suppressed"] == 0
    assert overview["dedup_keys"] == 0 and overview["pools"] == []
    assert set(overview["spool"]) == {"queued", "sending", "deferred", "delivered", "bounced",
                                      "failed", "cancelled"}
    assert sum(overview["spool"].values()) == 0


def test_overview_reads_every_component(settings):
    parts, clock = _components(settings)
    parts["suppression"].add("eve@example.com", "complaint")
    parts["dedup"].register("<a@x>")
    parts["dedup"].register("<b@x>")
    parts["scheduler"].schedule(41, clock.now() + 60)
    pool = parts["pools"].pool_for("memory://relay-a")
    held = pool.acquire(timeout=0)
    overview = ServiceStats(**parts).overview()
    assert overview["suppressed"] == 1 and overview["dedup_keys"] == 2
    assert overview["deferred"] == 0
    assert overview["pools"] == [{"url": "memory://relay-a", "size": 2, "idle": 0, "in_use": 1,
                                  "opened": 1, "closed": False}]
    pool.release(held)
    assert ServiceStats(**parts).overview()["pools"][0]["idle"] == 1


def test_queue_state(settings):
    parts, clock = _components(settings)
    from mailq.message import Priority
    parts["queue"].put(5, Priority.URGENT, block=False)
    parts["queue"].put(6, Priority.NORMAL, block=False)
    parts["scheduler"].schedule(9, clock.now() + 30)
    parts["pools"].pool_for("memory://relay-b")
    state = ServiceStats(**parts).queue_state()
    assert state["urgent"] == [5] and state["normal"] == [6] and state["unfinished"] == 2
    assert state["capacity"] == 7
    assert state["scheduled"] == [{"id": 9, "due_at": clock.now() + 30}]
    assert [p["url"] for p in state["pools"]] == ["memory://relay-b"]


def test_record_gauges_includes_the_relay_pools(settings):
    parts, _ = _components(settings)
    pool = parts["pools"].pool_for("memory://relay-a")
    pool.release(pool.acquire(timeout=0))
    parts["pools"].pool_for("memory://relay-b").acquire(timeout=0)
    overview = ServiceStats(**parts).record_gauges()
    gauges = metrics.snapshot()["gauges"]
    assert gauges["pool.idle{url=memory://relay-a}"] == 1
    assert gauges["pool.in_use{url=memory://relay-a}"] == 0
    assert gauges["pool.in_use{url=memory://relay-b}"] == 1
    assert gauges["queue.length"] == 0 and gauges["dedup.keys"] == 0
    assert gauges["scheduler.pending"] == 0
    assert gauges["spool.messages{status=queued}"] == 0
    assert overview == ServiceStats(**parts).overview()


def test_the_application_builds_one_service_stats(app):
    assert isinstance(app.stats, ServiceStats)
    submit(app)
    app.dedup.register("<other@x>")
    overview = app.stats.overview()
    assert overview["spool"]["queued"] == 1
    assert overview["queue"] == {"length": 1, "capacity": 50}
    assert overview["dedup_keys"] == 2


def test_stats_endpoint_serves_the_overview_and_counters(app):
    submit(app)
    app.process_pending()
    body = call(app, "GET", "/stats").body
    overview = app.stats.overview()
    assert body["counters"]["intake.accepted{source=api}"] == 1
    assert {k: v for k, v in body.items() if k != "counters"} == overview
    assert [p["url"] for p in body["pools"]] == ["memory://relay-a"]
    assert body["dedup_keys"] == 1


class _Recorder:
    def __init__(self, real):
        self.real = real
        self.calls = []

    def __getattr__(self, name):
        method = getattr(self.real, name)

        def record(*args, **kwargs):
            self.calls.append(name)
            return method(*args, **kwargs)
        return record


def test_endpoints_report_and_housekeeping_use_the_application_stats(app, relay):
    recorder = app.stats = _Recorder(app.stats)
    submit(app)
    assert call(app, "GET", "/stats").status == 200
    assert call(app, "GET", "/admin/queue", headers=ADMIN).body["normal"] == [1]
    result = app.housekeeper.run_once()
    assert result["counts"]["queued"] == 1
    app.process_pending()
    assert delivery_summary(app)["delivered"] == 1
    assert "rate: 100.0%" in render_report(app)
    assert recorder.calls == ["overview", "queue_state", "record_gauges", "delivery_summary",
                              "delivery_summary"]


def test_delivery_summary(app, relay):
    relay.script("ghost", [550])
    submit(app, message_id="r1@x")
    submit(app, to=["ghost@example.com"], message_id="r2@x")
    submit(app, to=["bob@other.example"], message_id="r3@x")
    app.process_pending()
    summary = app.stats.delivery_summary()
    assert summary["total"] == 3 and summary["final"] == 3 and summary["delivered"] == 2
    assert summary["delivery_rate"] == 0.6667
    assert summary["by_status"]["bounced"] == 1 and summary["by_status"]["queued"] == 0
    assert summary["by_domain"] == {"example.com": 1, "other.example": 1}
    assert summary["suppressed_addresses"] == 1
    assert summary == delivery_summary(app)
