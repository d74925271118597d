"""Plain-text invoices rendered from the stored order (never re-priced)."""

from ..errors import Conflict
from ..shipping.addresses import one_line
from ..util.dates import iso
from ..util.money import format_money
from . import status as st

INVOICEABLE = (st.PAID, st.SHIPPED, st.DELIVERED)


def invoice_number(order) -> str:
    return order.number.replace("SO-", "INV-", 1)


def render_invoice(app, order_id: int) -> str:
    order = app.orders.get(order_id)
    if order.status not in INVOICEABLE:
        raise Conflict(f"order {order.number} is {order.status}; no invoice yet")
    customer = app.customers.repo.get(order.customer_id)
    money = lambda cents: format_money(cents, order.currency)  # noqa: E731
    out = [
        f"{app.settings.shop_name} invoice {invoice_number(order)}",
        f"Order {order.number} placed {iso(order.created_at)}, paid {iso(order.paid_at)}",
        f"Bill to: {customer.name if customer else '?'} <{customer.email if customer else '?'}>",
        f"Ship to: {one_line(order.address)}",
        "",
    ]
    for line in app.orders.lines(order.id):
        out.append(f"{line.quantity:>3} x {line.name:<30} {money(line.unit_price_cents):>10}"
                   f" {money(line.line_total_cents):>11}")
        if line.discount_cents:
            out.append(f"{'':>6}discount {money(-line.discount_cents):>38}")
    out.append("")
    out.append(f"{'Subtotal':<44}{money(order.subtotal_cents):>12}")
    if order.discount_cents:
        out.append(f"{'Discounts':<44}{money(-order.discount_cents):>12}")
        for name in order.promotions:
            out.append(f"  {name}")
        if order.coupon_code:
            out.append(f"  coupon {order.coupon_code}")
    out.append(f"{'Shipping (' + order.shipping_method + ')':<44}{money(order.shipping_cents):>12}")
    out.append(f"{'Tax':<44}{money(order.tax_cents):>12}")
    out.append(f"{'Total':<44}{money(order.total_cents):>12}")
    return "\n".join(out) + "\n"
