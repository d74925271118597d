from pyshop.api.http import Request
from pyshop.api.router import Router
from pyshop.events import EventBus


def test_unknown_route_and_wrong_method(app):
    resp = app.call("GET", "/nothing/here")
    assert resp.status == 404 and resp.body["error"] == "not_found"
    resp = app.call("DELETE", "/products")
    assert resp.status == 405 and resp.body["allowed"] == ["GET"]


def test_bad_json_is_a_400(shop, app):
    resp = app.handle(Request("POST", "/login", body="{not json"))
    assert resp.status == 400
    resp = app.handle(Request("POST", "/login", body="[1, 2]"))
    assert resp.status == 400 and resp.body["message"] == "body must be a JSON object"


def test_router_converts_parameters():
    router = Router()
    router.add("GET", "/carts/{cart_id:int}/items/{sku}", lambda app, req, **p: p)
    handler, params = router.match("GET", "/carts/12/items/DICE-RED/")
    assert params == {"cart_id": 12, "sku": "DICE-RED"}
    req = Request("get", "/search?q=dice&page=2", headers={"X-Test": "1"})
    assert req.method == "GET" and req.path == "/search" and req.query == {"q": "dice", "page": "2"}
    assert req.headers == {"x-test": "1"}


def test_product_listing_is_paginated(shop, app):
    page = app.call("GET", "/products?per_page=2&page=2").body
    assert page["total"] == 4 and page["pages"] == 2
    assert [p["slug"] for p in page["items"]] == ["dice-set", "gift-card"]
    assert app.call("GET", "/products?page=x").status == 400


def test_event_bus_isolates_failing_subscribers():
    bus = EventBus(keep_history=2)
    seen = []
    bus.subscribe("order.paid", lambda t, p: 1 / 0)
    bus.subscribe("order.paid", lambda t, p: seen.append(p["order_id"]))
    bus.subscribe("*", lambda t, p: seen.append(t))
    assert bus.publish("order.paid", order_id=3) == 3
    assert seen == [3, "order.paid"] and bus.failures[0][0] == "order.paid"
    bus.publish("a")
    bus.publish("b")
    assert [t for t, _ in bus.history()] == ["a", "b"]
