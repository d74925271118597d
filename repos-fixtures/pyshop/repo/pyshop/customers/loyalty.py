"""Loyalty points: earned on paid orders, one entry per order."""

from ..errors import ValidationError


class LoyaltyProgram:
    def __init__(self, db, settings):
        self._table = db.table("loyalty_entries")
        self.settings = settings

    def points_for(self, amount_cents: int) -> int:
        return (max(amount_cents, 0) // 100) * self.settings.loyalty_points_per_dollar

    def award(self, customer_id: int, order_id: int, amount_cents: int) -> int:
        if self._table.find_one(customer_id=customer_id, order_id=order_id, kind="earn"):
            return 0
        points = self.points_for(amount_cents)
        if points:
            self._table.insert({"customer_id": customer_id, "order_id": order_id,
                                "kind": "earn", "points": points})
        return points

    def revoke(self, customer_id: int, order_id: int) -> int:
        earned = self._table.find_one(customer_id=customer_id, order_id=order_id, kind="earn")
        if earned is None or self._table.find_one(customer_id=customer_id, order_id=order_id,
                                                  kind="revoke"):
            return 0
        self._table.insert({"customer_id": customer_id, "order_id": order_id, "kind": "revoke",
                            "points": -earned["points"]})
        return earned["points"]

    def spend(self, customer_id: int, points: int, reference: str) -> int:
        if points <= 0:
            raise ValidationError("points must be positive")
        if points > self.balance(customer_id):
            raise ValidationError("not enough points")
        self._table.insert({"customer_id": customer_id, "order_id": None, "kind": "spend",
                            "points": -points, "reference": reference})
        return self.balance(customer_id)

    def balance(self, customer_id: int) -> int:
        return sum(r["points"] for r in self._table.find(customer_id=customer_id))

    def entries(self, customer_id: int) -> list:
        return self._table.find(customer_id=customer_id)
