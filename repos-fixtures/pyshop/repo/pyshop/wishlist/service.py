"""Wishlists and back-in-stock notifications."""

from ..errors import NotFound


class WishlistService:
    def __init__(self, app):
        self.app = app
        self._table = app.db.table("wishlist")
        app.events.subscribe("stock.received", self._on_received)

    def add(self, customer_id: int, sku: str, *, notify: bool = True) -> dict:
        variant = self.app.catalog.variant_by_sku(sku.upper())
        row = self._table.find_one(customer_id=customer_id, sku=variant.sku)
        if row is not None:
            return self._table.update(row["id"], notify=notify)
        return self._table.insert({"customer_id": customer_id, "sku": variant.sku, "notify": notify,
                                   "added_at": self.app.clock.now(), "notified_at": None})

    def remove(self, customer_id: int, sku: str) -> None:
        row = self._table.find_one(customer_id=customer_id, sku=sku.upper())
        if row is None:
            raise NotFound(f"{sku} is not on the wishlist")
        self._table.delete(row["id"])

    def items(self, customer_id: int) -> list:
        out = []
        for row in self._table.find(customer_id=customer_id):
            out.append({"sku": row["sku"], "available": self.app.inventory.available(row["sku"]) > 0,
                        "price_cents": self.app.price_book.unit_price(row["sku"])})
        return out

    def _on_received(self, topic, payload) -> None:
        sku = payload["sku"]
        for row in self._table.find(sku=sku, notify=True):
            customer = self.app.customers.repo.get(row["customer_id"])
            if customer is None or not customer.active:
                continue
            if not self.app.email_preferences.allows(customer.id, "back_in_stock"):
                continue
            self.app.outbox.enqueue(customer.email, "back_in_stock", name=customer.name, sku=sku)
            self._table.update(row["id"], notify=False, notified_at=self.app.clock.now())
