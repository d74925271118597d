"""Race detector: a cache region created on first use must be created once.

Explores thread interleavings of the application's named cache regions with
refbench_race (PYTHONPATH must include harness/python).  Uses only the public
API of the cache registry (CacheRegistry(clock=..., default_ttl=...),
region(name), names(), and CacheRegion.get/set/get_or_set), which a refactor
of the pricing code keeps.
"""

import sys

from refbench_race import assert_no_race

from pyshop.cache import registry as cache_registry
from pyshop.cache.registry import CacheRegistry
from pyshop.clock import FakeClock

# The module under test, plus wherever the class lives should it be re-exported.
TARGETS = sorted({cache_registry.__name__, CacheRegistry.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=300, timeout=5.0)


def _registry():
    return CacheRegistry(clock=FakeClock(1_700_000_000.0), default_ttl=300)


def test_first_use_from_two_threads_shares_one_region():
    def setup():
        return {"registry": _registry(), "regions": {}}

    def cache_price(sku, cents):
        def run(state):
            region = state["registry"].region("prices")
            region.set(f"{sku}:retail", cents)
            state["regions"][sku] = region
        return run

    def check(state):
        registry = state["registry"]
        a, b = state["regions"]["BOOK-DUNE"], state["regions"]["GAME-CATAN"]
        assert a is b, "two threads asking for region 'prices' got two different region objects"
        assert registry.names() == ["prices"], f"regions: {registry.names()}"
        region = registry.region("prices")
        assert region.get("BOOK-DUNE:retail") == 1500, "the price cached by thread A was lost"
        assert region.get("GAME-CATAN:retail") == 4500, "the price cached by thread B was lost"

    assert_no_race(setup, [("price-A", cache_price("BOOK-DUNE", 1500)),
                           ("price-B", cache_price("GAME-CATAN", 4500))],
                   check, TARGETS, **OPTIONS)


def test_entries_loaded_concurrently_all_land_in_the_shared_region():
    def setup():
        return {"registry": _registry(), "loads": []}

    def lookup(sku):
        def run(state):
            region = state["registry"].region("variants")
            region.get_or_set(sku, lambda: state["loads"].append(sku) or f"variant {sku}")
        return run

    def check(state):
        registry = state["registry"]
        assert registry.names() == ["variants"], f"regions: {registry.names()}"
        region = registry.region("variants")
        for sku in ("DICE-RED", "DICE-BLUE"):
            assert region.get(sku) == f"variant {sku}", f"the entry loaded for {sku} was lost"
        registry.invalidate("variants", "DICE-RED")
        assert "DICE-RED" not in registry.region("variants"), "invalidation missed the shared region"

    assert_no_race(setup, [("request-A", lookup("DICE-RED")), ("request-B", lookup("DICE-BLUE"))],
                   check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
