import pytest

from pyshop.errors import Conflict, ValidationError
from pyshop.returns.service import RETURN_WINDOW_DAYS


@pytest.fixture
def shipped(shop, app, alice_token, admin_token):
    order = shop.order_for(alice_token, [("DICE-RED", 2), ("GAME-CATAN", 1)])
    app.call("POST", f"/admin/orders/{order['number']}/ship", {}, token=admin_token)
    return order


def test_return_flow_restocks_and_refunds(shop, app, shipped, alice_token, admin_token):
    resp = app.call("POST", f"/orders/{shipped['number']}/returns",
                    {"items": {"dice-red": 1}, "reason": "changed_mind"}, token=alice_token)
    assert resp.status == 201, resp.body
    rma = resp.body
    assert rma["refund_cents"] == 800 - 80 and rma["restocking_fee_cents"] == 80
    assert app.call("POST", f"/admin/returns/{rma['id']}/approve", token=admin_token).body["status"] == "approved"
    resp = app.call("POST", f"/admin/returns/{rma['id']}/receive", {}, token=admin_token)
    assert resp.status == 200 and resp.body["status"] == "refunded"
    assert shop.level("DICE-RED").on_hand == 49
    order = app.orders.by_number(shipped["number"])
    assert app.payments.paid_amount(order.id) == shipped["total_cents"] - 720
    listing = app.call("GET", "/me/returns", token=alice_token).body["returns"]
    assert [r["status"] for r in listing] == ["refunded"]


def test_faulty_full_return_refunds_everything(shop, app, shipped, alice_token):
    rma = app.returns.request(shop.alice, shipped["number"], {"DICE-RED": 2, "GAME-CATAN": 1},
                              reason="damaged")
    assert rma.refund_cents == shipped["total_cents"] and rma.restocking_fee_cents == 0


def test_return_rules(shop, app, shipped, clock, alice_token, bob_token):
    number = shipped["number"]
    with pytest.raises(ValidationError):
        app.returns.request(shop.alice, number, {"DICE-RED": 3}, reason="damaged")
    with pytest.raises(ValidationError):
        app.returns.request(shop.alice, number, {"DICE-BLUE": 1}, reason="damaged")
    with pytest.raises(ValidationError):
        app.returns.request(shop.alice, number, {"DICE-RED": 1}, reason="bored")
    app.returns.request(shop.alice, number, {"DICE-RED": 2}, reason="wrong_item")
    with pytest.raises(ValidationError):
        app.returns.request(shop.alice, number, {"DICE-RED": 1}, reason="wrong_item")
    resp = app.call("POST", f"/orders/{number}/returns", {"items": {"GAME-CATAN": 1}, "reason": "other"},
                    token=bob_token)
    assert resp.status == 404
    clock.advance(RETURN_WINDOW_DAYS * 86400 + 1)
    with pytest.raises(Conflict):
        app.returns.request(shop.alice, number, {"GAME-CATAN": 1}, reason="damaged")


def test_unshipped_orders_and_rejections(shop, app, alice_token, admin_token):
    number = shop.order_for(alice_token, [("DICE-RED", 1)])["number"]
    resp = app.call("POST", f"/orders/{number}/returns", {"items": {"DICE-RED": 1}, "reason": "damaged"},
                    token=alice_token)
    assert resp.status == 409
    app.call("POST", f"/admin/orders/{number}/ship", {}, token=admin_token)
    rma = app.returns.request(shop.alice, number, {"DICE-RED": 1}, reason="damaged")
    assert app.call("POST", f"/admin/returns/{rma.id}/reject", token=admin_token).body["status"] == "rejected"
    assert app.call("POST", f"/admin/returns/{rma.id}/receive", {}, token=admin_token).status == 409
    assert app.call("POST", f"/admin/returns/{rma.id}/approve", token=alice_token).status == 403
