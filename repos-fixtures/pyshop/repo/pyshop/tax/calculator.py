"""Tax on an order.

Tax is computed per line on the line's net amount (after line discounts and
its share of any order-level discount, shared out in proportion to the line
nets), rounded per line; shipping is taxed at the standard rate where the
destination taxes shipping.  Tax-exempt customers pay none.
"""

from ..util.money import allocate, percent_of


class TaxCalculator:
    def __init__(self, table, settings):
        self.table = table
        self.settings = settings

    def _where(self, address) -> tuple:
        address = address or {}
        return address.get("country") or self.settings.store_country, address.get("region")

    def line_taxes(self, lines: list, address=None, *, order_discount_cents: int = 0) -> list:
        """Tax per line; ``lines`` need ``net_cents`` and ``tax_class``."""
        country, region = self._where(address)
        nets = [max(l["net_cents"], 0) for l in lines]
        shares = allocate(min(order_discount_cents, sum(nets)), nets) if lines else []
        return [
            percent_of(net - share, self.table.rate(country, region, line.get("tax_class", "standard")))
            for line, net, share in zip(lines, nets, shares)
        ]

    def shipping_tax(self, shipping_cents: int, address=None) -> int:
        country, region = self._where(address)
        if not shipping_cents or not self.table.taxes_shipping(country):
            return 0
        return percent_of(shipping_cents, self.table.rate(country, region, "standard"))

    def tax_for(self, lines: list, address=None, *, order_discount_cents: int = 0,
                shipping_cents: int = 0, exempt: bool = False) -> int:
        if exempt:
            return 0
        return (sum(self.line_taxes(lines, address, order_discount_cents=order_discount_cents))
                + self.shipping_tax(shipping_cents, address))
