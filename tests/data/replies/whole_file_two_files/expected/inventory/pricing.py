"""Unit prices and discounts."""

PRICES = {
    "apple": 30,
    "pear": 45,
    "plum": 20,
    "quince": 60,
}


def unit_price(sku):
    try:
        return PRICES[sku]
    except KeyError:
        raise ValueError(f"unknown sku {sku}") from None


def discounted(sku, qty):
    price = unit_price(sku) * qty
    if qty >= 12:
        price = price * 90 // 100
    return price


def format_cents(cents):
    return f"{cents // 100}.{cents % 100:02d}"
