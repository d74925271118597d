"""Customer and address repositories."""

from ..db.repository import Repository
from ..util.text import normalize_email
from .models import Address, Customer


class CustomerRepository(Repository):
    table_name = "customers"
    model = Customer

    def by_email(self, email: str):
        return self.find_one(email=normalize_email(email))


class AddressRepository(Repository):
    table_name = "addresses"
    model = Address

    def for_customer(self, customer_id: int) -> list:
        return self.find(customer_id=customer_id)

    def default_for(self, customer_id: int):
        rows = self.find(customer_id=customer_id, is_default=True)
        if rows:
            return rows[0]
        rows = self.for_customer(customer_id)
        return rows[0] if rows else None
