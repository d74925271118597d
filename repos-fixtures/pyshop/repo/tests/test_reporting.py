from pyshop.reporting.export import HEADER, orders_csv
from pyshop.reporting.inventory_report import stock_report
from pyshop.reporting.sales import daily_sales, sales_by_source
from pyshop.util.dates import day_of


def test_daily_sales(shop, app, clock, alice_token, admin_token):
    first = shop.order_for(alice_token, [("GAME-CATAN", 2)])
    second = shop.order_for(alice_token, [("DICE-RED", 1)])
    cart_id = shop.cart(alice_token, [("BOOK-DUNE", 1)])
    shop.checkout(alice_token, cart_id, payment={"method": "bank_transfer"})
    report = daily_sales(app, day_of(clock.now()))
    assert report["orders"] == 2
    assert report["gross_cents"] == first["total_cents"] + second["total_cents"]
    assert report["net_cents"] == report["gross_cents"] - report["tax_cents"] - report["shipping_cents"]
    assert report["top_skus"] == ["GAME-CATAN", "DICE-RED"]
    assert report["average_order"] == round(report["gross_cents"] / 2 / 100, 2)
    resp = app.call("GET", "/admin/reports/sales?day=2023-11-15", token=admin_token)
    assert resp.status == 200 and resp.body["orders"] == 0
    assert app.call("GET", "/admin/reports/sales?day=yesterday", token=admin_token).status == 400


def test_orders_csv_export(shop, app, alice_token, admin_token):
    order = shop.order_for(alice_token, [("DICE-RED", 2)])
    resp = app.call("GET", "/admin/reports/orders.csv", token=admin_token)
    assert resp.headers["content-type"] == "text/csv"
    lines = resp.body.strip().split("\n")
    assert lines[0] == ",".join(HEADER)
    assert lines[1].startswith(f"{order['number']},paid,web,alice@example.com,2023-11-14T22:13:20Z")
    assert lines[1].endswith(",16.00,0.00,4.99,1.16,22.15,USD")
    assert orders_csv(app, since=app.clock.now() + 1) == ",".join(HEADER) + "\n"


def test_stock_report(shop, app, alice_token):
    shop.order_for(alice_token, [("GAME-CATAN", 10)])
    rows = {r["sku"]: r for r in stock_report(app)}
    assert rows["GAME-CATAN"]["status"] == "out" and rows["GAME-CATAN"]["reserved"] == 10
    assert rows["DICE-RED"]["status"] == "ok" and rows["DICE-RED"]["name"] == "Red"


def test_sales_by_source(shop, app, alice_token, admin_token):
    web = shop.order_for(alice_token, [("DICE-RED", 1)])
    body = {"customer_id": shop.alice.id, "items": [{"sku": "DICE-BLUE", "quantity": 1}], "paid_offline": True}
    phone = app.call("POST", "/admin/orders/manual", body, token=admin_token).body
    assert sales_by_source(app) == {"web": web["total_cents"], "phone": phone["total_cents"]}
