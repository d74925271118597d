"""Race detector: stock figures must stay balanced under concurrent updates.

Explores thread interleavings of the stock reservation code with
refbench_race (PYTHONPATH must include harness/python).  Uses only the
public API of the stock levels (StockLedger(), track, reserve, recount,
level, held), which a refactor of the order workflow keeps.

Invariant: available + reserved == on_hand for every SKU, whenever another
thread can look.
"""

import sys

from refbench_race import assert_no_race

from pyshop.inventory import ledger as ledger_module
from pyshop.inventory.ledger import StockLedger

SKU = "GAME-CATAN"
# The module under test, plus wherever the class lives should it be re-exported.
TARGETS = sorted({ledger_module.__name__, StockLedger.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=300, timeout=5.0)


def _balanced(level):
    return level.available + level.reserved == level.on_hand


def _ledger():
    ledger = StockLedger()
    ledger.track(SKU, 10)
    ledger.reserve(SKU, 2, "SO-2023-000001")     # an open order already holds 2
    return ledger


def test_stock_count_during_a_reservation_keeps_the_books_balanced():
    def setup():
        return _ledger()

    def place_order(ledger):
        ledger.reserve(SKU, 3, "SO-2023-000002")

    def stock_count(ledger):
        ledger.recount(SKU, 8)

    def check(ledger):
        level = ledger.level(SKU)
        assert _balanced(level), (f"available {level.available} + reserved {level.reserved} "
                                  f"!= on hand {level.on_hand}")
        assert level.on_hand == 8 and level.reserved == 5 and level.available == 3, level
        assert ledger.held("SO-2023-000002") == {SKU: 3}

    assert_no_race(setup, [("checkout", place_order), ("stock-count", stock_count)],
                   check, TARGETS, **OPTIONS)


def test_readers_never_see_half_a_reservation():
    def setup():
        return {"ledger": _ledger(), "seen": []}

    def place_order(state):
        state["ledger"].reserve(SKU, 3, "SO-2023-000002")

    def stock_page(state):
        state["seen"].append(state["ledger"].level(SKU))

    def check(state):
        for level in state["seen"]:
            assert _balanced(level), f"a reader saw unbalanced stock: {level}"
        assert _balanced(state["ledger"].level(SKU))

    assert_no_race(setup, [("checkout", place_order), ("stock-page", stock_page)],
                   check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
