import pytest

from mailq import metrics
from mailq.errors import PoolExhausted, UnknownTransport
from mailq.mime import encode_header_value, fold_header, render
from mailq.message import Message
from mailq.mx import RelayResolver, RoutingTable
from mailq.pool import ConnectionPool, PoolManager
from mailq.settings import Settings, from_env
from mailq.templates import TemplateStore
from mailq.transports.memory import MemoryRelay, MemoryTransport
from mailq.transports.registry import create_transport, default_registry


def test_metrics_counters_and_flush():
    seen = []
    metrics.add_sink(seen.append)
    metrics.incr("a")
    metrics.incr("a", 2, kind="x")
    metrics.observe("t", 1.5)
    metrics.observe("t", 0.5)
    metrics.gauge("g", 7)
    assert metrics.counter("a") == 1 and metrics.counter("a", kind="x") == 2
    data = metrics.flush()
    assert seen == [data]
    assert data["timings"]["t"] == {"count": 2, "sum": 2.0, "min": 0.5, "max": 1.5}
    assert metrics.snapshot() == {"counters": {}, "gauges": {"g": 7}, "timings": {}}
    assert metrics.flush_count() == 1


def test_broken_sink_is_counted():
    def broken(_):
        raise RuntimeError("down")
    metrics.add_sink(broken)
    metrics.flush()
    assert metrics.counter("metrics.sink_errors") == 1


def test_flusher_thread_starts_and_stops():
    seen = []
    metrics.add_sink(seen.append)
    metrics.start_flusher(3600)
    metrics.incr("x")
    metrics.stop_flusher()
    assert seen and seen[-1]["counters"] == {"x": 1}


def test_registry_schemes():
    assert default_registry().schemes() == ["memory", "null", "smtp"]
    assert create_transport("null://").send("a@x.org", ["b@y.org"], "data")[0].ok
    with pytest.raises(UnknownTransport):
        create_transport("carrier-pigeon://loft")


def test_pool_reuses_and_bounds_connections():
    relay = MemoryRelay()
    pool = ConnectionPool("memory://r", 1, factory=lambda url: MemoryTransport("r", relay))
    first = pool.acquire()
    with pytest.raises(PoolExhausted):
        pool.acquire(timeout=0.01)
    pool.release(first)
    assert pool.acquire() is first
    pool.release(first, broken=True)
    assert first.closed
    second = pool.acquire()
    assert second is not first
    assert pool.stats()["opened"] == 2
    pool.release(second)
    pool.close()
    with pytest.raises(PoolExhausted):
        pool.acquire()


def test_pool_manager_shares_pools_per_url():
    manager = PoolManager(2, factory=lambda url: MemoryTransport("r", MemoryRelay()))
    assert manager.pool_for("memory://a") is manager.pool_for("memory://a")
    assert manager.pool_for("memory://b") is not manager.pool_for("memory://a")
    assert [s["url"] for s in manager.stats()] == ["memory://a", "memory://b"]
    manager.close_all()
    assert manager.stats() == []


def test_routing_and_resolver_cache(clock):
    table = RoutingTable(default=["smtp://d"], routes={"example.com": ["smtp://e"]})
    assert table.lookup("mail.Example.com") == ["smtp://e"]
    assert table.lookup("other.org") == ["smtp://d"]
    resolver = RelayResolver(table, clock, cache_seconds=10)
    resolver.resolve("example.com")
    resolver.resolve("example.com")
    assert resolver.lookups == 1
    clock.advance(10)
    resolver.resolve("example.com")
    assert resolver.lookups == 2
    resolver.reload(RoutingTable(default=["smtp://z"]))
    assert resolver.resolve("example.com") == ["smtp://z"]


def test_templates():
    store = TemplateStore()
    store.register("t", "Hi $name", "Body ${name}!")
    assert store.render("t", {"name": "Ann"}) == ("Hi Ann", "Body Ann!")
    assert store.placeholders("t") == {"name"}
    with pytest.raises(ValueError):
        store.register("bad", "$", "x")


def test_mime_rendering():
    message = Message(id=1, message_id="<1@h>", sender="a@x.org", recipients=["b@y.org"],
                      subject="Grüße", body="Schöne Grüße", created_at=0.0,
                      headers={"X-Tag": "t"})
    text = render(message)
    assert "Subject: =?utf-8?b?" in text
    assert "Content-Transfer-Encoding: base64" in text
    assert "Date: Thu, 01 Jan 1970 00:00:00 +0000" in text
    assert encode_header_value("plain") == "plain"
    folded = fold_header("To", ", ".join(f"user{i}@example.com" for i in range(8)))
    assert all(len(line) <= 78 for line in folded.split("\r\n"))


def test_settings_from_env():
    settings = from_env({"POSTROOM_WORKER_COUNT": "8", "POSTROOM_HOSTNAME": "mx",
                         "POSTROOM_HARD_BOUNCE_SUPPRESSES": "no",
                         "POSTROOM_RETRY_BASE_SECONDS": "30"})
    assert settings.worker_count == 8 and settings.hostname == "mx"
    assert settings.hard_bounce_suppresses is False
    assert settings.retry_base_seconds == 30.0
    with pytest.raises(ValueError, match="POSTROOM_QUEUE_CAPACITY"):
        from_env({"POSTROOM_QUEUE_CAPACITY": "lots"})
    with pytest.raises(ValueError):
        from_env({"POSTROOM_WORKER_COUNT": "0"})
    assert Settings().queue_capacity == 1000
