"""Catalog service: products, variants and categories."""

from ..errors import Conflict, NotFound, ValidationError
from ..util.text import slugify
from ..util.validation import money_cents, valid_sku
from .models import TAX_CLASSES, Category, Product, Variant
from .repository import CategoryRepository, ProductRepository, VariantRepository
from .search import SearchIndex


class CatalogService:
    def __init__(self, db, cache, clock, events=None):
        self.db = db
        self.cache = cache
        self.clock = clock
        self.events = events
        self.categories = CategoryRepository(db)
        self.products = ProductRepository(db)
        self.variants = VariantRepository(db)
        self.index = SearchIndex()

    # -- categories ------------------------------------------------------
    def add_category(self, name: str, *, parent_id=None, tax_class="standard") -> Category:
        if tax_class not in TAX_CLASSES:
            raise ValidationError(f"unknown tax class {tax_class}")
        if parent_id is not None:
            self.categories.require(parent_id)
        return self.categories.add(Category(slug=slugify(name), name=name,
                                            parent_id=parent_id, tax_class=tax_class))

    def category(self, category_id):
        return self.categories.get(category_id) if category_id is not None else None

    # -- products --------------------------------------------------------
    def add_product(self, name: str, *, category_id=None, description="", tax_class=None,
                    variants=()) -> Product:
        """Create a product with its variants: ``[(sku, name, price_cents, weight_grams)]``."""
        category = self.category(category_id)
        if category_id is not None and category is None:
            raise NotFound(f"category {category_id} not found")
        tax_class = tax_class or (category.tax_class if category else "standard")
        if tax_class not in TAX_CLASSES:
            raise ValidationError(f"unknown tax class {tax_class}")
        with self.db.transaction():
            product = self.products.add(Product(
                slug=slugify(name), name=name, description=description, category_id=category_id,
                tax_class=tax_class, created_at=self.clock.now()))
            for spec in variants:
                self.add_variant(product.id, *spec)
        self.index.index(product)
        return product

    def add_variant(self, product_id: int, sku: str, name: str, price_cents: int,
                    weight_grams: int = 0, **attributes) -> Variant:
        self.products.require(product_id)
        sku = valid_sku(sku)
        if self.variants.by_sku(sku) is not None:
            raise Conflict(f"SKU {sku} already exists", field="sku")
        return self.variants.add(Variant(product_id=product_id, sku=sku, name=name,
                                         price_cents=money_cents(price_cents, "price_cents"),
                                         weight_grams=weight_grams, attributes=attributes))

    def set_base_price(self, sku: str, price_cents: int) -> Variant:
        old = self.variant_by_sku(sku)
        variant = self.variants.update(old.id, price_cents=money_cents(price_cents, "price_cents"))
        if self.events is not None and old.price_cents != variant.price_cents:
            self.events.publish("price.changed", sku=variant.sku, old_cents=old.price_cents,
                                new_cents=variant.price_cents, at=self.clock.now())
        self.cache.invalidate("prices")
        self.cache.invalidate("variants", sku)
        return variant

    def deactivate(self, product_id: int) -> None:
        product = self.products.require(product_id)
        self.products.update(product.id, active=False)
        self.index.remove(product.id)
        for variant in self.variants.for_product(product.id):
            self.cache.invalidate("variants", variant.sku)

    def product(self, product_id: int) -> Product:
        return self.products.require(product_id)

    def product_by_slug(self, slug: str) -> Product:
        product = self.products.by_slug(slug)
        if product is None or not product.active:
            raise NotFound(f"product {slug} not found")
        return product

    def variant_by_sku(self, sku: str) -> Variant:
        region = self.cache.region("variants")
        variant = region.get(sku)
        if variant is None:
            variant = self.variants.by_sku(sku)
            if variant is None:
                raise NotFound(f"SKU {sku} not found", sku=sku)
            region.set(sku, variant)
        return variant

    def sellable(self, sku: str) -> tuple:
        """(variant, product) for a SKU that can be sold; NotFound otherwise."""
        variant = self.variant_by_sku(sku)
        product = self.products.require(variant.product_id)
        if not (variant.active and product.active):
            raise NotFound(f"SKU {sku} is not for sale", sku=sku)
        return variant, product

    def list_products(self, *, category_id=None) -> list:
        products = self.products.active()
        if category_id is not None:
            products = [p for p in products if p.category_id == category_id]
        return products

    def search(self, query: str) -> list:
        return [p for p in (self.products.get(pid) for pid in self.index.search(query))
                if p is not None and p.active]

    def describe(self, product: Product) -> dict:
        return {
            "id": product.id,
            "slug": product.slug,
            "name": product.name,
            "description": product.description,
            "category_id": product.category_id,
            "variants": [
                {"sku": v.sku, "name": v.name, "price_cents": v.price_cents,
                 "weight_grams": v.weight_grams}
                for v in self.variants.for_product(product.id) if v.active
            ],
        }
