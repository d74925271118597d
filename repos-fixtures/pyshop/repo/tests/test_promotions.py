import pytest

from pyshop.errors import ValidationError
from pyshop.pricing.promotions import Promotion
from pyshop.pricing.rules import evaluate


def _line(sku, qty, unit, category_id=None):
    return {"sku": sku, "quantity": qty, "unit_price_cents": unit, "line_total_cents": qty * unit,
            "category_id": category_id}


def test_percent_off_a_category():
    promo = Promotion(id=1, name="Games -10%", kind="percent_category", value=10, category_id=2)
    result = evaluate([_line("A", 1, 4500, 2), _line("B", 2, 1500, 1)], [promo])
    assert result.line_discounts == [450, 0]
    assert result.order_discount == 0 and result.applied == ["Games -10%"]


def test_buy_one_get_one():
    promo = Promotion(id=1, name="Dice BOGO", kind="bogo", value=0, sku="DICE-RED")
    result = evaluate([_line("DICE-RED", 3, 800), _line("DICE-BLUE", 2, 800)], [promo])
    assert result.line_discounts == [800, 0]
    assert result.total == 800


def test_fixed_amount_over_threshold_uses_discounted_subtotal():
    fixed = Promotion(id=2, name="$10 off $50", kind="fixed_over", value=1000, min_subtotal_cents=5000)
    pct = Promotion(id=1, name="Games -20%", kind="percent_category", value=20, category_id=2)
    lines = [_line("A", 1, 5500, 2)]
    assert evaluate(lines, [fixed]).order_discount == 1000
    result = evaluate(lines, [fixed, pct])
    assert result.line_discounts == [1100] and result.order_discount == 0
    assert result.applied == ["Games -20%"]


def test_only_the_best_promotion_per_line_applies():
    small = Promotion(id=1, name="small", kind="percent_category", value=5, category_id=2)
    big = Promotion(id=2, name="big", kind="percent_category", value=15, category_id=2)
    result = evaluate([_line("A", 2, 1000, 2)], [small, big])
    assert result.line_discounts == [300] and result.applied == ["big"]


def test_promotion_service_schedule_and_validation(shop, app, clock):
    app.promotions.create("Later", "fixed_over", 500, starts_at=clock.now() + 3600)
    app.promotions.create("Now", "bogo", 0, sku="DICE-RED", ends_at=clock.now() + 60)
    assert [p.name for p in app.promotions.active()] == ["Now"]
    clock.advance(3600)
    assert [p.name for p in app.promotions.active()] == ["Later"]
    with pytest.raises(ValidationError):
        app.promotions.create("Bad", "percent_category", 150, category_id=shop.games.id)
    with pytest.raises(ValidationError):
        app.promotions.create("Bad", "mystery", 1)
    promo = app.promotions.create("Games", "percent_category", 10, category_id=shop.games.id)
    app.promotions.deactivate(promo.id)
    assert "Games" not in [p.name for p in app.promotions.active()]


def test_admin_creates_promotions_and_coupons(shop, app, admin_token, support_token):
    resp = app.call("POST", "/admin/promotions", {"name": "Dice BOGO", "kind": "bogo", "value": 0,
                                                  "sku": "DICE-RED"}, token=admin_token)
    assert resp.status == 201
    resp = app.call("POST", "/admin/coupons", {"code": "save5", "kind": "fixed", "value": 500},
                    token=admin_token)
    assert resp.status == 201 and resp.body["code"] == "SAVE5"
    assert app.call("POST", "/admin/coupons", {"code": "x", "kind": "fixed"},
                    token=support_token).status == 403
    assert app.audit.actions()[-2:] == ["promotion.created", "coupon.created"]
