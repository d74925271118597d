import pytest

from pyshop.catalog.importer import import_products
from pyshop.errors import Conflict, NotFound, ValidationError


def test_products_and_variants(shop, app):
    product = app.catalog.product_by_slug("dice-set")
    data = app.catalog.describe(product)
    assert [v["sku"] for v in data["variants"]] == ["DICE-RED", "DICE-BLUE"]
    assert app.catalog.variant_by_sku("DICE-RED").price_cents == 800
    with pytest.raises(Conflict):
        app.catalog.add_variant(product.id, "DICE-RED", "Red again", 900)
    with pytest.raises(ValidationError):
        app.catalog.add_variant(product.id, "bad sku!", "x", 100)
    with pytest.raises(NotFound):
        app.catalog.variant_by_sku("NOPE-1")


def test_category_tax_class_is_inherited(shop, app):
    assert app.catalog.product_by_slug("dune").tax_class == "reduced"
    assert app.catalog.product_by_slug("catan").tax_class == "standard"
    with pytest.raises(ValidationError):
        app.catalog.add_category("Weird", tax_class="luxury")


def test_search_and_product_pages(shop, app):
    assert [p.slug for p in app.catalog.search("board")] == ["catan"]
    assert [p.slug for p in app.catalog.search("dic")] == ["dice-set"]
    resp = app.call("GET", "/search?q=desert")
    assert resp.status == 200 and resp.body["results"][0]["slug"] == "dune"
    page = app.call("GET", "/products/catan").body
    assert page["variants"][0]["in_stock"] is True
    listing = app.call("GET", f"/products?category={shop.games.id}").body
    assert [p["slug"] for p in listing["items"]] == ["catan", "dice-set"]


def test_deactivated_product_disappears(shop, app):
    product = app.catalog.product_by_slug("catan")
    app.catalog.deactivate(product.id)
    assert app.call("GET", "/products/catan").status == 404
    assert app.catalog.search("catan") == []
    with pytest.raises(NotFound):
        app.catalog.sellable("GAME-CATAN")


def test_csv_import_creates_and_updates(shop, app):
    text = (
        "category,product,description,sku,variant,price,weight_grams\n"
        "Puzzles,Jigsaw 1000,Big puzzle,PUZ-1000,Jigsaw 1000,19.99,900\n"
        "Books,Dune,,BOOK-DUNE,Dune,16.50,400\n"
        "Puzzles,Broken,,,x,1,0\n"
    )
    result = import_products(app.catalog, text)
    assert result["created"] == 1 and result["updated"] == 1
    assert len(result["errors"]) == 1 and result["errors"][0].startswith("line 4")
    assert app.catalog.variant_by_sku("PUZ-1000").price_cents == 1999
    assert app.catalog.variant_by_sku("BOOK-DUNE").price_cents == 1650
