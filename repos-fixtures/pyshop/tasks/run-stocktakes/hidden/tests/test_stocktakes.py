"""Stocktakes: numbered counts of the warehouse, applied when closed."""

import pytest

from pyshop.errors import Conflict, NotFound, ValidationError
from pyshop.inventory.stocktake import StockTake, StockTakeService


def test_application_exposes_stocktakes(app):
    assert isinstance(app.stocktakes, StockTakeService)


def test_a_count_is_applied_when_closed(shop, app, clock):
    app.inventory.reserve_lines("SO-1", [("DICE-RED", 4)])
    take = app.stocktakes.start(["dice-red", "BOOK-DUNE", "GAME-CATAN"], actor="wh@example.com")
    assert isinstance(take, StockTake)
    assert take.number == "ST-000001" and take.status == "open"
    assert take.expected == {"BOOK-DUNE": 20, "DICE-RED": 50, "GAME-CATAN": 10}
    assert take.opened_by == "wh@example.com" and take.opened_at == clock.now()
    app.stocktakes.record("ST-000001", "dice-red", 45, actor="wh@example.com")
    app.stocktakes.record("ST-000001", "BOOK-DUNE", 21, actor="wh@example.com")
    take = app.stocktakes.record("ST-000001", "DICE-RED", 47, actor="wh@example.com")
    assert take.counted == {"DICE-RED": 47, "BOOK-DUNE": 21}
    # nothing moves before the stocktake is closed
    assert shop.level("DICE-RED").on_hand == 50 and shop.level("BOOK-DUNE").on_hand == 20
    clock.advance(60)
    take = app.stocktakes.close("ST-000001", actor="lead@example.com")
    assert take.status == "closed" and take.closed_by == "lead@example.com"
    assert take.closed_at == clock.now()
    assert take.variances == {"DICE-RED": -3, "BOOK-DUNE": 1}
    level = shop.level("DICE-RED")
    assert (level.on_hand, level.reserved, level.available) == (47, 4, 43)
    assert shop.level("BOOK-DUNE").on_hand == 21
    assert shop.level("GAME-CATAN").on_hand == 10           # not counted: unchanged
    moves = app.inventory.movements.for_reference("ST-000001")
    assert sorted((m.sku, m.kind, m.quantity, m.actor) for m in moves) == [
        ("BOOK-DUNE", "recount", 1, "lead@example.com"),
        ("DICE-RED", "recount", -3, "lead@example.com")]
    assert app.stocktakes.get("st-000001") == take
    assert [e["subject"] for e in app.audit.entries(action="stocktake.closed")] == ["ST-000001"]
    assert [e["subject"] for e in app.audit.entries(action="stocktake.opened")] == ["ST-000001"]


def test_every_tracked_sku_by_default(shop, app):
    take = app.stocktakes.start(actor="wh@example.com")
    assert sorted(take.expected) == ["BOOK-DUNE", "DICE-BLUE", "DICE-RED", "GAME-CATAN", "GIFT-50"]
    with pytest.raises(Conflict):
        app.stocktakes.start(["DICE-BLUE"])


def test_rules_of_a_stocktake(shop, app):
    with pytest.raises(NotFound):
        app.stocktakes.start(["DICE-RED", "NOPE-1"])
    with pytest.raises(ValidationError):
        app.stocktakes.start([])
    with pytest.raises(NotFound):
        app.stocktakes.get("ST-000001")
    take = app.stocktakes.start(["DICE-RED"])
    with pytest.raises(Conflict):
        app.stocktakes.start(["BOOK-DUNE", "DICE-RED"])
    with pytest.raises(ValidationError):
        app.stocktakes.record(take.number, "BOOK-DUNE", 3)
    with pytest.raises(ValidationError):
        app.stocktakes.record(take.number, "DICE-RED", -1)
    app.stocktakes.record(take.number, "DICE-RED", 0)
    take = app.stocktakes.close(take.number)
    assert take.variances == {"DICE-RED": -50} and shop.level("DICE-RED").available == 0
    with pytest.raises(Conflict):
        app.stocktakes.record(take.number, "DICE-RED", 3)
    with pytest.raises(Conflict):
        app.stocktakes.close(take.number)
    # once closed, its SKUs can be counted again
    again = app.stocktakes.start(["DICE-RED", "BOOK-DUNE"])
    assert again.number == "ST-000002" and again.expected == {"DICE-RED": 0, "BOOK-DUNE": 20}


def test_stocktake_endpoints(shop, app, admin_token, alice_token):
    assert app.call("POST", "/admin/stocktakes", {"skus": ["GAME-CATAN"]},
                    token=alice_token).status == 403
    resp = app.call("POST", "/admin/stocktakes", {"skus": ["game-catan", "DICE-BLUE"]},
                    token=admin_token)
    assert resp.status == 201, resp.body
    assert resp.body["number"] == "ST-000001" and resp.body["status"] == "open"
    assert resp.body["expected"] == {"DICE-BLUE": 50, "GAME-CATAN": 10}
    assert resp.body["opened_by"] == "admin@example.com"
    resp = app.call("POST", "/admin/stocktakes/ST-000001/counts", {"sku": "GAME-CATAN", "counted": 9},
                    token=admin_token)
    assert resp.status == 200 and resp.body["counted"] == {"GAME-CATAN": 9}
    assert app.call("POST", "/admin/stocktakes/ST-000001/counts", {"sku": "GAME-CATAN"},
                    token=admin_token).status == 400
    assert app.call("POST", "/admin/stocktakes", {"skus": ["GAME-CATAN"]},
                    token=admin_token).status == 409
    resp = app.call("POST", "/admin/stocktakes/ST-000001/close", {}, token=admin_token)
    assert resp.status == 200
    assert resp.body["status"] == "closed" and resp.body["variances"] == {"GAME-CATAN": -1}
    assert resp.body["closed_by"] == "admin@example.com"
    shown = app.call("GET", "/admin/stocktakes/ST-000001", token=admin_token)
    assert shown.status == 200 and shown.body == resp.body
    assert app.call("GET", "/admin/stocktakes/ST-000009", token=admin_token).status == 404
    assert app.call("POST", "/admin/stocktakes/ST-000001/close", {}, token=admin_token).status == 409
    assert shop.level("GAME-CATAN").on_hand == 9


def test_single_sku_recount_is_a_closed_stocktake(shop, app, admin_token):
    resp = app.call("POST", "/admin/stock/game-catan/recount", {"counted": 12}, token=admin_token)
    assert resp.status == 200
    assert resp.body == {"sku": "GAME-CATAN", "on_hand": 12, "reserved": 0, "available": 12}
    take = app.stocktakes.get("ST-000001")
    assert take.status == "closed" and take.counted == {"GAME-CATAN": 12}
    assert take.variances == {"GAME-CATAN": 2} and take.closed_by == "admin@example.com"
    moves = app.inventory.movements.for_reference("ST-000001")
    assert [(m.kind, m.quantity) for m in moves] == [("recount", 2)]
    # a bad figure or an unknown SKU leaves no stocktake behind
    assert app.call("POST", "/admin/stock/GAME-CATAN/recount", {"counted": -2},
                    token=admin_token).status == 400
    assert app.call("POST", "/admin/stock/NOPE-1/recount", {"counted": 2},
                    token=admin_token).status == 404
    with pytest.raises(NotFound):
        app.stocktakes.get("ST-000002")
    resp = app.call("POST", "/admin/stock/GAME-CATAN/recount", {"counted": 11}, token=admin_token)
    assert resp.status == 200 and app.stocktakes.get("ST-000002").status == "closed"
