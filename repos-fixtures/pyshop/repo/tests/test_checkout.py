from conftest import CA_ADDRESS, CARD_DECLINED, CARD_OK, DE_ADDRESS

from pyshop.orders import status as st


def test_card_checkout_pays_the_order(shop, app, alice_token):
    order = shop.order_for(alice_token, [("BOOK-DUNE", 2), ("GAME-CATAN", 1)])
    assert order["status"] == "paid"
    assert order["number"] == "SO-2023-000001"
    assert order["total_cents"] == 8044 and order["tax_cents"] == 544 and order["shipping_cents"] == 0
    assert order["address"]["region"] == "CA"
    payment = app.payments.repo.for_order(app.orders.by_number(order["number"]).id)[0]
    assert payment.amount_cents == 8044 and payment.card_last4 == "4242"
    assert app.gateway.transactions[payment.transaction_id]["captured"] == 8044


def test_checkout_reserves_stock_and_converts_the_cart(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("BOOK-DUNE", 2), ("GAME-CATAN", 1)])
    number = shop.checkout(alice_token, cart_id).body["number"]
    assert app.ledger.held(number) == {"BOOK-DUNE": 2, "GAME-CATAN": 1}
    assert shop.level("BOOK-DUNE").available == 18
    assert app.carts.get(cart_id).status == "converted"
    assert app.inventory.movements.kinds_for(number) == ["reserve", "reserve"]


def test_confirmation_email_and_audit(shop, app, alice_token):
    number = shop.order_for(alice_token, [("DICE-RED", 1)])["number"]
    mails = app.outbox.messages_for("alice@example.com", "order_confirmation")
    assert len(mails) == 1 and number in mails[0]["subject"]
    actions = [e["action"] for e in app.audit.entries(subject=number)]
    assert actions == ["order.placed", "order.paid"]
    assert app.loyalty.balance(shop.alice.id) == 13


def test_declined_card_releases_the_stock(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("GAME-CATAN", 2)])
    resp = shop.checkout(alice_token, cart_id, card=CARD_DECLINED)
    assert resp.status == 402 and resp.body["reason"] == "declined"
    order = app.orders.repo.all()[-1]
    assert order.status == st.PAYMENT_FAILED
    assert app.ledger.held(order.number) == {}
    assert shop.level("GAME-CATAN").available == 10
    assert app.outbox.messages_for("alice@example.com", "payment_failed")
    assert app.loyalty.balance(shop.alice.id) == 0


def test_retry_payment_with_another_card(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("GAME-CATAN", 1)])
    shop.checkout(alice_token, cart_id, card=CARD_DECLINED)
    number = app.orders.repo.all()[-1].number
    resp = app.call("POST", f"/orders/{number}/pay", {"card_number": CARD_OK}, token=alice_token)
    assert resp.status == 200 and resp.body["status"] == "paid"
    assert app.ledger.held(number) == {"GAME-CATAN": 1}
    again = app.call("POST", f"/orders/{number}/pay", {"card_number": CARD_OK}, token=alice_token)
    assert again.status == 409 and again.body["error"] == "invalid_transition"


def test_bank_transfer_orders_wait_for_payment(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("GAME-CATAN", 1)])
    resp = shop.checkout(alice_token, cart_id, payment={"method": "bank_transfer"})
    assert resp.status == 201 and resp.body["status"] == "pending_payment"
    assert app.payments.repo.for_order(app.orders.by_number(resp.body["number"]).id) == []
    assert shop.level("GAME-CATAN").reserved == 1


def test_checkout_refuses_bad_requests(shop, app, alice_token):
    empty = shop.cart(alice_token, [])
    assert shop.checkout(alice_token, empty).body["error"] == "empty_cart"
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    assert shop.checkout(None, cart_id).status == 401
    assert shop.checkout(alice_token, cart_id, payment={"method": "cash"}).status == 400
    assert shop.checkout(alice_token, cart_id, shipping_method="teleport").status == 400
    assert shop.checkout(alice_token, cart_id, address={"country": "US"}).status == 400
    assert app.orders.repo.count() == 0


def test_out_of_stock_reserves_nothing(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("BOOK-DUNE", 3), ("GAME-CATAN", 11)])
    resp = shop.checkout(alice_token, cart_id)
    assert resp.status == 409 and resp.body["sku"] == "GAME-CATAN"
    assert shop.level("BOOK-DUNE").reserved == 0
    assert app.orders.repo.count() == 0 and app.carts.get(cart_id).status == "open"


def test_order_total_matches_the_cart_page(shop, app, alice_token):
    app.promotions.create("Games -10%", "percent_category", 10, category_id=shop.games.id)
    app.promotions.create("$5 off $40", "fixed_over", 500, min_subtotal_cents=4000)
    cart_id = shop.cart(alice_token, [("GAME-CATAN", 1), ("DICE-BLUE", 2), ("BOOK-DUNE", 1)])
    totals = app.call("GET", f"/carts/{cart_id}/totals?country=US&region=CA", token=alice_token).body
    order = shop.checkout(alice_token, cart_id, address=CA_ADDRESS).body
    for key in ("subtotal_cents", "discount_cents", "shipping_cents", "tax_cents", "total_cents"):
        assert order[key] == totals[key], key
    assert order["promotions"] == ["Games -10%", "$5 off $40"]


def test_international_order_pays_vat_on_shipping(shop, app, alice_token):
    order = shop.order_for(alice_token, [("BOOK-DUNE", 1)], address=DE_ADDRESS)
    assert order["shipping_cents"] == 1499
    assert order["tax_cents"] == 105 + 285
    assert order["total_cents"] == 1500 + 1499 + 390
