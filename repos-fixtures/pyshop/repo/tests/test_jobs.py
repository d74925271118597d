from pyshop.jobs.scheduler import JobScheduler
from pyshop.orders import status as st


def test_scheduler_runs_due_jobs_in_order(clock):
    scheduler = JobScheduler(clock)
    calls = []
    scheduler.every("b", 60, lambda: calls.append("b"))
    scheduler.every("a", 60, lambda: calls.append("a"))
    scheduler.every("slow", 3600, lambda: calls.append("slow"))
    assert scheduler.run_due() == []
    clock.advance(60)
    assert [name for name, _ in scheduler.run_due()] == ["a", "b"]
    assert scheduler.run_due() == []
    clock.advance(3600)
    assert sorted(name for name, _ in scheduler.run_due()) == ["a", "b", "slow"]
    assert calls.count("a") == 2


def test_failing_job_is_recorded(app, clock):
    scheduler = app.scheduler
    scheduler.every("broken", 10, lambda: 1 / 0)
    assert scheduler.run("broken") is None
    assert "ZeroDivisionError" in scheduler.job("broken").last_error
    runs = app.db.table("job_runs").find(job="broken")
    assert runs[0]["ok"] is False
    assert "expire-unpaid-orders" in scheduler.jobs()


def test_unpaid_orders_expire(shop, app, clock, alice_token):
    cart_id = shop.cart(alice_token, [("GAME-CATAN", 2), ("DICE-RED", 1)])
    number = shop.checkout(alice_token, cart_id, payment={"method": "bank_transfer"}).body["number"]
    paid = shop.order_for(alice_token, [("GAME-CATAN", 1)])["number"]
    clock.advance(app.settings.unpaid_order_ttl_seconds - 1)
    assert app.scheduler.run("expire-unpaid-orders") == []
    clock.advance(1)
    assert app.scheduler.run("expire-unpaid-orders") == [number]
    order = app.orders.by_number(number)
    assert order.status == st.CANCELLED and order.cancel_reason == "payment_timeout"
    assert app.ledger.held(number) == {}
    assert shop.level("GAME-CATAN").reserved == 1
    assert app.orders.by_number(paid).status == st.PAID


def test_stale_carts_are_abandoned(shop, app, clock, alice_token):
    old = shop.cart(alice_token, [("DICE-RED", 1)])
    clock.advance(app.settings.abandoned_cart_seconds)
    fresh = shop.cart(alice_token, [("DICE-RED", 1)])
    assert app.scheduler.run("abandon-stale-carts") == 1
    assert app.carts.get(old).status == "abandoned" and app.carts.get(fresh).status == "open"


def test_outbox_and_low_stock_jobs(shop, app, alice_token):
    shop.order_for(alice_token, [("GAME-CATAN", 7)])
    assert app.scheduler.run("low-stock-digest") == 1
    assert app.scheduler.run("low-stock-digest") == 0
    digest = app.outbox.messages_for(app.settings.ops_email, "low_stock_digest")
    assert "GAME-CATAN: 3 available" in digest[0]["body"]
    sent = app.scheduler.run("flush-outbox")
    assert sent == len(app.transport.sent) == 2
    assert app.outbox.pending() == []


def test_admin_runs_a_job(shop, app, admin_token, alice_token):
    resp = app.call("POST", "/admin/jobs/flush-outbox/run", token=admin_token)
    assert resp.status == 200 and resp.body["error"] is None
    assert app.call("POST", "/admin/jobs/nope/run", token=admin_token).status == 404
    assert app.call("POST", "/admin/jobs/flush-outbox/run", token=alice_token).status == 403
