"""Cart repositories."""

from ..db.repository import Repository
from .models import Cart, CartLine


class CartRepository(Repository):
    table_name = "carts"
    model = Cart

    def open_for_customer(self, customer_id: int):
        rows = self.find(customer_id=customer_id, status="open")
        return rows[-1] if rows else None


class CartLineRepository(Repository):
    table_name = "cart_lines"
    model = CartLine

    def for_cart(self, cart_id: int) -> list:
        return self.find(cart_id=cart_id)

    def line(self, cart_id: int, sku: str):
        return self.find_one(cart_id=cart_id, sku=sku)
