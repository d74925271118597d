from decimal import Decimal

from pyshop.config.settings import Settings
from pyshop.tax.calculator import TaxCalculator
from pyshop.tax.tables import TaxTable


def _calc(country="US"):
    return TaxCalculator(TaxTable(), Settings(store_country=country))


def test_rates_by_country_region_and_class():
    table = TaxTable()
    assert table.rate("US", "CA") == Decimal("7.25")
    assert table.rate("us", "or") == Decimal("0")
    assert table.rate("DE", None, "reduced") == Decimal("7")
    assert table.rate("US", "NY", "reduced") == Decimal("4")
    assert table.rate("FR", None, "exempt") == Decimal("0")
    assert table.rate("JP") == Decimal("0")
    assert table.taxes_shipping("de") and not table.taxes_shipping("US")


def test_line_tax_is_rounded_per_line():
    lines = [{"net_cents": 3000, "tax_class": "reduced"}, {"net_cents": 4500, "tax_class": "standard"}]
    address = {"country": "US", "region": "CA"}
    assert _calc().line_taxes(lines, address) == [218, 326]
    assert _calc().tax_for(lines, address) == 544


def test_order_discount_is_shared_out_before_tax():
    lines = [{"net_cents": 3000, "tax_class": "reduced"}, {"net_cents": 4500, "tax_class": "standard"}]
    address = {"country": "DE"}
    # 500 off: 200 / 300 -> (2800 * 7%) + (4200 * 19%)
    assert _calc().line_taxes(lines, address, order_discount_cents=500) == [196, 798]


def test_shipping_tax_and_exemption():
    lines = [{"net_cents": 1000, "tax_class": "standard"}]
    calc = _calc()
    assert calc.tax_for(lines, {"country": "GB"}, shipping_cents=1499) == 200 + 300
    assert calc.tax_for(lines, {"country": "US", "region": "NY"}, shipping_cents=499) == 40
    assert calc.tax_for(lines, {"country": "GB"}, shipping_cents=1499, exempt=True) == 0


def test_default_address_is_the_store_country():
    lines = [{"net_cents": 1000, "tax_class": "standard"}]
    assert _calc("DE").tax_for(lines, None) == 190
    assert _calc("US").tax_for(lines, None) == 0
