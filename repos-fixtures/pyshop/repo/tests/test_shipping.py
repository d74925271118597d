import pytest

from pyshop.config.settings import Settings
from pyshop.errors import ValidationError
from pyshop.shipping.addresses import one_line, validate_address
from pyshop.shipping.carriers import get_carrier
from pyshop.shipping.quotes import ShippingQuoter

US = {"country": "US", "region": "CA"}
DE = {"country": "DE"}


@pytest.fixture
def quoter():
    return ShippingQuoter(Settings(free_shipping_threshold_cents=7500))


def test_standard_shipping_and_free_threshold(quoter):
    assert quoter.quote("standard", 500, US, 7499) == 499
    assert quoter.quote("standard", 500, US, 7500) == 0
    assert quoter.quote("standard", 500, DE, 100000) == 1499


def test_weight_based_carriers(quoter):
    assert quoter.quote("ground", 1, US) == 549
    assert quoter.quote("ground", 2001, US) == 399 + 450
    assert quoter.quote("ground", 2001, DE) == 2 * (399 + 450)
    assert quoter.quote("express", 1000, DE) == 1299 + 200 + 2500
    assert quoter.quote("express", 1000, US, 100000) == 1499


def test_pickup_is_domestic_only(quoter):
    assert quoter.quote("pickup", 5000, US) == 0
    with pytest.raises(ValidationError):
        quoter.quote("pickup", 5000, DE)
    assert [o["method"] for o in quoter.options(100, DE)] == ["standard", "ground", "express"]
    with pytest.raises(ValidationError):
        get_carrier("teleport")


def test_address_validation():
    clean = validate_address({"name": " Clara  Schmidt ", "line1": "Unter den Linden 1", "city": "Berlin",
                              "postcode": "10117", "country": "de"})
    assert clean["name"] == "Clara Schmidt" and clean["country"] == "DE" and clean["region"] is None
    assert one_line(clean) == "Clara Schmidt, Unter den Linden 1, Berlin, 10117, DE"
    with pytest.raises(ValidationError):
        validate_address({"name": "x", "line1": "y", "city": "z", "postcode": "1", "country": "US"})
    with pytest.raises(ValidationError):
        validate_address({"name": "x", "line1": "y", "city": "z", "postcode": "1", "country": "BR"})
    with pytest.raises(ValidationError):
        validate_address("not a dict")
