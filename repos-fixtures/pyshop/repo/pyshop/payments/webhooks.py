"""Gateway webhooks (disputes and chargebacks).

The gateway signs each delivery with an HMAC of the raw body; deliveries are
idempotent by event id.
"""

import hashlib
import hmac
import json

from ..errors import NotFound, Unauthorized, ValidationError

HANDLED = ("dispute.opened", "dispute.won", "dispute.lost")


def sign(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


class WebhookReceiver:
    def __init__(self, app, secret: str = "whsec_test"):
        self.app = app
        self.secret = secret
        self._seen = app.db.table("webhook_events")

    def receive(self, body: str, signature: str) -> dict:
        if not hmac.compare_digest(sign(self.secret, body), signature or ""):
            raise Unauthorized("bad webhook signature")
        try:
            event = json.loads(body)
            event_id, kind, txn = event["id"], event["type"], event["transaction_id"]
        except (ValueError, KeyError, TypeError):
            raise ValidationError("malformed webhook") from None
        if self._seen.find_one(event_id=event_id) is not None:
            return {"event_id": event_id, "duplicate": True}
        if kind not in HANDLED:
            self._seen.insert({"event_id": event_id, "type": kind, "ignored": True})
            return {"event_id": event_id, "ignored": True}
        payment = self.app.payments.repo.find_one(transaction_id=txn)
        if payment is None:
            raise NotFound(f"no payment for transaction {txn}")
        order = self.app.orders.get(payment.order_id)
        status = {"dispute.opened": "disputed", "dispute.won": "captured", "dispute.lost": "charged_back"}[kind]
        self.app.payments.repo.update(payment.id, status=status)
        self.app.audit.record("gateway", f"payment.{kind}", order.number, transaction=txn)
        if kind == "dispute.opened":
            self.app.outbox.enqueue(self.app.settings.ops_email, "low_stock_digest", count=0,
                                    lines=f"Dispute opened for {order.number} ({txn})")
        self._seen.insert({"event_id": event_id, "type": kind, "ignored": False})
        return {"event_id": event_id, "order": order.number, "payment_status": status}
