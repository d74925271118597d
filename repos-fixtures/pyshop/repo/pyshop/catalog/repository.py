"""Catalog repositories."""

from ..db.repository import Repository
from .models import Category, GroupPrice, Product, Variant


class CategoryRepository(Repository):
    table_name = "categories"
    model = Category

    def by_slug(self, slug: str):
        return self.find_one(slug=slug)

    def children(self, parent_id: int) -> list:
        return self.find(parent_id=parent_id)


class ProductRepository(Repository):
    table_name = "products"
    model = Product

    def by_slug(self, slug: str):
        return self.find_one(slug=slug)

    def active(self) -> list:
        return self.find(active=True)


class VariantRepository(Repository):
    table_name = "variants"
    model = Variant

    def by_sku(self, sku: str):
        return self.find_one(sku=sku)

    def for_product(self, product_id: int) -> list:
        return self.find(product_id=product_id)


class GroupPriceRepository(Repository):
    table_name = "group_prices"
    model = GroupPrice

    def lookup(self, sku: str, group: str):
        return self.find_one(sku=sku, group=group)
