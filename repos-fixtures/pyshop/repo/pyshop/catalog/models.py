"""Catalog records."""

from dataclasses import dataclass, field

TAX_CLASSES = ("standard", "reduced", "exempt")


@dataclass(kw_only=True)
class Category:
    id: int = 0
    slug: str
    name: str
    parent_id: int | None = None
    tax_class: str = "standard"


@dataclass(kw_only=True)
class Product:
    id: int = 0
    slug: str
    name: str
    description: str = ""
    category_id: int | None = None
    tax_class: str = "standard"
    active: bool = True
    created_at: float = 0.0


@dataclass(kw_only=True)
class Variant:
    id: int = 0
    product_id: int
    sku: str
    name: str
    price_cents: int
    weight_grams: int = 0
    active: bool = True
    attributes: dict = field(default_factory=dict)


@dataclass(kw_only=True)
class GroupPrice:
    id: int = 0
    sku: str
    group: str
    price_cents: int
