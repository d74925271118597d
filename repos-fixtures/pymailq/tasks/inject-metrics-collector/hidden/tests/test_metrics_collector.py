import pytest

from mailq import metrics
from mailq.app import Application
from mailq.metrics import MetricsCollector, MetricsFlusher, default_collector
from mailq.mx import RoutingTable
from mailq.pool import PoolManager
from mailq.transports.memory import MemoryRelay, MemoryTransport
from mailq.webhooks import WebhookDispatcher

from .conftest import call, submit


def _app(settings, clock, relay, collector=None):
    def factory(url):
        return MemoryTransport("relay", relay=relay)
    return Application(settings, clock, routing=RoutingTable(default=["memory://relay"]),
                       transport_factory=factory, metrics=collector)


def test_collector_counts_observes_and_flushes():
    collector = MetricsCollector()
    seen = []
    collector.add_sink(seen.append)
    collector.incr("a")
    collector.incr("a", 2, kind="x")
    collector.observe("t", 1.5)
    collector.observe("t", 0.5)
    collector.gauge("g", 3)
    assert collector.counter("a") == 1 and collector.counter("a", kind="x") == 2
    data = collector.flush()
    assert seen == [data]
    assert data["counters"] == {"a": 1, "a{kind=x}": 2}
    assert data["timings"]["t"] == {"count": 2, "sum": 2.0, "min": 0.5, "max": 1.5}
    assert collector.snapshot() == {"counters": {}, "gauges": {"g": 3}, "timings": {}}
    assert collector.flush_count() == 1
    collector.remove_sink(seen.append)
    collector.reset()
    assert collector.flush_count() == 0 and collector.snapshot()["gauges"] == {}
    # Nothing of this reached the process default collector.
    assert metrics.snapshot() == {"counters": {}, "gauges": {}, "timings": {}}


def test_broken_sink_is_counted_in_its_collector():
    collector = MetricsCollector()

    def broken(_):
        raise RuntimeError("statsd is down")
    collector.add_sink(broken)
    collector.flush()
    assert collector.counter("metrics.sink_errors") == 1
    assert metrics.counter("metrics.sink_errors") == 0


def test_flusher_runs_on_its_own_collector():
    collector = MetricsCollector()
    seen = []
    collector.add_sink(seen.append)
    flusher = MetricsFlusher(collector, 3600)
    assert not flusher.running
    flusher.start()
    assert flusher.running
    collector.incr("x")
    flusher.stop()
    assert not flusher.running
    assert seen[-1]["counters"] == {"x": 1}
    flusher.stop(final_flush=False)
    assert collector.flush_count() == 1
    with pytest.raises(ValueError):
        MetricsFlusher(collector, 0)


def test_module_functions_use_the_process_default_collector():
    metrics.incr("legacy.counter", 3)
    assert default_collector().counter("legacy.counter") == 3
    assert default_collector() is default_collector()


def test_application_records_into_the_injected_collector(settings, clock, relay):
    collector = MetricsCollector()
    app = _app(settings, clock, relay, collector)
    assert app.metrics is collector
    submit(app)
    app.process_pending()
    assert collector.counter("intake.accepted", source="api") == 1
    assert collector.counter("delivery.attempt") == 1
    assert collector.counter("delivery.delivered") == 1
    assert collector.counter("api.request", status=202) == 1
    assert metrics.snapshot()["counters"] == {}


def test_default_application_uses_the_process_default(settings, clock, relay):
    app = _app(settings, clock, relay)
    assert app.metrics is default_collector()


def test_two_applications_keep_their_metrics_apart(settings, clock, relay):
    transactional, bulk = MetricsCollector(), MetricsCollector()
    first = _app(settings, clock, relay, transactional)
    second = _app(settings, clock, MemoryRelay(), bulk)
    submit(first)
    first.process_pending()
    assert transactional.counter("delivery.delivered") == 1
    assert bulk.snapshot()["counters"] == {}
    second.housekeeper.run_once()
    assert bulk.snapshot()["gauges"]["queue.length"] == 0
    assert "queue.length" not in transactional.snapshot()["gauges"]


def test_retries_bounces_and_scheduler_record_into_the_app_collector(settings, clock, relay):
    collector = MetricsCollector()
    app = _app(settings, clock, relay, collector)
    relay.script("alice", [451, 250])
    relay.script("ghost", [550])
    submit(app, message_id="r1@x")
    submit(app, to=["ghost@example.com"], message_id="r2@x", **{"from": "shop@example.com"})
    app.process_pending()
    assert collector.counter("delivery.deferred") == 1
    assert collector.counter("bounce.recipient", code=550) == 1
    assert collector.counter("bounce.notice") == 1
    clock.advance(60)
    app.scheduler.release_due()
    assert collector.counter("scheduler.released") == 1
    assert app.scheduler.metrics is collector and app.bounces.metrics is collector
    assert metrics.snapshot()["counters"] == {}


def test_pools_and_webhooks_record_into_their_collector(clock):
    collector = MetricsCollector()
    manager = PoolManager(1, factory=lambda url: MemoryTransport("r", MemoryRelay()),
                          metrics=collector)
    pool = manager.pool_for("memory://r")
    pool.release(pool.acquire())
    pool.release(pool.acquire())
    assert collector.counter("pool.opened", url="memory://r") == 1

    def down(url, body):
        raise OSError("refused")
    hooks = WebhookDispatcher(clock, sender=down, metrics=collector)
    assert hooks.metrics is collector
    assert WebhookDispatcher(clock).metrics is default_collector()


def test_start_and_stop_flush_the_application_collector(settings, clock, relay):
    collector = MetricsCollector()
    app = _app(settings, clock, relay, collector)
    seen = []
    collector.add_sink(seen.append)
    submit(app)
    app.start()
    try:
        assert app.flusher.running and app.flusher.collector is collector
        assert app.queue.join(timeout=10)
    finally:
        app.stop()
    assert not app.flusher.running
    assert collector.flush_count() == 1
    assert seen[-1]["counters"]["delivery.delivered"] == 1
    assert metrics.flush_count() == 0


def test_stats_endpoint_reads_the_application_collector(settings, clock, relay):
    collector = MetricsCollector()
    app = _app(settings, clock, relay, collector)
    submit(app)
    metrics.incr("noise.from.elsewhere")
    stats = call(app, "GET", "/stats").body
    assert stats["counters"] == {"intake.accepted{source=api}": 1, "api.request{status=202}": 1}
