from conftest import NY_ADDRESS


def test_permissions_by_role(shop, app, alice_token, support_token, admin_token):
    assert app.call("GET", "/admin/orders", token=None).status == 401
    assert app.call("GET", "/admin/orders", token=alice_token).status == 403
    assert app.call("GET", "/admin/orders", token=support_token).status == 200
    assert app.call("POST", "/admin/stock/DICE-RED/receive", {"quantity": 1},
                    token=support_token).status == 403
    assert app.call("GET", "/admin/dashboard", token=admin_token).status == 200


def test_create_product_through_the_api(shop, app, admin_token):
    body = {"name": "Chess set", "category_id": shop.games.id, "description": "Wooden pieces",
            "variants": [{"sku": "chess-wood", "price_cents": 3900, "weight_grams": 1200, "stock": 4}]}
    resp = app.call("POST", "/admin/products", body, token=admin_token)
    assert resp.status == 201, resp.body
    assert resp.body["variants"] == [{"sku": "CHESS-WOOD", "name": "Chess set", "price_cents": 3900,
                                      "weight_grams": 1200}]
    assert shop.level("CHESS-WOOD").available == 4
    bad = app.call("POST", "/admin/products", {"name": "Empty", "variants": []}, token=admin_token)
    assert bad.status == 400
    dup = app.call("POST", "/admin/products", dict(body, name="Chess set 2"), token=admin_token)
    assert dup.status == 409


def test_phone_order(shop, app, admin_token):
    body = {"customer_id": shop.alice.id, "items": [{"sku": "dice-blue", "quantity": 2}]}
    resp = app.call("POST", "/admin/orders/manual", body, token=admin_token)
    assert resp.status == 201, resp.body
    order = resp.body
    assert order["source"] == "phone" and order["status"] == "pending_payment"
    assert order["subtotal_cents"] == 1600 and order["shipping_cents"] == 499
    assert order["tax_cents"] == 116 and order["total_cents"] == 2215
    assert app.ledger.held(order["number"]) == {"DICE-BLUE": 2}
    assert app.audit.entries(action="order.created_manually")[0]["subject"] == order["number"]


def test_phone_order_paid_offline_with_explicit_address(shop, app, admin_token):
    body = {"customer_id": shop.alice.id, "items": [{"sku": "GAME-CATAN", "quantity": 1}],
            "address": NY_ADDRESS, "paid_offline": True}
    order = app.call("POST", "/admin/orders/manual", body, token=admin_token).body
    assert order["status"] == "paid" and order["address"]["region"] == "NY"
    assert order["tax_cents"] == 180
    assert app.payments.paid_amount(app.orders.by_number(order["number"]).id) == order["total_cents"]


def test_phone_order_out_of_stock(shop, app, admin_token):
    body = {"customer_id": shop.alice.id,
            "items": [{"sku": "DICE-RED", "quantity": 2}, {"sku": "GAME-CATAN", "quantity": 50}]}
    resp = app.call("POST", "/admin/orders/manual", body, token=admin_token)
    assert resp.status == 409
    assert shop.level("DICE-RED").reserved == 0
    assert app.orders.repo.count() == 0
    assert app.call("POST", "/admin/orders/manual", {"customer_id": shop.alice.id, "items": []},
                    token=admin_token).status == 400


def test_support_cancels_an_unpaid_order(shop, app, alice_token, support_token):
    cart_id = shop.cart(alice_token, [("GAME-CATAN", 3)])
    number = shop.checkout(alice_token, cart_id, payment={"method": "bank_transfer"}).body["number"]
    resp = app.call("POST", f"/admin/orders/{number}/cancel", {"reason": "duplicate"}, token=support_token)
    assert resp.status == 200 and resp.body["status"] == "cancelled"
    assert shop.level("GAME-CATAN").available == 10
    entry = app.audit.entries(action="order.cancelled")[0]
    assert entry["subject"] == number and entry["actor"] == "support@example.com"
    assert app.outbox.messages_for("alice@example.com", "order_cancelled")


def test_shipped_orders_cannot_be_cancelled(shop, app, alice_token, admin_token):
    number = shop.order_for(alice_token, [("DICE-RED", 1)])["number"]
    app.call("POST", f"/admin/orders/{number}/ship", {}, token=admin_token)
    resp = app.call("POST", f"/admin/orders/{number}/cancel", {}, token=admin_token)
    assert resp.status == 409 and resp.body["error"] == "invalid_transition"


def test_customer_administration(shop, app, admin_token, alice_token):
    resp = app.call("PATCH", f"/admin/customers/{shop.alice.id}", {"group": "wholesale"}, token=admin_token)
    assert resp.status == 200 and resp.body["group"] == "wholesale"
    resp = app.call("PATCH", f"/admin/customers/{shop.alice.id}", {"active": False}, token=admin_token)
    assert resp.status == 200
    assert app.call("GET", "/me", token=alice_token).status == 401
    assert app.call("PATCH", "/admin/customers/999", {}, token=admin_token).status == 404


def test_dashboard_numbers(shop, app, alice_token, admin_token):
    shop.order_for(alice_token, [("GAME-CATAN", 6)])
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    shop.checkout(alice_token, cart_id, payment={"method": "bank_transfer"})
    board = app.call("GET", "/admin/dashboard", token=admin_token).body
    assert board["orders_today"] == 2 and board["awaiting_payment"] == 1 and board["to_ship"] == 1
    assert board["low_stock"] == ["GAME-CATAN"]
    assert board["customers"] == 4
