"""Public catalog pages."""

from ...util.pagination import page_params, paginate
from ..http import json_response


def list_products(app, request):
    category_id = request.query.get("category")
    products = app.catalog.list_products(category_id=int(category_id) if category_id else None)
    page, size = page_params(request.query)
    result = paginate([app.catalog.describe(p) for p in products], page, size)
    return json_response(result)


def show_product(app, request, slug):
    product = app.catalog.product_by_slug(slug)
    data = app.catalog.describe(product)
    for variant in data["variants"]:
        variant["in_stock"] = app.inventory.available(variant["sku"]) > 0
    return json_response(data)


def search(app, request):
    query = request.query.get("q", "")
    return json_response({"query": query,
                          "results": [app.catalog.describe(p) for p in app.catalog.search(query)]})


ROUTES = [
    ("GET", "/products", list_products),
    ("GET", "/products/{slug}", show_product),
    ("GET", "/search", search),
]
