"""Orders taken by phone by the support team.

Written for the 2021 call-centre pilot; it predates checkout's use of the
inventory service and builds the order itself.
"""

from ..errors import InsufficientStock, ValidationError
from ..orders import status as st
from ..orders.models import Order, OrderLine
from ..orders.numbering import OrderNumberer
from ..shipping.addresses import validate_address
from ..util.validation import positive_int


class ManualOrderDesk:
    def __init__(self, app):
        self.app = app
        self.numbers = OrderNumberer(app.db, app.clock)

    def _lines(self, items) -> list:
        app = self.app
        if not items:
            raise ValidationError("a manual order needs at least one line")
        merged = {}
        for item in items:
            sku = str(item.get("sku", "")).upper()
            qty = positive_int(item.get("quantity", 1), "quantity",
                               maximum=app.settings.max_line_quantity)
            merged[sku] = merged.get(sku, 0) + qty
        lines = []
        for sku, qty in merged.items():
            variant, product = app.catalog.sellable(sku)
            lines.append({
                "sku": variant.sku,
                "name": product.name if variant.name == product.name else f"{product.name} - {variant.name}",
                "quantity": qty,
                "unit_price_cents": variant.price_cents,
                "line_total_cents": variant.price_cents * qty,
                "net_cents": variant.price_cents * qty,
                "tax_class": product.tax_class,
                "category_id": product.category_id,
                "weight": variant.weight_grams * qty,
            })
        return lines

    def create(self, customer_id: int, items: list, *, address=None, shipping_method: str = "standard",
               paid_offline: bool = False, actor="support"):
        app = self.app
        customer = app.customers.get(customer_id)
        if address is None:
            default = app.customers.default_address(customer.id)
            if default is None:
                raise ValidationError("a shipping address is required", field="address")
            address = default.as_dict()
        else:
            address = validate_address(address)
        lines = self._lines(items)
        subtotal = sum(l["line_total_cents"] for l in lines)
        weight = sum(l["weight"] for l in lines)
        shipping = app.shipping.quote(shipping_method, weight, address, subtotal)
        tax = app.tax.tax_for(lines, address, shipping_cents=shipping, exempt=customer.tax_exempt)
        number = self.numbers.next()

        # reserve stock line by line, undo on shortage
        reserved = False
        try:
            for line in lines:
                if not app.ledger.is_tracked(line["sku"]):
                    raise InsufficientStock(line["sku"], line["quantity"], 0)
                app.ledger.reserve(line["sku"], line["quantity"], number)
                reserved = True
        except InsufficientStock:
            if reserved:
                app.ledger.release(number)
            raise

        order = app.orders.repo.add(Order(
            number=number, customer_id=customer.id, status=st.PENDING_PAYMENT, source="phone",
            payment_method="bank_transfer", subtotal_cents=subtotal, shipping_cents=shipping,
            tax_cents=tax, total_cents=subtotal + shipping + tax, currency=app.settings.currency,
            shipping_method=shipping_method, address=dict(address), created_at=app.clock.now()))
        for line in lines:
            app.orders.line_repo.add(OrderLine(
                order_id=order.id, sku=line["sku"], name=line["name"], quantity=line["quantity"],
                unit_price_cents=line["unit_price_cents"], line_total_cents=line["line_total_cents"],
                tax_class=line["tax_class"], category_id=line["category_id"]))
        if paid_offline:
            app.payments.record_offline(order, "phone")
            order = app.orders.repo.update(order.id, status=st.PAID, paid_at=app.clock.now())
        app.audit.record(actor, "order.created_manually", order.number, customer=customer.email,
                         paid=paid_offline)
        return order
