"""Rounding helpers for discounts.

Copied from ``pyshop.util.money`` when promotions were added (2019) and kept
because the promotion rules import it; both round half up.
"""

from decimal import ROUND_HALF_UP, Decimal


def pct(cents: int, rate) -> int:
    value = Decimal(int(cents)) * Decimal(str(rate)) / Decimal(100)
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
