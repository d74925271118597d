"""Marketing e-mail preferences and one-click unsubscribe tokens.

Transactional e-mails (order confirmations, shipping notices) are always
sent; only marketing mail honours these preferences.
"""

import hashlib
import hmac

from ..errors import NotFound, ValidationError

TOPICS = ("newsletter", "back_in_stock", "offers")


class Preferences:
    def __init__(self, db, secret: str = "pyshop-unsubscribe"):
        self._table = db.table("email_preferences")
        self._secret = secret.encode()

    def _row(self, customer_id: int):
        return self._table.find_one(customer_id=customer_id)

    def get(self, customer_id: int) -> dict:
        row = self._row(customer_id)
        opted = set(row["topics"]) if row else {"back_in_stock"}
        return {topic: topic in opted for topic in TOPICS}

    def set(self, customer_id: int, **topics) -> dict:
        unknown = set(topics) - set(TOPICS)
        if unknown:
            raise ValidationError("unknown topics: " + ", ".join(sorted(unknown)))
        current = self.get(customer_id)
        current.update({k: bool(v) for k, v in topics.items()})
        chosen = sorted(t for t, on in current.items() if on)
        row = self._row(customer_id)
        if row is None:
            self._table.insert({"customer_id": customer_id, "topics": chosen})
        else:
            self._table.update(row["id"], topics=chosen)
        return current

    def allows(self, customer_id: int, topic: str) -> bool:
        return self.get(customer_id).get(topic, False)

    def unsubscribe_token(self, customer_id: int, topic: str) -> str:
        mac = hmac.new(self._secret, f"{customer_id}:{topic}".encode(), hashlib.sha256).hexdigest()[:24]
        return f"{customer_id}.{topic}.{mac}"

    def unsubscribe(self, token: str) -> dict:
        try:
            customer_id, topic, mac = token.split(".")
            customer_id = int(customer_id)
        except ValueError:
            raise NotFound("invalid unsubscribe link") from None
        if topic not in TOPICS or not hmac.compare_digest(token, self.unsubscribe_token(customer_id, topic)):
            raise NotFound("invalid unsubscribe link")
        return self.set(customer_id, **{topic: False})
