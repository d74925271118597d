import json

import pytest

from conftest import CARD_OK

from pyshop.errors import Conflict, PaymentDeclined
from pyshop.payments.gateway import FakeGateway
from pyshop.payments.webhooks import sign


def test_fake_gateway_test_cards():
    gw = FakeGateway()
    assert gw.authorize(100, "4242 4242 4242 4242", "r1").ok
    assert gw.authorize(100, "4000000000000002", "r2").code == "declined"
    assert gw.authorize(100, "4000000000009995", "r3").code == "insufficient_funds"
    assert gw.authorize(100, "1234", "r4").code == "invalid_card"
    ok = gw.authorize(500, CARD_OK, "r5")
    assert gw.void(ok.transaction_id).ok
    assert not gw.capture(ok.transaction_id).ok
    other = gw.authorize(500, CARD_OK, "r6")
    gw.capture(other.transaction_id)
    assert not gw.void(other.transaction_id).ok
    assert gw.refund(other.transaction_id, 300).ok and not gw.refund(other.transaction_id, 300).ok


def test_partial_refunds(shop, app, alice_token):
    order = app.orders.by_number(shop.order_for(alice_token, [("GAME-CATAN", 1)])["number"])
    assert app.payments.refund(order, 1000) == 1000
    assert app.payments.repo.for_order(order.id)[0].status == "partially_refunded"
    assert app.payments.refund(order) == order.total_cents - 1000
    with pytest.raises(Conflict):
        app.payments.refund(order, 1)
    assert app.payments.paid_amount(order.id) == 0


def test_declined_payment_is_recorded(shop, app, alice_token):
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    shop.checkout(alice_token, cart_id, card="4000000000009995")
    order = app.orders.repo.all()[-1]
    payments = app.payments.repo.for_order(order.id)
    assert [p.status for p in payments] == ["declined"]
    with pytest.raises(PaymentDeclined):
        app.payments.charge(order, "4000000000000002")


def _deliver(app, event, secret="whsec_test"):
    body = json.dumps(event)
    return app.call("POST", "/webhooks/gateway", body, headers={"X-Signature": sign(secret, body)})


def test_dispute_webhooks(shop, app, alice_token):
    number = shop.order_for(alice_token, [("DICE-RED", 1)])["number"]
    txn = next(iter(app.gateway.transactions))
    resp = _deliver(app, {"id": "evt_1", "type": "dispute.opened", "transaction_id": txn})
    assert resp.status == 200 and resp.body == {"event_id": "evt_1", "order": number,
                                                "payment_status": "disputed"}
    assert _deliver(app, {"id": "evt_1", "type": "dispute.opened", "transaction_id": txn}).body["duplicate"]
    assert _deliver(app, {"id": "evt_2", "type": "charge.succeeded", "transaction_id": txn}).body["ignored"]
    _deliver(app, {"id": "evt_3", "type": "dispute.lost", "transaction_id": txn})
    assert app.payments.repo.for_order(app.orders.by_number(number).id)[0].status == "charged_back"
    assert app.audit.entries(action="payment.dispute.lost")[0]["subject"] == number


def test_webhook_rejects_bad_deliveries(shop, app):
    assert _deliver(app, {"id": "e", "type": "dispute.opened", "transaction_id": "t"}, secret="x").status == 401
    body = "not json"
    resp = app.call("POST", "/webhooks/gateway", body, headers={"X-Signature": sign("whsec_test", body)})
    assert resp.status == 400
    assert _deliver(app, {"id": "e9", "type": "dispute.won", "transaction_id": "txn_missing"}).status == 404
