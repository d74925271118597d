"""Legacy CSV product import (used by the ops team's nightly feed).

Columns: category, product, description, sku, variant, price, weight_grams.
Prices are in major units ("12.50").  Rows for an existing SKU update its price.
"""

from ..errors import ShopError
from ..util.csvutil import read_csv
from ..util.money import to_cents
from ..util.text import slugify


def import_products(catalog, text: str) -> dict:
    created, updated, errors = 0, 0, []
    categories = {c.slug: c for c in catalog.categories.all()}
    for lineno, row in enumerate(read_csv(text), start=2):
        try:
            price = to_cents(row.get("price") or "0")
            sku = row["sku"].upper()
            if catalog.variants.by_sku(sku) is not None:
                catalog.set_base_price(sku, price)
                updated += 1
                continue
            category_id = None
            if row.get("category"):
                slug = slugify(row["category"])
                if slug not in categories:
                    categories[slug] = catalog.add_category(row["category"])
                category_id = categories[slug].id
            product = catalog.products.by_slug(slugify(row["product"]))
            if product is None:
                product = catalog.add_product(row["product"], category_id=category_id,
                                              description=row.get("description", ""))
            catalog.add_variant(product.id, sku, row.get("variant") or row["product"], price,
                                int(row.get("weight_grams") or 0))
            created += 1
        except (KeyError, ValueError, ShopError) as exc:
            errors.append(f"line {lineno}: {exc}")
    return {"created": created, "updated": updated, "errors": errors}
