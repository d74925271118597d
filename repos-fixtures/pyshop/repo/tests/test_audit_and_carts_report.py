from pyshop.events import default_bus, publish
from pyshop.ids import correlation_id, new_token, short_code


def test_audit_search(shop, app, alice_token, admin_token):
    number = shop.order_for(alice_token, [("DICE-RED", 1)])["number"]
    app.call("POST", f"/admin/orders/{number}/ship", {}, token=admin_token)
    resp = app.call("GET", "/admin/audit?action=order.", token=admin_token)
    assert resp.status == 200
    assert [r["action"] for r in resp.body["items"]] == ["order.shipped", "order.paid", "order.placed"]
    mine = app.call("GET", "/admin/audit?actor=alice@example.com&per_page=1", token=admin_token).body
    assert mine["total"] == 3 and mine["items"][0]["action"] == "order.paid"
    assert app.call("GET", f"/admin/audit?subject={number}", token=admin_token).body["total"] == 3
    summary = app.call("GET", "/admin/audit/summary", token=admin_token).body
    assert summary == {"login": 2, "order": 3}
    assert app.call("GET", "/admin/audit", token=alice_token).status == 403


def test_abandoned_cart_report(shop, app, clock, alice_token):
    shop.cart(alice_token, [("GAME-CATAN", 1), ("DICE-RED", 2)])
    shop.cart(None, [("BOOK-DUNE", 1)])
    clock.advance(app.settings.abandoned_cart_seconds)
    app.scheduler.run("abandon-stale-carts")
    admin_token = shop.login("admin@example.com")     # the earlier session has expired
    report = app.call("GET", "/admin/reports/abandoned-carts", token=admin_token).body
    assert report == {"carts": 2, "value_cents": 4500 + 1600 + 1500,
                      "by_customer": {"alice@example.com": 6100}, "skipped_lines": 0}


def test_identifiers_and_legacy_bus():
    code = short_code(10)
    assert len(code) == 10 and code.isalnum() and code == code.upper()
    assert new_token() != new_token()
    assert correlation_id() != correlation_id()
    seen = []
    default_bus.subscribe("legacy.test", lambda t, p: seen.append(p))
    try:
        assert publish("legacy.test", x=1) >= 1
    finally:
        default_bus.unsubscribe("legacy.test", default_bus._subscribers["legacy.test"][0])
    assert seen == [{"x": 1}]


def test_shipment_tracking_numbers(shop, app):
    first = app.shipments.create(1, "express")
    second = app.shipments.create(2, "standard")
    assert (first.tracking_number, second.tracking_number) == ("EX000000001", "ST000000002")
    assert app.shipments.mark_delivered(first.id).delivered_at == app.clock.now()
