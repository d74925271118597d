"""Coupon codes entered by customers.

Kinds: ``percent`` (``value`` percent off), ``fixed`` (``value`` cents off,
at most the amount it applies to) and ``free_shipping``.  ``max_uses``
counts redemptions over all orders (None: unlimited).
"""

from dataclasses import dataclass

from ..db.repository import Repository
from ..errors import InvalidCoupon, NotFound, ValidationError
from .rounding import pct

KINDS = ("percent", "fixed", "free_shipping")


@dataclass(kw_only=True)
class Coupon:
    id: int = 0
    code: str
    kind: str
    value: int = 0
    min_subtotal_cents: int = 0
    max_uses: int | None = None
    expires_at: float | None = None
    active: bool = True


class CouponRepository(Repository):
    table_name = "coupons"
    model = Coupon

    def by_code(self, code: str):
        return self.find_one(code=(code or "").strip().upper())


class CouponService:
    def __init__(self, db, clock):
        self.db = db
        self.clock = clock
        self.repo = CouponRepository(db)
        self.redemptions = db.table("coupon_redemptions")

    def create(self, code: str, kind: str, value: int = 0, **options) -> Coupon:
        if kind not in KINDS:
            raise ValidationError(f"unknown coupon kind {kind}")
        if kind == "percent" and not 0 < value <= 100:
            raise ValidationError("percent coupons need a value between 1 and 100")
        return self.repo.add(Coupon(code=code.strip().upper(), kind=kind, value=value, **options))

    def lookup(self, code: str) -> Coupon:
        coupon = self.repo.by_code(code)
        if coupon is None:
            raise NotFound(f"coupon {code} not found")
        return coupon

    def uses(self, coupon: Coupon, *, exclude_order=None) -> int:
        rows = self.redemptions.find(coupon_id=coupon.id)
        return sum(1 for r in rows if exclude_order is None or r["order_id"] != exclude_order)

    def validate(self, code: str, subtotal_cents: int, *, order_id=None) -> Coupon:
        """The coupon for ``code`` if it can be used on ``subtotal_cents``.

        ``order_id``: re-validating for an existing order; that order's own
        redemption does not count against ``max_uses``.
        """
        coupon = self.repo.by_code(code)
        if coupon is None or not coupon.active:
            raise InvalidCoupon(f"coupon {code} is not valid", reason="unknown")
        if coupon.expires_at is not None and self.clock.now() >= coupon.expires_at:
            raise InvalidCoupon(f"coupon {code} has expired", reason="expired")
        if coupon.max_uses is not None and self.uses(coupon, exclude_order=order_id) >= coupon.max_uses:
            raise InvalidCoupon(f"coupon {code} has been used up", reason="used_up")
        if subtotal_cents < coupon.min_subtotal_cents:
            raise InvalidCoupon(f"coupon {code} needs a subtotal of {coupon.min_subtotal_cents}",
                                reason="minimum")
        return coupon

    @staticmethod
    def discount_for(coupon: Coupon, amount_cents: int) -> int:
        if coupon.kind == "percent":
            return min(pct(amount_cents, coupon.value), amount_cents)
        if coupon.kind == "fixed":
            return min(coupon.value, amount_cents)
        return 0

    def redeem(self, code: str, order_id: int) -> None:
        coupon = self.lookup(code)
        with self.db.lock:
            if self.redemptions.find_one(coupon_id=coupon.id, order_id=order_id) is None:
                self.redemptions.insert({"coupon_id": coupon.id, "order_id": order_id,
                                         "at": self.clock.now()})

    def release(self, order_id: int) -> int:
        rows = self.redemptions.find(order_id=order_id)
        for row in rows:
            self.redemptions.delete(row["id"])
        return len(rows)
