"""Money helpers.  Amounts are integer cents; conversions go through Decimal."""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3"}
_ONE = Decimal("1")


def to_cents(amount) -> int:
    """Major units ('12.34', 12.34, Decimal) to cents, rounding half up."""
    value = Decimal(str(amount)) * 100
    return int(value.quantize(_ONE, rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def format_money(cents: int, currency: str = "USD") -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(int(cents))
    body = f"{cents // 100:,}.{cents % 100:02d}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol:
        return f"{sign}{symbol}{body}"
    return f"{sign}{body} {currency}"


def percent_of(cents: int, percent) -> int:
    """``percent``% of ``cents``, rounded half up to whole cents."""
    value = Decimal(int(cents)) * Decimal(str(percent)) / Decimal(100)
    return int(value.quantize(_ONE, rounding=ROUND_HALF_UP))


def allocate(total: int, weights: list) -> list:
    """Split ``total`` cents proportionally to ``weights`` (largest remainder).

    The shares always add up to ``total``.  With no positive weight the whole
    amount goes to the first share.
    """
    if not weights:
        return []
    base = sum(weights)
    if base <= 0:
        shares = [0] * len(weights)
        shares[0] = total
        return shares
    raw = [total * w for w in weights]
    shares = [r // base for r in raw]
    remainder = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] % base), i))
    for i in order[:remainder]:
        shares[i] += 1
    return shares
