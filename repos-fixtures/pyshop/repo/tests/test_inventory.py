import pytest

from pyshop.errors import InsufficientStock, NotFound, ValidationError
from pyshop.inventory.ledger import StockLedger, StockLevel


def test_ledger_reserve_release_commit():
    ledger = StockLedger()
    ledger.track("SKU-1", 10)
    assert ledger.reserve("SKU-1", 3, "SO-1") == StockLevel("SKU-1", 10, 3, 7)
    ledger.reserve("SKU-1", 2, "SO-2")
    ledger.reserve("SKU-1", 1, "SO-2")
    assert ledger.held("SO-2") == {"SKU-1": 3}
    assert ledger.release("SO-1") == {"SKU-1": 3}
    assert ledger.release("SO-1") == {}
    assert ledger.commit("SO-2") == {"SKU-1": 3}
    assert ledger.level("SKU-1") == StockLevel("SKU-1", 7, 0, 7)
    assert ledger.references() == []


def test_ledger_refuses_to_oversell():
    ledger = StockLedger()
    ledger.track("SKU-1", 2)
    with pytest.raises(InsufficientStock) as info:
        ledger.reserve("SKU-1", 3, "SO-1")
    assert info.value.available == 2 and info.value.to_dict()["error"] == "insufficient_stock"
    with pytest.raises(ValidationError):
        ledger.reserve("SKU-1", 0, "SO-1")
    with pytest.raises(NotFound):
        ledger.reserve("SKU-9", 1, "SO-1")
    assert ledger.level("SKU-1").available == 2


def test_recount_keeps_reservations():
    ledger = StockLedger()
    ledger.track("SKU-1", 10)
    ledger.reserve("SKU-1", 4, "SO-1")
    assert ledger.recount("SKU-1", 6) == StockLevel("SKU-1", 6, 4, 2)
    ledger.receive("SKU-1", 5)
    assert ledger.level("SKU-1") == StockLevel("SKU-1", 11, 4, 7)
    with pytest.raises(ValidationError):
        ledger.recount("SKU-1", -1)


def test_reserve_lines_is_all_or_nothing(shop, app):
    with pytest.raises(InsufficientStock):
        app.inventory.reserve_lines("SO-X", [("BOOK-DUNE", 2), ("GAME-CATAN", 11)])
    assert shop.level("BOOK-DUNE").reserved == 0
    assert app.ledger.held("SO-X") == {}
    with pytest.raises(InsufficientStock):
        app.inventory.reserve_lines("SO-Y", [("NOT-STOCKED", 1)])
    app.inventory.reserve_lines("SO-Z", [("BOOK-DUNE", 2), ("GAME-CATAN", 1)], actor="tester")
    assert app.inventory.movements.kinds_for("SO-Z") == ["reserve", "reserve"]
    assert app.inventory.release("SO-Z") == {"BOOK-DUNE": 2, "GAME-CATAN": 1}
    assert app.inventory.movements.kinds_for("SO-Z") == ["reserve", "reserve", "release", "release"]


def test_receive_and_recount_are_logged(shop, app):
    app.inventory.receive("DICE-RED", 5, actor="wh", note="PO 17")
    app.inventory.recount("DICE-RED", 52, actor="wh")
    moves = app.inventory.movements.for_sku("DICE-RED")
    assert [(m.kind, m.quantity) for m in moves] == [("receive", 50), ("receive", 5), ("recount", -3)]
    assert app.inventory.available("DICE-RED") == 52
    assert app.inventory.available("UNKNOWN") == 0
    app.inventory.receive("NEW-SKU", 3)
    assert app.inventory.available("NEW-SKU") == 3


def test_low_stock_is_reported(shop, app):
    app.inventory.reserve_lines("SO-1", [("GAME-CATAN", 6)])
    assert app.low_stock.pending() == {"GAME-CATAN": 4}
    assert app.events.history("stock.low")[-1][1] == {"sku": "GAME-CATAN", "available": 4}


def test_admin_stock_endpoints(shop, app, admin_token):
    resp = app.call("POST", "/admin/stock/game-catan/receive", {"quantity": 5}, token=admin_token)
    assert resp.status == 200 and resp.body["on_hand"] == 15
    resp = app.call("POST", "/admin/stock/GAME-CATAN/recount", {"counted": 12}, token=admin_token)
    assert resp.body == {"sku": "GAME-CATAN", "on_hand": 12, "reserved": 0, "available": 12}
    assert app.call("POST", "/admin/stock/GAME-CATAN/receive", {"quantity": 0},
                    token=admin_token).status == 400
    report = app.call("GET", "/admin/stock", token=admin_token).body["stock"]
    assert {r["sku"]: r["status"] for r in report}["GAME-CATAN"] == "ok"
    moves = app.call("GET", "/admin/stock/GAME-CATAN/movements", token=admin_token).body["movements"]
    assert [m["kind"] for m in moves] == ["receive", "receive", "recount"]
