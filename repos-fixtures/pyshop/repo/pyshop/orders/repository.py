"""Order repositories."""

from ..db.repository import Repository
from .models import Order, OrderLine


class OrderRepository(Repository):
    table_name = "orders"
    model = Order

    def by_number(self, number: str):
        return self.find_one(number=number)

    def for_customer(self, customer_id: int) -> list:
        return self.find(customer_id=customer_id)

    def with_status(self, *statuses) -> list:
        return [o for o in self.all() if o.status in statuses]


class OrderLineRepository(Repository):
    table_name = "order_lines"
    model = OrderLine

    def for_order(self, order_id: int) -> list:
        return self.find(order_id=order_id)

    def line(self, order_id: int, sku: str):
        return self.find_one(order_id=order_id, sku=sku)
