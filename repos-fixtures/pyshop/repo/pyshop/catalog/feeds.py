"""Product feeds for price comparison sites (tab separated).

One row per sellable variant with its retail price, availability and the
canonical product URL.  The feed is rebuilt nightly.
"""

from ..util.money import from_cents
from ..util.text import truncate

FEED_COLUMNS = ("id", "title", "description", "link", "price", "availability", "shipping_weight")
BASE_URL = "https://shop.example.com/products/"


def _availability(app, sku: str) -> str:
    available = app.inventory.available(sku)
    if available <= 0:
        return "out of stock"
    if available <= app.settings.low_stock_threshold:
        return "limited availability"
    return "in stock"


def feed_rows(app) -> list:
    rows = []
    for product in app.catalog.list_products():
        for variant in app.catalog.variants.for_product(product.id):
            if not variant.active:
                continue
            title = product.name if variant.name == product.name else f"{product.name} ({variant.name})"
            rows.append({
                "id": variant.sku,
                "title": truncate(title, 150),
                "description": truncate(product.description or product.name, 500),
                "link": BASE_URL + product.slug,
                "price": f"{from_cents(app.price_book.unit_price(variant.sku))} {app.settings.currency}",
                "availability": _availability(app, variant.sku),
                "shipping_weight": f"{variant.weight_grams} g",
            })
    return rows


def render_feed(app) -> str:
    lines = ["\t".join(FEED_COLUMNS)]
    for row in feed_rows(app):
        lines.append("\t".join(str(row[c]).replace("\t", " ").replace("\n", " ") for c in FEED_COLUMNS))
    return "\n".join(lines) + "\n"
