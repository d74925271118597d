"""Customer accounts: registration, profile, addresses, groups."""

from ..auth.passwords import hash_password
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..shipping.addresses import validate_address
from ..util.text import squash_spaces
from ..util.validation import valid_email, valid_password
from .models import GROUPS, ROLES, Address, Customer
from .repository import AddressRepository, CustomerRepository


class CustomerService:
    def __init__(self, db, clock, settings):
        self.db = db
        self.clock = clock
        self.settings = settings
        self.repo = CustomerRepository(db)
        self.addresses = AddressRepository(db)

    def register(self, email: str, password: str, name: str, *, group: str = "retail",
                 role: str = "customer") -> Customer:
        email = valid_email(email)
        valid_password(password)
        name = squash_spaces(name)
        if not name:
            raise ValidationError("name is required", field="name")
        if group not in GROUPS or role not in ROLES:
            raise ValidationError("unknown group or role")
        if self.repo.by_email(email) is not None:
            raise Conflict("an account with this e-mail already exists", field="email")
        return self.repo.add(Customer(
            email=email, name=name, group=group, role=role,
            password_hash=hash_password(password, iterations=self.settings.password_iterations),
            created_at=self.clock.now()))

    def get(self, customer_id: int) -> Customer:
        return self.repo.require(customer_id)

    def by_email(self, email: str):
        return self.repo.by_email(email)

    def update_profile(self, customer_id: int, *, name=None) -> Customer:
        changes = {}
        if name is not None:
            name = squash_spaces(name)
            if not name:
                raise ValidationError("name is required", field="name")
            changes["name"] = name
        return self.repo.update(customer_id, **changes)

    def set_group(self, customer_id: int, group: str) -> Customer:
        if group not in GROUPS:
            raise ValidationError(f"unknown group {group}")
        return self.repo.update(customer_id, group=group)

    def set_tax_exempt(self, customer_id: int, exempt: bool) -> Customer:
        return self.repo.update(customer_id, tax_exempt=bool(exempt))

    def deactivate(self, customer_id: int) -> Customer:
        return self.repo.update(customer_id, active=False)

    # -- addresses ---------------------------------------------------------
    def add_address(self, customer_id: int, data: dict, *, default: bool = False) -> Address:
        self.repo.require(customer_id)
        clean = validate_address(data)
        with self.db.transaction():
            existing = self.addresses.for_customer(customer_id)
            if default or not existing:
                for other in existing:
                    if other.is_default:
                        self.addresses.update(other.id, is_default=False)
                default = True
            return self.addresses.add(Address(customer_id=customer_id, is_default=default, **clean))

    def address(self, customer_id: int, address_id: int) -> Address:
        address = self.addresses.get(address_id)
        if address is None:
            raise NotFound(f"address {address_id} not found")
        if address.customer_id != customer_id:
            raise Forbidden("not your address")
        return address

    def default_address(self, customer_id: int):
        return self.addresses.default_for(customer_id)
