"""Value left in abandoned carts (for the win-back campaign).

Only a rough figure: base prices times quantities, no promotions or tax.
"""

from ..errors import NotFound


def abandoned_cart_value(app) -> dict:
    carts = app.carts.repo.find(status="abandoned")
    total = 0
    per_customer = {}
    skipped = 0
    for cart in carts:
        value = 0
        for line in app.carts.items(cart.id):
            try:
                value += app.price_book.unit_price(line.sku) * line.quantity
            except NotFound:
                skipped += 1
        total += value
        if cart.customer_id is not None:
            per_customer[cart.customer_id] = per_customer.get(cart.customer_id, 0) + value
    emails = {}
    for customer_id in per_customer:
        customer = app.customers.repo.get(customer_id)
        if customer is not None and customer.active:
            emails[customer.email] = per_customer[customer_id]
    return {"carts": len(carts), "value_cents": total, "by_customer": emails, "skipped_lines": skipped}
