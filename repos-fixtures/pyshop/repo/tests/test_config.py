import pytest

from pyshop.config import defaults
from pyshop.config.features import describe, enabled
from pyshop.config.settings import Settings


def test_settings_from_env():
    settings = Settings.from_env({"PYSHOP_CURRENCY": "EUR", "PYSHOP_LOW_STOCK_THRESHOLD": "2",
                                  "PYSHOP_FEATURE_FLAGS": "loyalty, express_shipping", "OTHER": "x"})
    assert settings.currency == "EUR" and settings.low_stock_threshold == 2
    assert settings.feature("loyalty") and settings.feature("express_shipping")
    assert Settings().with_overrides(currency="GBP").currency == "GBP"


def test_feature_flags():
    settings = Settings(feature_flags=("loyalty",))
    assert enabled(settings, "loyalty") and not enabled(settings, "express_shipping")
    with pytest.raises(KeyError):
        enabled(settings, "teleport")
    assert [name for name, _ in describe()] == ["express_shipping", "guest_checkout", "loyalty"]


def test_module_level_defaults():
    try:
        assert defaults.get_settings().currency == "USD"
        defaults.configure(currency="EUR")
        assert defaults.get_settings().currency == "EUR"
    finally:
        defaults.reset()
    assert defaults.CURRENT == Settings()


def test_express_shipping_needs_the_flag(shop, app, alice_token):
    app.settings = app.settings.with_overrides(feature_flags=())
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    resp = shop.checkout(alice_token, cart_id, shipping_method="express")
    assert resp.status == 400 and resp.body["field"] == "shipping_method"
