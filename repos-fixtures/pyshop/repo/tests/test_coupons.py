import pytest

from pyshop.errors import InvalidCoupon, NotFound, ValidationError


def test_validate_reports_the_reason(shop, app, clock):
    coupons = app.coupons
    coupons.create("MIN50", "fixed", 500, min_subtotal_cents=5000)
    coupons.create("OLD", "percent", 10, expires_at=clock.now() - 1)
    coupons.create("OFF", "percent", 10, active=False)
    reasons = {}
    for code, subtotal in (("MIN50", 4999), ("OLD", 10000), ("OFF", 10000), ("NOPE", 10000)):
        with pytest.raises(InvalidCoupon) as info:
            coupons.validate(code, subtotal)
        reasons[code] = info.value.details["reason"]
    assert reasons == {"MIN50": "minimum", "OLD": "expired", "OFF": "unknown", "NOPE": "unknown"}
    assert coupons.validate("min50", 5000).code == "MIN50"


def test_discount_amounts(shop, app):
    pct = app.coupons.create("TEN", "percent", 10)
    fixed = app.coupons.create("BIG", "fixed", 10000)
    ship = app.coupons.create("SHIP", "free_shipping")
    assert app.coupons.discount_for(pct, 4505) == 451
    assert app.coupons.discount_for(fixed, 4500) == 4500
    assert app.coupons.discount_for(ship, 4500) == 0
    with pytest.raises(ValidationError):
        app.coupons.create("BAD", "percent", 0)
    with pytest.raises(NotFound):
        app.coupons.lookup("MISSING")


def test_usage_limit_counts_redemptions(shop, app):
    app.coupons.create("ONCE", "fixed", 100, max_uses=1)
    app.coupons.redeem("ONCE", order_id=7)
    app.coupons.redeem("ONCE", order_id=7)   # idempotent per order
    with pytest.raises(InvalidCoupon):
        app.coupons.validate("ONCE", 1000)
    assert app.coupons.validate("ONCE", 1000, order_id=7).code == "ONCE"
    assert app.coupons.release(7) == 1
    assert app.coupons.validate("ONCE", 1000).code == "ONCE"


def test_cart_coupon_endpoint(shop, app, alice_token):
    app.coupons.create("TEN", "percent", 10)
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    resp = app.call("POST", f"/carts/{cart_id}/coupon", {"code": "ten"}, token=alice_token)
    assert resp.status == 200 and resp.body["coupon_code"] == "TEN"
    resp = app.call("POST", f"/carts/{cart_id}/coupon", {"code": "nope"}, token=alice_token)
    assert resp.status == 400 and resp.body["error"] == "invalid_coupon"
    resp = app.call("POST", f"/carts/{cart_id}/coupon", {"code": None}, token=alice_token)
    assert resp.body["coupon_code"] is None
