"""Goods receipts: one numbered record per delivery or return restock."""

import pytest

from pyshop.errors import NotFound, ValidationError
from pyshop.inventory.receiving import GoodsReceipt, GoodsReceiving


def test_application_exposes_goods_receiving(app):
    assert isinstance(app.receiving, GoodsReceiving)


def test_a_delivery_is_one_receipt_with_numbered_movements(shop, app, clock):
    receipt = app.receiving.receive({"dice-red": 5, "BOOK-DUNE": 3}, reference="PO-17",
                                    actor="wh@example.com", note="pallet 4")
    assert isinstance(receipt, GoodsReceipt)
    assert receipt.number == "GR-000001"
    assert receipt.source == "supplier" and receipt.reference == "PO-17"
    assert receipt.lines == {"DICE-RED": 5, "BOOK-DUNE": 3}
    assert receipt.actor == "wh@example.com" and receipt.received_at == clock.now()
    assert shop.level("DICE-RED").on_hand == 55 and shop.level("BOOK-DUNE").on_hand == 23
    moves = app.inventory.movements.for_reference("GR-000001")
    assert sorted((m.sku, m.kind, m.quantity) for m in moves) == [
        ("BOOK-DUNE", "receive", 3), ("DICE-RED", "receive", 5)]
    assert all(m.actor == "wh@example.com" and m.note == "pallet 4" for m in moves)
    assert app.receiving.get("GR-000001") == receipt
    assert app.receiving.for_reference("PO-17") == [receipt]
    second = app.receiving.receive({"GAME-CATAN": 1})
    assert second.number == "GR-000002" and second.actor == "system"
    entries = app.audit.entries(action="stock.received")
    assert [(e["actor"], e["subject"]) for e in entries] == [
        ("wh@example.com", "GR-000001"), ("system", "GR-000002")]


def test_a_bad_line_changes_nothing(shop, app):
    with pytest.raises(NotFound):
        app.receiving.receive({"DICE-RED": 5, "DICE-GREEN": 2})
    with pytest.raises(ValidationError):
        app.receiving.receive({"DICE-RED": 5, "BOOK-DUNE": 0})
    with pytest.raises(ValidationError):
        app.receiving.receive({})
    with pytest.raises(ValidationError):
        app.receiving.receive({"DICE-RED": 1}, source="gift")
    assert shop.level("DICE-RED").on_hand == 50
    assert not app.ledger.is_tracked("DICE-GREEN")
    assert [m.kind for m in app.inventory.movements.for_sku("DICE-RED")] == ["receive"]
    with pytest.raises(NotFound):
        app.receiving.get("GR-000001")


def test_receipt_endpoints(shop, app, admin_token, alice_token):
    body = {"lines": {"game-catan": 4, "DICE-BLUE": 10}, "reference": "PO-18"}
    assert app.call("POST", "/admin/stock/receipts", body, token=alice_token).status == 403
    resp = app.call("POST", "/admin/stock/receipts", body, token=admin_token)
    assert resp.status == 201, resp.body
    assert resp.body["number"] == "GR-000001" and resp.body["source"] == "supplier"
    assert resp.body["lines"] == {"GAME-CATAN": 4, "DICE-BLUE": 10}
    assert resp.body["reference"] == "PO-18" and resp.body["actor"] == "admin@example.com"
    shown = app.call("GET", "/admin/stock/receipts/GR-000001", token=admin_token)
    assert shown.status == 200 and shown.body == resp.body
    assert app.call("GET", "/admin/stock/receipts/GR-000009", token=admin_token).status == 404
    bad = app.call("POST", "/admin/stock/receipts", {"lines": {"NOPE-1": 1}}, token=admin_token)
    assert bad.status == 404
    assert app.call("POST", "/admin/stock/receipts", {"lines": {"GAME-CATAN": -1}},
                    token=admin_token).status == 400
    assert shop.level("GAME-CATAN").on_hand == 14


def test_single_sku_endpoint_records_a_receipt_and_refuses_unknown_skus(shop, app, admin_token):
    resp = app.call("POST", "/admin/stock/game-catan/receive", {"quantity": 5, "note": "PO 9"},
                    token=admin_token)
    assert resp.status == 200
    assert resp.body == {"sku": "GAME-CATAN", "on_hand": 15, "reserved": 0, "available": 15}
    receipt = app.receiving.get("GR-000001")
    assert receipt.lines == {"GAME-CATAN": 5} and receipt.source == "supplier"
    assert receipt.note == "PO 9" and receipt.actor == "admin@example.com"
    resp = app.call("POST", "/admin/stock/GAME-CATN/receive", {"quantity": 5}, token=admin_token)
    assert resp.status == 404
    assert not app.ledger.is_tracked("GAME-CATN")


def test_return_restock_is_one_receipt(shop, app, alice_token, admin_token):
    order = shop.order_for(alice_token, [("DICE-RED", 2), ("GAME-CATAN", 1)])
    app.call("POST", f"/admin/orders/{order['number']}/ship", {}, token=admin_token)
    rma = app.returns.request(shop.alice, order["number"], {"DICE-RED": 2, "GAME-CATAN": 1},
                              reason="damaged")
    app.returns.decide(rma.id, approve=True, actor="admin@example.com")
    app.returns.receive(rma.id, actor="admin@example.com")
    receipts = app.receiving.for_reference(f"RMA-{rma.id}")
    assert len(receipts) == 1
    receipt = receipts[0]
    assert receipt.source == "return" and receipt.lines == {"DICE-RED": 2, "GAME-CATAN": 1}
    assert receipt.note == f"return {rma.id} of {order['number']}"
    assert shop.level("DICE-RED").on_hand == 50 and shop.level("GAME-CATAN").on_hand == 10
    kinds = [(m.kind, m.quantity) for m in app.inventory.movements.for_reference(receipt.number)]
    assert sorted(kinds) == [("receive", 1), ("receive", 2)]


def test_return_without_restock_records_no_receipt(shop, app, alice_token, admin_token):
    order = shop.order_for(alice_token, [("DICE-RED", 1)])
    app.call("POST", f"/admin/orders/{order['number']}/ship", {}, token=admin_token)
    rma = app.returns.request(shop.alice, order["number"], {"DICE-RED": 1}, reason="damaged")
    app.returns.decide(rma.id, approve=True, actor="admin@example.com")
    app.returns.receive(rma.id, actor="admin@example.com", restock=False)
    assert app.receiving.for_reference(f"RMA-{rma.id}") == []
    assert shop.level("DICE-RED").on_hand == 49
