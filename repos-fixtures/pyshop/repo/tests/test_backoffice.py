import pytest

from conftest import DE_ADDRESS

from pyshop.api.http import Request
from pyshop.api.middleware import MAX_BODY_BYTES
from pyshop.errors import ValidationError
from pyshop.inventory.warehouses import UNSORTED, BinDirectory, parse_location


def test_bin_locations_sort_the_walk():
    bins = BinDirectory()
    bins.assign("A1", "a-01-1")
    bins.assign("A5", "A-05-1")
    bins.assign("B1", "B-01-2")
    bins.assign("B5", "B-05-1")
    order = sorted(["B1", "A5", "NOBIN", "B5", "A1"], key=bins.sort_key)
    assert order == ["A1", "A5", "B5", "B1", "NOBIN"]
    assert bins.location("NOBIN") == UNSORTED
    assert parse_location("c-12-3") == ("C", 12, 3)
    with pytest.raises(ValidationError):
        bins.assign("X", "shelf 4")


def test_picking_list_and_packing_slip(shop, app, alice_token, bob_token, admin_token):
    first = shop.order_for(alice_token, [("DICE-RED", 2), ("GAME-CATAN", 1)])["number"]
    second = shop.order_for(bob_token, [("DICE-RED", 1)])["number"]
    app.call("POST", "/admin/bins/game-catan", {"location": "A-02-1"}, token=admin_token)
    app.call("POST", "/admin/bins/DICE-RED", {"location": "B-01-1"}, token=admin_token)
    result = app.call("GET", "/admin/picking", token=admin_token).body
    assert result["orders"] == [first, second]
    assert [(p["sku"], p["quantity"], p["location"]) for p in result["picks"]] == [
        ("GAME-CATAN", 1, "A-02-1"), ("DICE-RED", 3, "B-01-1")]
    slip = app.call("GET", f"/admin/orders/{first}/packing-slip", token=admin_token).body
    assert slip.splitlines()[2] == "Alice Liddell" and "  2 x DICE-RED" in slip
    assert app.call("GET", "/admin/picking?limit=1", token=admin_token).body["orders"] == [first]


def test_invoices(shop, app, alice_token, bob_token):
    app.promotions.create("Games -10%", "percent_category", 10, category_id=shop.games.id)
    order = shop.order_for(alice_token, [("GAME-CATAN", 1)])
    text = app.call("GET", f"/orders/{order['number']}/invoice", token=alice_token).body
    assert text.startswith("pyshop invoice INV-2023-000001")
    assert "Games -10%" in text and "Total" in text and "$48.43" in text
    assert app.call("GET", f"/orders/{order['number']}/invoice", token=bob_token).status == 404
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    unpaid = shop.checkout(alice_token, cart_id, payment={"method": "bank_transfer"}).body["number"]
    assert app.call("GET", f"/orders/{unpaid}/invoice", token=alice_token).status == 409


def test_data_export_and_erasure(shop, app, alice_token, admin_token):
    number = shop.order_for(alice_token, [("DICE-RED", 1)], address=DE_ADDRESS)["number"]
    app.call("POST", f"/admin/orders/{number}/ship", {}, token=admin_token)
    data = app.call("GET", "/me/data", token=alice_token).body
    assert data["profile"]["email"] == "alice@example.com" and len(data["orders"]) == 1
    assert data["emails"][0]["subject"].startswith("Your order")
    resp = app.call("POST", f"/admin/customers/{shop.alice.id}/erase", token=admin_token)
    assert resp.status == 200 and resp.body["sessions_revoked"] == 1
    erased = app.customers.get(shop.alice.id)
    assert erased.email == f"erased-{shop.alice.id}@invalid" and not erased.active
    order = app.orders.for_customer(shop.alice.id)[0]
    assert order.address["name"] == "Erased" and order.address["country"] == "DE"
    assert app.customers.addresses.for_customer(shop.alice.id) == []


def test_erasure_waits_for_open_orders(shop, app, alice_token, admin_token):
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    shop.checkout(alice_token, cart_id, payment={"method": "bank_transfer"})
    resp = app.call("POST", f"/admin/customers/{shop.alice.id}/erase", token=admin_token)
    assert resp.status == 409 and len(resp.body["orders"]) == 1


def test_tax_report(shop, app, alice_token, bob_token, admin_token):
    shop.order_for(alice_token, [("GAME-CATAN", 1)])
    shop.order_for(alice_token, [("BOOK-DUNE", 1)], address=DE_ADDRESS)
    shop.order_for(bob_token, [("DICE-RED", 1)])
    rows = app.call("GET", "/admin/reports/tax?from=2023-11-01&to=2023-11-30", token=admin_token).body["rows"]
    assert [(r["country"], r["region"], r["orders"]) for r in rows] == [
        ("DE", None, 1), ("US", "CA", 1), ("US", "NY", 1)]
    assert rows[1]["tax_cents"] == 326
    assert app.call("GET", "/admin/reports/tax?from=2023-11-01", token=admin_token).status == 400
    assert app.call("GET", "/admin/reports/tax?from=x&to=y", token=admin_token).status == 400


def test_reconciliation(shop, app, alice_token, admin_token):
    order = shop.order_for(alice_token, [("DICE-RED", 1)])
    assert app.call("GET", "/admin/reports/reconciliation", token=admin_token).body == {
        "checked": 1, "mismatches": [], "ok": True}
    txn = next(iter(app.gateway.transactions))
    app.gateway.transactions[txn]["refunded"] = 100
    app.gateway.transactions["txn_999999"] = {"amount": 5, "captured": 5, "refunded": 0}
    report = app.call("GET", "/admin/reports/reconciliation", token=admin_token).body
    assert [m["problem"] for m in report["mismatches"]] == ["refund", "missing_locally"]
    assert order["total_cents"] == app.gateway.transactions[txn]["captured"]


def test_request_log_and_middleware(shop, app):
    resp = app.call("GET", "/products", headers={"X-Request-Id": "abc-123"})
    assert resp.headers["x-request-id"] == "abc-123"
    assert app.call("GET", "/nothing").headers["x-request-id"].startswith("req-")
    big = app.handle(Request("POST", "/login", body="x" * (MAX_BODY_BYTES + 1)))
    assert big.status == 413
    records = app.request_log.records(path="/products")
    assert records[0]["status"] == 200 and records[0]["request_id"] == "abc-123"
    assert [r["status"] for r in app.request_log.records()][-2:] == [404, 413]
