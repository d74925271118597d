import pytest

from pyshop.errors import InvalidTransition
from pyshop.orders import status as st


def _bank_order(shop, token, items):
    cart_id = shop.cart(token, items)
    resp = shop.checkout(token, cart_id, payment={"method": "bank_transfer"})
    assert resp.status == 201, resp.body
    return resp.body["number"]


def test_customers_see_only_their_orders(shop, app, alice_token, bob_token):
    number = shop.order_for(alice_token, [("DICE-RED", 1)])["number"]
    listing = app.call("GET", "/me/orders", token=alice_token).body["orders"]
    assert [o["number"] for o in listing] == [number]
    assert app.call("GET", f"/orders/{number}", token=alice_token).body["lines"][0]["sku"] == "DICE-RED"
    assert app.call("GET", f"/orders/{number}", token=bob_token).status == 404
    assert app.call("GET", "/me/orders", token=bob_token).body["orders"] == []


def test_customer_cancels_an_unpaid_order(shop, app, alice_token):
    number = _bank_order(shop, alice_token, [("GAME-CATAN", 2)])
    resp = app.call("POST", f"/orders/{number}/cancel", token=alice_token)
    assert resp.status == 200 and resp.body["status"] == "cancelled"
    assert shop.level("GAME-CATAN").available == 10
    assert app.outbox.messages_for("alice@example.com", "order_cancelled")
    assert app.audit.entries(action="order.cancelled")[0]["subject"] == number


def test_paid_orders_cannot_be_cancelled_online(shop, app, alice_token):
    number = shop.order_for(alice_token, [("GAME-CATAN", 1)])["number"]
    resp = app.call("POST", f"/orders/{number}/cancel", token=alice_token)
    assert resp.status == 409
    assert app.orders.by_number(number).status == st.PAID


def test_shipping_commits_the_stock(shop, app, alice_token, admin_token):
    number = shop.order_for(alice_token, [("GAME-CATAN", 2)])["number"]
    resp = app.call("POST", f"/admin/orders/{number}/ship", {"carrier": "ground"}, token=admin_token)
    assert resp.status == 200 and resp.body["tracking_number"] == "GR000000001"
    assert shop.level("GAME-CATAN") == type(shop.level("GAME-CATAN"))("GAME-CATAN", 8, 0, 8)
    assert app.orders.by_number(number).status == st.SHIPPED
    mails = app.outbox.messages_for("alice@example.com", "order_shipped")
    assert mails and "GR000000001" in mails[0]["body"]
    again = app.call("POST", f"/admin/orders/{number}/ship", {}, token=admin_token)
    assert again.status == 409


def test_marking_a_transfer_paid_awards_loyalty(shop, app, alice_token, admin_token):
    number = _bank_order(shop, alice_token, [("GAME-CATAN", 1)])
    resp = app.call("POST", f"/admin/orders/{number}/mark-paid", {}, token=admin_token)
    assert resp.status == 200 and resp.body["status"] == "paid"
    assert app.loyalty.balance(shop.alice.id) == 53
    assert app.payments.paid_amount(app.orders.by_number(number).id) == 4500 + 499 + 326
    balance = app.call("GET", "/me/loyalty", token=alice_token).body["balance"]
    assert balance == 53


def test_editing_an_unpaid_order(shop, app, alice_token, admin_token):
    number = _bank_order(shop, alice_token, [("DICE-RED", 1), ("BOOK-DUNE", 1)])
    resp = app.call("PATCH", f"/admin/orders/{number}/lines/dice-red", {"quantity": 3}, token=admin_token)
    assert resp.status == 200, resp.body
    assert resp.body["subtotal_cents"] == 2400 + 1500
    assert resp.body["shipping_cents"] == 499
    assert resp.body["tax_cents"] == 174 + 109
    assert resp.body["total_cents"] == 3900 + 499 + 283
    assert app.ledger.held(number) == {"DICE-RED": 3, "BOOK-DUNE": 1}
    too_many = app.call("PATCH", f"/admin/orders/{number}/lines/DICE-RED", {"quantity": 100},
                        token=admin_token)
    assert too_many.status == 400
    short = app.call("PATCH", f"/admin/orders/{number}/lines/BOOK-DUNE", {"quantity": 21},
                     token=admin_token)
    assert short.status == 409
    assert app.ledger.held(number) == {"DICE-RED": 3, "BOOK-DUNE": 1}


def test_delivery_and_status_rules(shop, app, alice_token):
    number = shop.order_for(alice_token, [("DICE-RED", 1)])["number"]
    order = app.orders.by_number(number)
    app.orders.ship(order.id, carrier="standard", actor="warehouse")
    assert app.orders.mark_delivered(order.id, actor="carrier").status == st.DELIVERED
    assert app.shipments.repo.for_order(order.id)[0].delivered_at is not None
    with pytest.raises(InvalidTransition):
        app.orders.cancel(order.id, reason="too late", actor="support")
    assert st.is_final(st.CANCELLED) and not st.is_final(st.PAID)
    assert st.can_transition(st.PAYMENT_FAILED, st.PENDING_PAYMENT)
