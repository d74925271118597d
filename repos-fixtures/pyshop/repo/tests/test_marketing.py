import pytest

from pyshop.customers.segments import segment_of, segments
from pyshop.errors import NotFound, ValidationError
from pyshop.util.retry import retry


def test_price_history_and_lowest_price(shop, app, clock):
    app.catalog.set_base_price("GAME-CATAN", 5000)
    clock.advance(10 * 86400)
    app.catalog.set_base_price("GAME-CATAN", 4000)
    history = app.price_history
    assert [e["price_cents"] for e in history.entries("GAME-CATAN")] == [4500, 5000]
    label = history.price_label("GAME-CATAN", 4000)
    assert label == {"price_cents": 4000, "lowest_30_days_cents": 4000, "is_reduced": True}
    clock.advance(25 * 86400)
    assert history.lowest_recent("GAME-CATAN", 4000) == 4000
    assert history.lowest_recent("GAME-CATAN", 6000) == 5000
    app.catalog.set_base_price("DICE-RED", 800)     # unchanged price: nothing recorded
    assert history.entries("DICE-RED") == []


def test_email_preferences_and_unsubscribe(shop, app):
    prefs = app.email_preferences
    assert prefs.get(shop.alice.id) == {"newsletter": False, "back_in_stock": True, "offers": False}
    prefs.set(shop.alice.id, newsletter=True)
    assert prefs.allows(shop.alice.id, "newsletter")
    token = prefs.unsubscribe_token(shop.alice.id, "newsletter")
    assert prefs.unsubscribe(token)["newsletter"] is False
    for bad in ("garbage", token[:-1] + "0", f"{shop.alice.id}.spam.abc"):
        with pytest.raises(NotFound):
            prefs.unsubscribe(bad)
    with pytest.raises(ValidationError):
        prefs.set(shop.alice.id, spam=True)


def test_back_in_stock_honours_preferences(shop, app, alice_token):
    app.inventory.recount("DICE-BLUE", 0)
    app.call("POST", "/me/wishlist", {"sku": "DICE-BLUE"}, token=alice_token)
    app.email_preferences.set(shop.alice.id, back_in_stock=False)
    app.inventory.receive("DICE-BLUE", 2)
    assert app.outbox.messages_for("alice@example.com", "back_in_stock") == []


def test_customer_segments(shop, app, clock, alice_token, bob_token):
    assert segment_of(app, shop.alice) == "prospect"
    shop.order_for(alice_token, [("DICE-RED", 1)])
    assert segment_of(app, shop.alice) == "new"
    shop.order_for(alice_token, [("DICE-BLUE", 1)])
    assert segment_of(app, shop.alice) == "repeat"
    shop.order_for(bob_token, [("GAME-CATAN", 10)])
    assert segment_of(app, shop.bob) == "new"
    clock.advance(181 * 86400)
    result = segments(app)
    assert result["lapsed"] == ["alice@example.com", "bob@example.com"]
    assert "admin@example.com" not in sum(result.values(), [])


def test_retry_helper():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "ok"

    retried = []
    assert retry(flaky, on_retry=lambda n, exc: retried.append(n)) == "ok"
    assert retried == [1, 2]
    with pytest.raises(ConnectionError):
        retry(lambda: (_ for _ in ()).throw(ConnectionError("x")), attempts=2)
    with pytest.raises(ValueError):
        retry(flaky, attempts=0)


def test_health_and_version(app):
    health = app.call("GET", "/health").body
    assert health["status"] == "ok" and health["tables"] >= 20
    assert app.call("GET", "/version").body["shop"] == "pyshop"
