"""Table definitions.  ``create_schema`` is idempotent."""

TABLES = {
    "customers": ("email",),
    "addresses": (),
    "categories": ("slug",),
    "products": ("slug",),
    "variants": ("sku",),
    "group_prices": (),
    "stock_movements": (),
    "carts": (),
    "cart_lines": (),
    "promotions": (),
    "coupons": ("code",),
    "coupon_redemptions": (),
    "orders": ("number",),
    "order_lines": (),
    "payments": (),
    "shipments": ("tracking_number",),
    "outbox": (),
    "audit": (),
    "loyalty_entries": (),
    "job_runs": (),
    "counters": ("name",),
    "returns": (),
    "gift_cards": ("code",),
    "gift_card_spends": (),
    "reviews": (),
    "wishlist": (),
    "price_history": (),
    "email_preferences": ("customer_id",),
    "webhook_events": ("event_id",),
}


def create_schema(db):
    for name, unique in TABLES.items():
        if not db.has_table(name):
            db.create_table(name, unique=unique)
    return db
