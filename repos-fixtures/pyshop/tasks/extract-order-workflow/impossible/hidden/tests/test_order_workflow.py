"""OrderWorkflow: every order status change in one place
(hidden tests for extract-order-workflow)."""

import pytest
from conftest import CARD_DECLINED, CARD_OK

from pyshop.errors import InsufficientStock, InvalidTransition, PaymentDeclined
from pyshop.orders import status as st
from pyshop.orders.models import Order, OrderLine

# The new API is imported inside the tests so that, before the refactor, only
# these tests fail and the rest of the suite still runs.


def _draft(shop, number, items, total=5000):
    order = Order(number=number, customer_id=shop.alice.id, payment_method="bank_transfer",
                  subtotal_cents=total, total_cents=total, address={"country": "US", "region": "CA"},
                  created_at=shop.app.clock.now())
    lines = [OrderLine(order_id=0, sku=sku, name=sku, quantity=qty, unit_price_cents=100,
                       line_total_cents=100 * qty) for sku, qty in items]
    return order, lines


def _bank_order(shop, token, items):
    cart_id = shop.cart(token, items)
    resp = shop.checkout(token, cart_id, payment={"method": "bank_transfer"})
    assert resp.status == 201, resp.body
    return resp.body["number"]


def test_application_exposes_the_workflow(app):
    from pyshop.orders.workflow import OrderWorkflow

    assert isinstance(app.workflow, OrderWorkflow)

def test_open_order_reserves_stock_and_stores_the_order(shop, app):
    from pyshop.orders.workflow import OrderWorkflow

    assert isinstance(app.workflow, OrderWorkflow)
    order, lines = _draft(shop, "SO-TEST-1", [("GAME-CATAN", 2), ("DICE-RED", 1)])
    stored = app.workflow.open_order(order, lines, actor="tester")
    assert stored.id and stored.status == st.PENDING_PAYMENT
    assert app.orders.by_number("SO-TEST-1").id == stored.id
    assert [l.sku for l in app.orders.lines(stored.id)] == ["GAME-CATAN", "DICE-RED"]
    assert app.ledger.held("SO-TEST-1") == {"GAME-CATAN": 2, "DICE-RED": 1}
    assert app.inventory.movements.kinds_for("SO-TEST-1") == ["reserve", "reserve"]


def test_open_order_is_all_or_nothing(shop, app):
    from pyshop.orders.workflow import OrderWorkflow

    assert isinstance(app.workflow, OrderWorkflow)
    order, lines = _draft(shop, "SO-TEST-2", [("DICE-RED", 2), ("GAME-CATAN", 11)])
    with pytest.raises(InsufficientStock):
        app.workflow.open_order(order, lines, actor="tester")
    assert app.orders.repo.by_number("SO-TEST-2") is None
    assert app.ledger.held("SO-TEST-2") == {}
    assert shop.level("DICE-RED").reserved == 2


def test_record_payment_by_card_and_offline(shop, app):
    order, lines = _draft(shop, "SO-TEST-3", [("DICE-RED", 1)])
    stored = app.workflow.open_order(order, lines, actor="tester")
    paid = app.workflow.record_payment(stored.id, method="card", card_number=CARD_OK, actor="alice@example.com")
    assert paid.status == st.PAID and paid.paid_at == app.clock.now()
    assert app.loyalty.balance(shop.alice.id) == 50
    assert app.audit.entries(action="order.paid", subject="SO-TEST-3")
    with pytest.raises(InvalidTransition):
        app.workflow.record_payment(stored.id, method="bank_transfer", actor="support")
    order, lines = _draft(shop, "SO-TEST-4", [("DICE-BLUE", 1)], total=1000)
    other = app.workflow.open_order(order, lines, actor="tester")
    app.workflow.record_payment(other.id, method="bank_transfer", actor="support")
    assert app.payments.paid_amount(other.id) == 1000 and app.loyalty.balance(shop.alice.id) == 60


def test_declined_payment_releases_stock_and_can_be_retried(shop, app):
    order, lines = _draft(shop, "SO-TEST-5", [("GAME-CATAN", 3)])
    stored = app.workflow.open_order(order, lines, actor="tester")
    with pytest.raises(PaymentDeclined):
        app.workflow.record_payment(stored.id, method="card", card_number=CARD_DECLINED, actor="alice")
    assert app.orders.get(stored.id).status == st.PAYMENT_FAILED
    assert shop.level("GAME-CATAN").available == 10
    assert app.outbox.messages_for("alice@example.com", "payment_failed")
    reopened = app.workflow.reopen(stored.id, actor="alice")
    assert reopened.status == st.PENDING_PAYMENT and app.ledger.held("SO-TEST-5") == {"GAME-CATAN": 3}
    assert app.workflow.record_payment(stored.id, card_number=CARD_OK, actor="alice").status == st.PAID


