import io
import json

import pytest

from pyshop.admin import bulk_pricing
from pyshop.cli import main
from pyshop.errors import Conflict, NotFound, ValidationError
from pyshop.reporting.customers_report import customer_values, repeat_rate


def test_gift_cards(app, admin_token, shop):
    resp = app.call("POST", "/admin/gift-cards", {"amount_cents": 2500, "email": "x@example.com"},
                    token=admin_token)
    code = resp.body["code"]
    assert resp.status == 201 and len(code) == 12
    cards = app.gift_cards
    assert cards.spend(code, 1000, "SO-1") == 1000
    assert cards.spend(code.lower(), 5000, "SO-2") == 1500
    with pytest.raises(Conflict):
        cards.spend(code, 1, "SO-3")
    assert cards.refund("SO-2") == 1500
    assert app.call("GET", f"/gift-cards/{code}").body == {"balance_cents": 1500}
    cards.deactivate(code)
    assert app.call("GET", f"/gift-cards/{code}").status == 404
    with pytest.raises(ValidationError):
        cards.issue(0)


def test_reviews_need_a_delivered_purchase(shop, app, alice_token, bob_token, admin_token):
    resp = app.call("POST", "/products/catan/reviews", {"rating": 5, "title": "Great"}, token=alice_token)
    assert resp.status == 403
    number = shop.order_for(alice_token, [("GAME-CATAN", 1)])["number"]
    app.call("POST", f"/admin/orders/{number}/ship", {}, token=admin_token)
    resp = app.call("POST", "/products/catan/reviews", {"rating": 5, "title": " Great   game "},
                    token=alice_token)
    assert resp.status == 201 and resp.body["status"] == "pending"
    again = app.call("POST", "/products/catan/reviews", {"rating": 4, "title": "Again"}, token=alice_token)
    assert again.status == 409
    assert app.call("GET", "/products/catan/reviews").body["summary"] == {"count": 0, "average": None}
    app.call("POST", f"/admin/reviews/{resp.body['id']}", {"publish": True}, token=admin_token)
    page = app.call("GET", "/products/catan/reviews").body
    assert page["summary"] == {"count": 1, "average": 5.0} and page["reviews"][0]["title"] == "Great game"
    bad = app.call("POST", "/products/catan/reviews", {"rating": 9, "title": "x"}, token=bob_token)
    assert bad.status == 400


def test_wishlist_and_back_in_stock(shop, app, alice_token, admin_token):
    app.inventory.recount("GAME-CATAN", 0)
    resp = app.call("POST", "/me/wishlist", {"sku": "game-catan"}, token=alice_token)
    assert resp.body["items"] == [{"sku": "GAME-CATAN", "available": False, "price_cents": 4500}]
    app.call("POST", "/admin/stock/GAME-CATAN/receive", {"quantity": 3}, token=admin_token)
    mails = app.outbox.messages_for("alice@example.com", "back_in_stock")
    assert len(mails) == 1 and "GAME-CATAN" in mails[0]["subject"]
    app.inventory.receive("GAME-CATAN", 1)
    assert len(app.outbox.messages_for("alice@example.com", "back_in_stock")) == 1
    assert app.call("DELETE", "/me/wishlist/GAME-CATAN", token=alice_token).status == 204
    assert app.call("DELETE", "/me/wishlist/GAME-CATAN", token=alice_token).status == 404
    with pytest.raises(NotFound):
        app.wishlist.add(shop.alice.id, "NOPE-1")


def test_bulk_repricing(shop, app):
    rows = bulk_pricing.preview(app, shop.games.id, 10, charm=True)
    assert rows == [{"sku": "GAME-CATAN", "old_cents": 4500, "new_cents": 4999},
                    {"sku": "DICE-RED", "old_cents": 800, "new_cents": 899},
                    {"sku": "DICE-BLUE", "old_cents": 800, "new_cents": 899}]
    bulk_pricing.apply(app, shop.games.id, -10, include_groups=("wholesale",))
    assert app.price_book.unit_price("GAME-CATAN") == 4050
    assert app.price_book.unit_price("GAME-CATAN", "wholesale") == 3240
    assert app.audit.entries(action="prices.bulk_changed")[0]["details"]["count"] == 3
    with pytest.raises(ValidationError):
        bulk_pricing.preview(app, shop.games.id, -95)


def test_customer_value_report(shop, app, alice_token, bob_token):
    first = shop.order_for(alice_token, [("DICE-RED", 1)])
    second = shop.order_for(alice_token, [("DICE-BLUE", 1)])
    bob = shop.order_for(bob_token, [("GAME-CATAN", 1)])
    rows = customer_values(app)
    assert [r["email"] for r in rows] == ["bob@example.com", "alice@example.com"]
    assert rows[1]["orders"] == 2 and rows[1]["lifetime_cents"] == first["total_cents"] + second["total_cents"]
    assert rows[0]["lifetime_cents"] == bob["total_cents"]
    assert repeat_rate(app) == 0.5


def test_cli_commands(tmp_path):
    out = io.StringIO()
    assert main(["seed"], out=out) == 0
    assert json.loads(out.getvalue()) == {"categories": 4, "customers": 3, "skus": 9}
    csv_file = tmp_path / "products.csv"
    csv_file.write_text("category,product,description,sku,variant,price,weight_grams\n"
                        "Misc,Widget,,WID-1,Widget,1.50,10\n", encoding="utf-8")
    out = io.StringIO()
    main(["import-products", str(csv_file)], out=out)
    assert json.loads(out.getvalue())["created"] == 1
    out = io.StringIO()
    main(["run-jobs"], out=out)
    assert set(json.loads(out.getvalue())) == {"abandon-stale-carts", "expire-unpaid-orders",
                                               "flush-outbox", "low-stock-digest"}
    out = io.StringIO()
    main(["routes"], out=out)
    assert "POST /carts/{cart_id:int}/checkout" in json.loads(out.getvalue())
    out = io.StringIO()
    main(["report", "stock"], out=out, env={"PYSHOP_CURRENCY": "EUR"})
    assert json.loads(out.getvalue()) == []
