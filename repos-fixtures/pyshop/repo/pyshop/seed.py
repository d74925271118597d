"""Demo data for local development (``python -m pyshop.cli seed``)."""

DEMO_PASSWORD = "demo-pass-1"

CATEGORIES = [
    ("Books", "reduced"),
    ("Board games", "standard"),
    ("Accessories", "standard"),
    ("Gift cards", "exempt"),
]

PRODUCTS = [
    # category, name, description, [(sku, variant, price, grams, stock)]
    ("Books", "The Hobbit", "There and back again", [("BK-HOBBIT", "Paperback", 1299, 350, 40),
                                                     ("BK-HOBBIT-HC", "Hardcover", 2499, 800, 10)]),
    ("Books", "Neuromancer", "Cyberpunk classic", [("BK-NEURO", "Paperback", 1199, 300, 25)]),
    ("Board games", "Carcassonne", "Tile placement game", [("BG-CARC", "Carcassonne", 3499, 1400, 12)]),
    ("Board games", "Pandemic", "Cooperative board game", [("BG-PANDEMIC", "Pandemic", 3999, 1600, 8)]),
    ("Accessories", "Card sleeves", "100 clear sleeves", [("AC-SLEEVES", "Standard", 499, 80, 200),
                                                          ("AC-SLEEVES-MINI", "Mini", 449, 60, 150)]),
    ("Gift cards", "Gift card", "Any occasion", [("GC-25", "$25", 2500, 0, 10000),
                                                 ("GC-50", "$50", 5000, 0, 10000)]),
]

CUSTOMERS = [
    ("demo@example.com", "Demo Customer", "retail", "customer"),
    ("trade@example.com", "Trade Buyer", "wholesale", "customer"),
    ("admin@example.com", "Shop Admin", "retail", "admin"),
]


def seed_demo(app) -> dict:
    categories = {}
    for name, tax_class in CATEGORIES:
        categories[name] = app.catalog.add_category(name, tax_class=tax_class)
    skus = 0
    for category, name, description, variants in PRODUCTS:
        product = app.catalog.add_product(name, category_id=categories[category].id, description=description)
        for sku, variant, price, grams, stock in variants:
            app.catalog.add_variant(product.id, sku, variant, price, grams)
            app.inventory.track(sku, stock, actor="seed")
            skus += 1
    app.price_book.set_group_price("BG-CARC", "wholesale", 2600)
    app.price_book.set_group_price("BG-PANDEMIC", "wholesale", 2900)
    for email, name, group, role in CUSTOMERS:
        app.customers.register(email, DEMO_PASSWORD, name, group=group, role=role)
    app.promotions.create("Sleeves BOGO", "bogo", 0, sku="AC-SLEEVES")
    app.coupons.create("WELCOME10", "percent", 10, max_uses=1000)
    return {"categories": len(categories), "skus": skus, "customers": len(CUSTOMERS)}
