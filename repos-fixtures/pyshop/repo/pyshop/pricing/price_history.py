"""Base price history per SKU.

Needed for the EU price indication rule: a sale price must be shown next to
the lowest price of the previous 30 days.  Fed by ``price.changed`` events.
"""

from ..util.dates import DAY

WINDOW_DAYS = 30


class PriceHistory:
    def __init__(self, db, clock, events=None):
        self._table = db.table("price_history")
        self._clock = clock
        if events is not None:
            events.subscribe("price.changed", self._on_change)

    def _on_change(self, topic, payload) -> None:
        self.record(payload["sku"], payload["old_cents"], at=payload.get("at"))

    def record(self, sku: str, price_cents: int, *, at: float | None = None) -> None:
        """``price_cents`` was the price until ``at`` (default: now)."""
        self._table.insert({"sku": sku, "price_cents": price_cents,
                            "until": self._clock.now() if at is None else at})

    def entries(self, sku: str) -> list:
        return sorted(self._table.find(sku=sku), key=lambda r: r["until"])

    def lowest_recent(self, sku: str, current_cents: int, *, days: int = WINDOW_DAYS) -> int:
        cutoff = self._clock.now() - days * DAY
        recent = [r["price_cents"] for r in self.entries(sku) if r["until"] >= cutoff]
        return min(recent + [current_cents])

    def price_label(self, sku: str, current_cents: int) -> dict:
        lowest = self.lowest_recent(sku, current_cents)
        return {"price_cents": current_cents, "lowest_30_days_cents": lowest,
                "is_reduced": current_cents < lowest or (current_cents == lowest and bool(self.entries(sku))
                                                         and self.entries(sku)[-1]["price_cents"] > current_cents)}
