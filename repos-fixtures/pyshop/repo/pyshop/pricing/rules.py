"""Evaluation of automatic promotions over priced lines.

``lines`` are dicts with at least ``sku``, ``quantity``, ``unit_price_cents``,
``line_total_cents`` and ``category_id``.  Per line only the best line-level
promotion applies; of the order-level ones only the best applies too.
"""

from dataclasses import dataclass, field

from .rounding import pct


@dataclass
class PromotionResult:
    line_discounts: list
    order_discount: int = 0
    applied: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.line_discounts) + self.order_discount


def _line_discount(promo, line) -> int:
    if promo.kind == "percent_category":
        if line.get("category_id") is not None and line["category_id"] == promo.category_id:
            return pct(line["line_total_cents"], promo.value)
        return 0
    if promo.kind == "bogo":
        if line["sku"] == promo.sku:
            return (line["quantity"] // 2) * line["unit_price_cents"]
        return 0
    return 0


def evaluate(lines: list, promotions: list) -> PromotionResult:
    ordered = sorted(promotions, key=lambda p: p.id)
    line_discounts = []
    applied = set()
    for line in lines:
        best, best_promo = 0, None
        for promo in ordered:
            amount = _line_discount(promo, line)
            if amount > best:
                best, best_promo = amount, promo
        line_discounts.append(min(best, line["line_total_cents"]))
        if best_promo is not None:
            applied.add(best_promo.id)
    remaining = sum(l["line_total_cents"] for l in lines) - sum(line_discounts)
    order_discount, order_promo = 0, None
    for promo in ordered:
        if promo.kind != "fixed_over" or remaining <= 0:
            continue
        if remaining >= promo.min_subtotal_cents:
            amount = min(promo.value, remaining)
            if amount > order_discount:
                order_discount, order_promo = amount, promo
    if order_promo is not None:
        applied.add(order_promo.id)
    names = [p.name for p in ordered if p.id in applied]
    return PromotionResult(line_discounts=line_discounts, order_discount=order_discount, applied=names)
