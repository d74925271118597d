import pytest

from pyshop.errors import NotFound
from pyshop.notifications.templates import render


def test_templates_render():
    subject, body = render("order_shipped", name="Alice", number="SO-1", carrier="ground", tracking="GR1")
    assert subject == "Order SO-1 is on its way" and "tracking GR1" in body
    with pytest.raises(NotFound):
        render("nope")


def test_outbox_and_mailer(app):
    outbox = app.outbox
    first = outbox.enqueue("a@example.com", "welcome", name="A", shop="pyshop")
    outbox.enqueue("b@example.com", "welcome", name="B", shop="pyshop")
    assert first["subject"] == "Welcome to pyshop" and len(outbox.pending()) == 2
    app.transport.fail_for.add("b@example.com")
    assert app.mailer.flush() == 1
    assert [m["to"] for m in app.transport.sent] == ["a@example.com"]
    app.mailer.flush()
    app.mailer.flush()
    failed = outbox.messages_for("b@example.com")[0]
    assert failed["status"] == "failed" and failed["attempts"] == 3
    assert outbox.pending() == []


def test_refund_email_after_support_cancellation_of_paid_order(shop, app, alice_token):
    number = shop.order_for(alice_token, [("DICE-RED", 1)])["number"]
    order = app.orders.by_number(number)
    app.orders.cancel(order.id, reason="customer called", actor="support@example.com")
    refund = app.outbox.messages_for("alice@example.com", "refund_issued")
    assert refund and "$13.57" in refund[0]["body"]
    assert app.loyalty.balance(shop.alice.id) == 0
    assert app.payments.repo.for_order(order.id)[0].status == "refunded"
