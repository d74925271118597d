"""Race detector: the process-wide transport registry must never be seen
before its built-in schemes are registered, and must be built once.

Explores thread interleavings of the first use of the registry with
refbench_race (PYTHONPATH must include harness/python).  Uses only the
module's public API (default_registry(), reset_default_registry(),
create_transport(), TransportRegistry.create/schemes), which a refactor of
the metrics plumbing keeps.
"""

import sys

from refbench_race import assert_no_race

from mailq.transports import registry as registry_module

TARGETS = sorted({registry_module.__name__, registry_module.default_registry.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=800, timeout=5.0)


def _setup():
    registry_module.reset_default_registry()
    return {"registries": [], "sent": []}


def _first_use(state):
    registry = registry_module.default_registry()
    state["registries"].append(registry)
    transport = registry.create("null://load-test")
    state["sent"].append(transport.send("a@example.com", ["b@example.com"], "data")[0].code)


def test_first_use_from_two_workers():
    def check(state):
        first, second = state["registries"]
        assert first is second, "two process-wide registries were built"
        assert state["sent"] == [250, 250], state["sent"]
        assert first.schemes() == ["memory", "null", "smtp"], first.schemes()

    assert_no_race(_setup, [("worker-1", _first_use), ("worker-2", _first_use)], check,
                   TARGETS, **OPTIONS)


def test_first_use_through_create_transport():
    def through_helper(state):
        transport = registry_module.create_transport("null://x")
        state["sent"].append(transport.send("a@example.com", ["b@example.com"], "d")[0].code)

    def check(state):
        assert sorted(state["sent"]) == [250, 250], state["sent"]
        assert registry_module.default_registry() is state["registries"][0]

    assert_no_race(_setup, [("worker", _first_use), ("cli", through_helper)], check,
                   TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
