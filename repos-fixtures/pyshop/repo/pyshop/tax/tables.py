"""Sales tax / VAT percentages by country and region.

``None`` as region is the country-wide rate.  The ``reduced`` class (books,
food) only differs in the EU and the UK; ``exempt`` is never taxed.
"""

from decimal import Decimal

STANDARD = {
    "US": {"CA": "7.25", "NY": "4", "TX": "6.25", "WA": "6.5", None: "0"},
    "CA": {"ON": "13", "QC": "14.975", None: "5"},
    "DE": {None: "19"},
    "FR": {None: "20"},
    "GB": {None: "20"},
    "NL": {None: "21"},
}
REDUCED = {"DE": "7", "FR": "5.5", "GB": "0", "NL": "9"}
SHIPPING_TAXED = {"DE", "FR", "GB", "NL", "CA"}


class TaxTable:
    def __init__(self, standard=None, reduced=None, shipping_taxed=None):
        self.standard = standard or STANDARD
        self.reduced = reduced or REDUCED
        self.shipping_taxed = shipping_taxed or SHIPPING_TAXED

    def rate(self, country: str, region: str | None = None, tax_class: str = "standard") -> Decimal:
        if tax_class == "exempt":
            return Decimal(0)
        country = (country or "").upper()
        if tax_class == "reduced" and country in self.reduced:
            return Decimal(self.reduced[country])
        regions = self.standard.get(country)
        if regions is None:
            return Decimal(0)
        region = (region or "").upper() or None
        return Decimal(regions.get(region, regions.get(None, "0")))

    def taxes_shipping(self, country: str) -> bool:
        return (country or "").upper() in self.shipping_taxed

    def countries(self) -> list:
        return sorted(self.standard)
