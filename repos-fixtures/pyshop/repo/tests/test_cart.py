import pytest

from pyshop.errors import Conflict, Forbidden, NotFound, ValidationError


def _totals(app, cart_id, token=None, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    resp = app.call("GET", f"/carts/{cart_id}/totals" + (f"?{qs}" if qs else ""), token=token)
    assert resp.status == 200, resp.body
    return resp.body


def test_adding_the_same_sku_merges_lines(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("DICE-RED", 1), ("dice-red", 2), ("BOOK-DUNE", 1)])
    view = app.call("GET", f"/carts/{cart_id}", token=alice_token).body
    assert view["items"] == [{"sku": "DICE-RED", "quantity": 3}, {"sku": "BOOK-DUNE", "quantity": 1}]


def test_quantity_rules(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("DICE-RED", 98)])
    resp = app.call("POST", f"/carts/{cart_id}/items", {"sku": "DICE-RED", "quantity": 2}, token=alice_token)
    assert resp.status == 400
    resp = app.call("PATCH", f"/carts/{cart_id}/items/DICE-RED", {"quantity": 0}, token=alice_token)
    assert resp.status == 200 and resp.body["items"] == []
    assert app.call("DELETE", f"/carts/{cart_id}/items/DICE-RED", token=alice_token).status == 404
    resp = app.call("POST", f"/carts/{cart_id}/items", {"sku": "NOPE-1"}, token=alice_token)
    assert resp.status == 404


def test_cart_belongs_to_its_customer(shop, app, alice_token, bob_token):
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    assert app.call("GET", f"/carts/{cart_id}", token=bob_token).status == 403
    with pytest.raises(Forbidden):
        app.carts.add_item(cart_id, "DICE-RED", 1, customer=shop.bob)
    guest = shop.cart(None, [("DICE-BLUE", 1)])
    assert app.carts.assign(guest, shop.bob.id).customer_id == shop.bob.id
    with pytest.raises(NotFound):
        app.carts.get(999)


def test_totals_for_a_retail_customer(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("BOOK-DUNE", 2), ("GAME-CATAN", 1)])
    totals = _totals(app, cart_id, alice_token, country="US", region="CA")
    assert totals["subtotal_cents"] == 7500
    assert totals["shipping_cents"] == 0          # free from $75
    assert totals["tax_cents"] == 218 + 326
    assert totals["total_cents"] == 8044
    assert totals["lines"][0] == {"sku": "BOOK-DUNE", "name": "Dune", "quantity": 2, "unit_price_cents": 1500,
                                  "line_total_cents": 3000, "discount_cents": 0}
    no_address = _totals(app, cart_id, alice_token)
    assert no_address["tax_cents"] == 0 and no_address["total_cents"] == 7500


def test_totals_use_group_prices(shop, app, bob_token):
    cart_id = shop.cart(bob_token, [("BOOK-DUNE", 2), ("GAME-CATAN", 1)])
    totals = _totals(app, cart_id, bob_token, country="US", region="NY")
    assert totals["subtotal_cents"] == 2 * 1100 + 3600
    assert totals["shipping_cents"] == 499
    assert totals["tax_cents"] == 88 + 144
    assert totals["total_cents"] == 5800 + 499 + 232


def test_totals_with_promotions(shop, app, alice_token):
    app.promotions.create("Games -10%", "percent_category", 10, category_id=shop.games.id)
    app.promotions.create("Dice BOGO", "bogo", 0, sku="DICE-RED")
    cart_id = shop.cart(alice_token, [("GAME-CATAN", 1), ("DICE-RED", 2)])
    totals = _totals(app, cart_id, alice_token, country="US", region="CA", method="ground")
    assert totals["subtotal_cents"] == 6100
    assert [l["discount_cents"] for l in totals["lines"]] == [450, 800]
    assert totals["promotion_discount_cents"] == 1250
    assert totals["promotions"] == ["Games -10%", "Dice BOGO"]
    assert totals["shipping_cents"] == 399 + 150 * 3
    assert totals["tax_cents"] == 294 + 58
    assert totals["total_cents"] == 4850 + 849 + 352


def test_totals_with_a_coupon(shop, app, alice_token):
    app.coupons.create("TEN", "percent", 10)
    cart_id = shop.cart(alice_token, [("GAME-CATAN", 1), ("BOOK-DUNE", 1)])
    app.call("POST", f"/carts/{cart_id}/coupon", {"code": "TEN"}, token=alice_token)
    totals = _totals(app, cart_id, alice_token, country="US", region="CA")
    assert totals["coupon_code"] == "TEN"
    assert totals["coupon_discount_cents"] == 600
    assert totals["shipping_cents"] == 499          # 5400 after the coupon: below $75
    assert totals["tax_cents"] == 98 + 294          # tax on the discounted lines
    assert totals["total_cents"] == 5400 + 499 + 392


def test_coupon_below_minimum_is_shown_as_not_applied(shop, app, alice_token):
    app.coupons.create("BIG", "fixed", 1000, min_subtotal_cents=10000)
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    app.call("POST", f"/carts/{cart_id}/coupon", {"code": "BIG"}, token=alice_token)
    totals = _totals(app, cart_id, alice_token)
    assert totals["coupon_code"] is None and totals["coupon_discount_cents"] == 0


def test_converted_cart_is_read_only(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    assert shop.checkout(alice_token, cart_id).status == 201
    with pytest.raises(Conflict):
        app.carts.add_item(cart_id, "DICE-RED", 1)
    with pytest.raises(ValidationError):
        app.carts.add_item(shop.cart(alice_token, []), "DICE-RED", "many")
