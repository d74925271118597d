"""Race detector (seeding pool): every stock movement keeps the ledger exact.

Explores thread interleavings of the stock ledger with refbench_race
(PYTHONPATH must include harness/python), at opcode granularity so that a
read-modify-write such as ``level.on_hand += qty`` can be interrupted in the
middle.  Uses only the public API of the stock ledger (StockLedger(), track,
receive, reserve, release, commit, level, held).

Invariants: ``available + reserved == on_hand`` whenever another thread can
look, no unit is lost or counted twice, and stock is never promised twice.
"""

import sys

from refbench_race import assert_no_race

from pyshop.errors import InsufficientStock
from pyshop.inventory import ledger as ledger_module
from pyshop.inventory.ledger import StockLedger

SKU = "GAME-AZUL"
TARGETS = sorted({ledger_module.__name__, StockLedger.__module__})
OPTIONS = dict(strategy="exhaustive", preemption_bound=2, max_schedules=400, timeout=5.0,
               granularity="opcode")


def _ledger():
    ledger = StockLedger()
    ledger.track(SKU, 10)
    ledger.reserve(SKU, 2, "SO-1")
    ledger.reserve(SKU, 1, "SO-2")
    return ledger


def _exact(ledger, on_hand, reserved):
    level = ledger.level(SKU)
    assert level.available + level.reserved == level.on_hand, f"unbalanced: {level}"
    assert (level.on_hand, level.reserved) == (on_hand, reserved), level


def test_two_deliveries_both_count():
    def first(ledger):
        ledger.receive(SKU, 3)

    def second(ledger):
        ledger.receive(SKU, 4)

    assert_no_race(_ledger, [("delivery-1", first), ("delivery-2", second)],
                   lambda ledger: _exact(ledger, 17, 3), TARGETS, **OPTIONS)


def test_cancelling_while_a_delivery_arrives():
    def cancel(ledger):
        assert ledger.release("SO-1") == {SKU: 2}

    def delivery(ledger):
        ledger.receive(SKU, 5)

    assert_no_race(_ledger, [("cancel", cancel), ("delivery", delivery)],
                   lambda ledger: _exact(ledger, 15, 1), TARGETS, **OPTIONS)


def test_shipping_while_a_delivery_arrives():
    def ship(ledger):
        assert ledger.commit("SO-1") == {SKU: 2}

    def delivery(ledger):
        ledger.receive(SKU, 5)

    assert_no_race(_ledger, [("ship", ship), ("delivery", delivery)],
                   lambda ledger: _exact(ledger, 13, 1), TARGETS, **OPTIONS)


def test_cancel_and_ship_of_two_orders():
    def cancel(ledger):
        ledger.release("SO-1")

    def ship(ledger):
        ledger.commit("SO-2")

    def check(ledger):
        _exact(ledger, 9, 0)
        assert ledger.references() == []

    assert_no_race(_ledger, [("cancel", cancel), ("ship", ship)], check, TARGETS, **OPTIONS)


def test_the_last_units_are_promised_once():
    def setup():
        return {"ledger": _ledger(), "won": []}

    def order(name):
        def place(state):
            try:
                state["ledger"].reserve(SKU, 5, name)
                state["won"].append(name)
            except InsufficientStock:
                pass
        return place

    def check(state):
        assert len(state["won"]) == 1, f"7 units available, two orders of 5 won: {state['won']}"
        _exact(state["ledger"], 10, 8)

    assert_no_race(setup, [("order-a", order("SO-A")), ("order-b", order("SO-B"))],
                   check, TARGETS, **OPTIONS)


if __name__ == "__main__":  # pragma: no cover - manual run
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))
