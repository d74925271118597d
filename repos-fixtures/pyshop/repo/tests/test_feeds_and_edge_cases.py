from conftest import CARD_OK

from pyshop.catalog.feeds import FEED_COLUMNS, feed_rows, render_feed


def test_product_feed(shop, app):
    app.inventory.recount("GAME-CATAN", 3)
    app.inventory.recount("BOOK-DUNE", 0)
    rows = {r["id"]: r for r in feed_rows(app)}
    assert rows["DICE-RED"]["title"] == "Dice set (Red)"
    assert rows["DICE-RED"]["price"] == "8.00 USD"
    assert rows["GAME-CATAN"]["availability"] == "limited availability"
    assert rows["BOOK-DUNE"]["availability"] == "out of stock"
    assert rows["GIFT-50"]["link"].endswith("/products/gift-card")
    text = render_feed(app)
    assert text.splitlines()[0].split("\t") == list(FEED_COLUMNS)
    assert len(text.splitlines()) == 1 + 5


def test_second_checkout_of_the_same_cart_is_refused(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    assert shop.checkout(alice_token, cart_id).status == 201
    again = shop.checkout(alice_token, cart_id)
    assert again.status == 409
    assert app.orders.repo.count() == 1
    assert shop.level("DICE-RED").reserved == 1


def test_orders_get_consecutive_numbers(shop, app, alice_token, bob_token):
    numbers = [shop.order_for(token, [("DICE-BLUE", 1)])["number"]
               for token in (alice_token, bob_token, alice_token)]
    assert numbers == ["SO-2023-000001", "SO-2023-000002", "SO-2023-000003"]


def test_guest_cart_is_taken_over_at_checkout(shop, app, alice_token):
    cart_id = shop.cart(None, [("DICE-RED", 2)])
    resp = shop.checkout(alice_token, cart_id, card=CARD_OK)
    assert resp.status == 201
    assert app.carts.get(cart_id).customer_id == shop.alice.id


def test_customer_cannot_check_out_someone_elses_cart(shop, app, alice_token, bob_token):
    cart_id = shop.cart(bob_token, [("DICE-RED", 1)])
    assert shop.checkout(alice_token, cart_id).status == 403
    assert shop.level("DICE-RED").reserved == 0