def test_support_cancelling_a_paid_order_refunds_it(shop, app, alice_token, support_token):
    from pyshop.orders.workflow import OrderWorkflow

    assert isinstance(app.workflow, OrderWorkflow)
    order = shop.order_for(alice_token, [("GAME-CATAN", 2)])
    assert app.loyalty.balance(shop.alice.id) > 0
    resp = app.call("POST", f"/admin/orders/{order['number']}/cancel", {"reason": "customer called"},
                    token=support_token)
    assert resp.status == 200 and resp.body["status"] == "cancelled"
    stored = app.orders.by_number(order["number"])
    payment = app.payments.repo.for_order(stored.id)[0]
    assert payment.status == "refunded" and payment.refunded_cents == order["total_cents"]
    assert app.outbox.messages_for("alice@example.com", "refund_issued")
    assert app.loyalty.balance(shop.alice.id) == 0
    assert shop.level("GAME-CATAN").available == 10


def test_expiry_job_cancels_through_the_workflow(shop, app, clock, alice_token):
    from pyshop.orders.workflow import OrderWorkflow

    assert isinstance(app.workflow, OrderWorkflow)
    number = _bank_order(shop, alice_token, [("GAME-CATAN", 2)])
    clock.advance(app.settings.unpaid_order_ttl_seconds)
    assert app.scheduler.run("expire-unpaid-orders") == [number]
    entry = app.audit.entries(action="order.cancelled", subject=number)
    assert entry and entry[0]["actor"] == "system" and entry[0]["details"]["reason"] == "payment_timeout"
    assert app.outbox.messages_for("alice@example.com", "order_cancelled")
    assert app.inventory.movements.kinds_for(number) == ["reserve", "release"]
    assert ("order.cancelled", {"order_id": app.orders.by_number(number).id, "reason": "payment_timeout"}) \
        in app.events.history("order.cancelled")


def test_expire_unpaid_directly(shop, app, clock, alice_token):
    old = _bank_order(shop, alice_token, [("DICE-RED", 1)])
    clock.advance(app.settings.unpaid_order_ttl_seconds)
    fresh = _bank_order(shop, shop.login("alice@example.com"), [("DICE-BLUE", 1)])
    assert app.workflow.expire_unpaid() == [old]
    assert app.orders.by_number(old).status == st.CANCELLED
    assert app.orders.by_number(fresh).status == st.PENDING_PAYMENT


def test_phone_orders_log_stock_and_award_loyalty(shop, app, admin_token):
    from pyshop.orders.workflow import OrderWorkflow

    assert isinstance(app.workflow, OrderWorkflow)
    body = {"customer_id": shop.alice.id, "items": [{"sku": "DICE-BLUE", "quantity": 2}], "paid_offline": True}
    order = app.call("POST", "/admin/orders/manual", body, token=admin_token).body
    assert order["status"] == "paid"
    assert app.inventory.movements.kinds_for(order["number"]) == ["reserve"]
    assert app.loyalty.balance(shop.alice.id) == order["total_cents"] // 100
    assert app.audit.entries(action="order.paid", subject=order["number"])


def test_shipping_and_delivery_go_through_the_workflow(shop, app, alice_token, admin_token):
    number = _bank_order(shop, alice_token, [("GAME-CATAN", 1)])
    order = app.orders.by_number(number)
    with pytest.raises(InvalidTransition):
        app.workflow.ship(order.id, carrier="ground", actor="warehouse")
    app.workflow.record_payment(order.id, method="bank_transfer", actor="support")
    shipment = app.workflow.ship(order.id, carrier="ground", actor="warehouse")
    assert shipment.tracking_number == "GR000000001"
    assert shop.level("GAME-CATAN").on_hand == 9 and shop.level("GAME-CATAN").reserved == 0
    assert app.workflow.deliver(order.id, actor="carrier").status == st.DELIVERED
    with pytest.raises(InvalidTransition):
        app.workflow.cancel(order.id, reason="late", actor="support")
    resp = app.call("POST", f"/admin/orders/{number}/ship", {}, token=admin_token)
    assert resp.status == 409 and resp.body["error"] == "invalid_transition"
