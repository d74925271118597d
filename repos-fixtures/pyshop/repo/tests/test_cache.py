import pytest

from pyshop.cache.decorators import memoize
from pyshop.cache.registry import CacheRegion, CacheRegistry
from pyshop.clock import FakeClock


@pytest.fixture
def registry(clock):
    return CacheRegistry(clock=clock, default_ttl=60)


def test_region_get_set_delete(registry):
    region = registry.region("prices")
    assert region.get("a") is None and region.get("a", 5) == 5
    region.set("a", 1)
    assert region.get("a") == 1 and "a" in region and len(region) == 1
    assert region.delete("a") is True and region.delete("a") is False
    assert region.stats() == {"name": "prices", "entries": 0, "hits": 1, "misses": 2}


def test_entries_expire_with_the_clock(registry, clock):
    region = registry.region("short", ttl=10)
    region.set("k", "v")
    clock.advance(9)
    assert region.get("k") == "v"
    clock.advance(1)
    assert region.get("k") is None
    region.set("forever", 1, ttl=None)
    assert region.ttl == 10


def test_least_recently_used_entry_is_evicted():
    region = CacheRegion("lru", clock=FakeClock(), max_entries=2)
    region.set("a", 1)
    region.set("b", 2)
    region.get("a")
    region.set("c", 3)
    assert region.keys() == ["a", "c"]
    with pytest.raises(ValueError):
        CacheRegion("bad", clock=FakeClock(), max_entries=0)


def test_registry_hands_out_one_region_per_name(registry):
    first = registry.region("variants")
    first.set("SKU-1", "x")
    assert registry.region("variants") is first
    assert registry.region("variants").get("SKU-1") == "x"
    registry.region("prices", ttl=5)
    assert registry.names() == ["prices", "variants"]
    assert registry.regions_created == 2
    assert registry.peek("nope") is None
    assert [s["name"] for s in registry.stats()] == ["prices", "variants"]


def test_invalidate_and_clear_all(registry):
    registry.region("a").set(1, 1)
    registry.region("a").set(2, 2)
    registry.region("b").set(1, 1)
    registry.invalidate("a", 1)
    assert registry.region("a").keys() == [2]
    registry.invalidate("missing")
    registry.clear_all()
    assert len(registry.region("a")) == 0 and len(registry.region("b")) == 0


def test_memoize_decorator(registry):
    class Thing:
        def __init__(self):
            self.cache = registry
            self.calls = 0

        @memoize(lambda self: self.cache, "things")
        def compute(self, x):
            self.calls += 1
            return x * 2

    thing = Thing()
    assert thing.compute(2) == 4 and thing.compute(2) == 4
    assert thing.calls == 1
    assert Thing.compute.uncached(thing, 3) == 6
