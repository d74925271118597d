def test_group_prices_fall_back_to_base_price(shop, app):
    book = app.price_book
    assert book.unit_price("GAME-CATAN") == 4500
    assert book.unit_price("GAME-CATAN", "wholesale") == 3600
    assert book.unit_price("DICE-RED", "wholesale") == 800
    assert book.price_list("wholesale")["BOOK-DUNE"] == 1100


def test_prices_are_cached_and_invalidated(shop, app):
    book = app.price_book
    assert book.unit_price("DICE-RED", "wholesale") == 800
    assert "DICE-RED:wholesale" in app.cache.region("prices")
    book.set_group_price("DICE-RED", "wholesale", 600)
    assert book.unit_price("DICE-RED", "wholesale") == 600
    assert book.remove_group_price("DICE-RED", "wholesale") is True
    assert book.remove_group_price("DICE-RED", "wholesale") is False
    assert book.unit_price("DICE-RED", "wholesale") == 800


def test_base_price_change_reaches_the_cart(shop, app):
    assert app.price_book.unit_price("DICE-BLUE") == 800
    app.catalog.set_base_price("DICE-BLUE", 950)
    assert app.price_book.unit_price("DICE-BLUE") == 950
    assert app.catalog.variant_by_sku("DICE-BLUE").price_cents == 950


def test_admin_sets_group_price(shop, app, admin_token, alice_token):
    resp = app.call("POST", "/admin/prices/dice-red", {"group": "wholesale", "price_cents": 650},
                    token=admin_token)
    assert resp.status == 200 and resp.body == {"sku": "DICE-RED", "group": "wholesale", "price_cents": 650}
    assert app.call("POST", "/admin/prices/DICE-RED", {"group": "wholesale", "price_cents": 1},
                    token=alice_token).status == 403
