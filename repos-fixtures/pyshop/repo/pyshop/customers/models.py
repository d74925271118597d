"""Customer records."""

from dataclasses import dataclass

GROUPS = ("retail", "wholesale", "staff")
ROLES = ("customer", "support", "admin")


@dataclass(kw_only=True)
class Customer:
    id: int = 0
    email: str
    name: str
    password_hash: str
    group: str = "retail"
    role: str = "customer"
    tax_exempt: bool = False
    active: bool = True
    created_at: float = 0.0

    def public(self) -> dict:
        return {"id": self.id, "email": self.email, "name": self.name, "group": self.group,
                "role": self.role, "tax_exempt": self.tax_exempt}


@dataclass(kw_only=True)
class Address:
    id: int = 0
    customer_id: int
    name: str
    line1: str
    line2: str | None = None
    city: str
    region: str | None = None
    postcode: str
    country: str
    is_default: bool = False

    def as_dict(self) -> dict:
        return {"name": self.name, "line1": self.line1, "line2": self.line2, "city": self.city,
                "region": self.region, "postcode": self.postcode, "country": self.country}
