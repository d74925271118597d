"""Automatic promotions (no code needed).

Kinds:
* ``percent_category``: ``value`` percent off every line of ``category_id``;
* ``bogo``: buy one get one free on ``sku`` (every second unit is free);
* ``fixed_over``: ``value`` cents off the order when the (line-discounted)
  subtotal reaches ``min_subtotal_cents``.
"""

from dataclasses import dataclass

from ..db.repository import Repository
from ..errors import ValidationError

KINDS = ("percent_category", "bogo", "fixed_over")


@dataclass(kw_only=True)
class Promotion:
    id: int = 0
    name: str
    kind: str
    value: int
    category_id: int | None = None
    sku: str | None = None
    min_subtotal_cents: int = 0
    starts_at: float | None = None
    ends_at: float | None = None
    active: bool = True

    def running(self, now: float) -> bool:
        if not self.active:
            return False
        if self.starts_at is not None and now < self.starts_at:
            return False
        return self.ends_at is None or now < self.ends_at


class PromotionRepository(Repository):
    table_name = "promotions"
    model = Promotion


class PromotionService:
    def __init__(self, db, cache, clock):
        self.repo = PromotionRepository(db)
        self.cache = cache
        self.clock = clock

    def create(self, name: str, kind: str, value: int, **options) -> Promotion:
        if kind not in KINDS:
            raise ValidationError(f"unknown promotion kind {kind}")
        if kind == "percent_category" and (options.get("category_id") is None or not 0 < value <= 100):
            raise ValidationError("percent_category needs a category_id and a percentage")
        if kind == "bogo" and not options.get("sku"):
            raise ValidationError("bogo needs a sku")
        if kind == "fixed_over" and value <= 0:
            raise ValidationError("fixed_over needs a positive value")
        promo = self.repo.add(Promotion(name=name, kind=kind, value=value, **options))
        self.cache.invalidate("promotions")
        return promo

    def deactivate(self, promo_id: int) -> None:
        self.repo.update(promo_id, active=False)
        self.cache.invalidate("promotions")

    def active(self) -> list:
        """Promotions running now (cached for a minute)."""
        region = self.cache.region("promotions", ttl=60)
        promos = region.get("all")
        if promos is None:
            promos = self.repo.all()
            region.set("all", promos)
        now = self.clock.now()
        return [p for p in promos if p.running(now)]
