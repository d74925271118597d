"""Unit prices and discounts (was pricing.py)."""

PRICES = {
    "apple": 30,
    "pear": 45,
    "plum": 20,
}


def unit_price(sku):
    try:
        return PRICES[sku]
    except KeyError:
        raise ValueError(f"unknown sku {sku}") from None


def discounted(sku, qty):
    price = unit_price(sku) * qty
    if qty >= 10:
        price = price * 90 // 100
    return price


def format_cents(cents):
    return f"{cents // 100}.{cents % 100:02d}"
