"""Checkout: turns an open cart into an order and takes the payment.

Card orders are charged immediately; bank transfer orders stay in
``pending_payment`` (stock reserved) until support marks them paid or the
expiry job cancels them.
"""

from ..errors import EmptyCart, Forbidden, PaymentDeclined
from ..orders import status as st
from ..orders.models import Order, OrderLine
from ..orders.numbering import OrderNumberer
from ..pricing.rules import evaluate
from ..util.money import format_money


class CheckoutService:
    def __init__(self, app):
        self.app = app
        self.numbers = OrderNumberer(app.db, app.clock)

    def _price(self, cart, customer, address, shipping_method) -> dict:
        # Pricing for the order.  Started as a copy of CartService.totals.
        app = self.app
        group = customer.group if customer else "retail"
        lines = []
        weight = 0
        for item in app.carts.items(cart.id):
            variant, product = app.catalog.sellable(item.sku)
            unit = app.price_book.unit_price(item.sku, group)
            lines.append({
                "sku": item.sku,
                "name": f"{product.name} - {variant.name}" if variant.name != product.name else product.name,
                "quantity": item.quantity,
                "unit_price_cents": unit,
                "line_total_cents": unit * item.quantity,
                "category_id": product.category_id,
                "tax_class": product.tax_class,
            })
            weight += variant.weight_grams * item.quantity
        if not lines:
            raise EmptyCart("the cart is empty")
        subtotal = sum(l["line_total_cents"] for l in lines)
        promo = evaluate(lines, app.promotions.active())
        after_promotions = subtotal - promo.total
        for line, discount in zip(lines, promo.line_discounts):
            line["discount_cents"] = discount
            line["net_cents"] = line["line_total_cents"] - discount
        # tax first, then the coupon comes off the total
        tax_base_discount = promo.order_discount
        coupon_discount = 0
        free_shipping = False
        coupon_code = None
        if cart.coupon_code:
            coupon = app.coupons.validate(cart.coupon_code, after_promotions)
            coupon_code = coupon.code
            coupon_discount = app.coupons.discount_for(coupon, after_promotions)
            free_shipping = coupon.kind == "free_shipping"
        shipping = 0 if free_shipping else app.shipping.quote(shipping_method, weight, address,
                                                              after_promotions)
        tax = app.tax.tax_for(lines, address, order_discount_cents=tax_base_discount,
                              shipping_cents=shipping, exempt=bool(customer and customer.tax_exempt))
        return {
            "lines": lines,
            "subtotal_cents": subtotal,
            "promotion_discount_cents": promo.total,
            "coupon_discount_cents": coupon_discount,
            "discount_cents": promo.total + coupon_discount,
            "shipping_cents": shipping,
            "tax_cents": tax,
            "total_cents": after_promotions - coupon_discount + shipping + tax,
            "promotions": promo.applied,
            "coupon_code": coupon_code,
        }

    def place_order(self, cart_id: int, customer, *, address: dict, shipping_method: str = "standard",
                    payment: dict):
        app = self.app
        cart = app.carts.get_open(cart_id, customer)
        priced = self._price(cart, customer, address, shipping_method)
        number = self.numbers.next()
        stock = [(l["sku"], l["quantity"]) for l in priced["lines"]]
        app.inventory.reserve_lines(number, stock, actor=customer.email)
        try:
            with app.db.transaction():
                order = app.orders.repo.add(Order(
                    number=number, customer_id=customer.id, status=st.PENDING_PAYMENT,
                    payment_method=payment["method"], subtotal_cents=priced["subtotal_cents"],
                    promotion_discount_cents=priced["promotion_discount_cents"],
                    coupon_discount_cents=priced["coupon_discount_cents"],
                    discount_cents=priced["discount_cents"], shipping_cents=priced["shipping_cents"],
                    tax_cents=priced["tax_cents"], total_cents=priced["total_cents"],
                    currency=app.settings.currency, coupon_code=priced["coupon_code"],
                    shipping_method=shipping_method, address=dict(address),
                    promotions=list(priced["promotions"]), created_at=app.clock.now()))
                for line in priced["lines"]:
                    app.orders.line_repo.add(OrderLine(
                        order_id=order.id, sku=line["sku"], name=line["name"],
                        quantity=line["quantity"], unit_price_cents=line["unit_price_cents"],
                        discount_cents=line["discount_cents"],
                        line_total_cents=line["line_total_cents"] - line["discount_cents"],
                        tax_class=line["tax_class"], category_id=line["category_id"]))
                if order.coupon_code:
                    app.coupons.redeem(order.coupon_code, order.id)
                app.carts.repo.update(cart.id, status="converted", order_id=order.id,
                                      updated_at=app.clock.now())
        except Exception:
            app.inventory.release(number, note="checkout failed")
            raise
        app.audit.record(customer.email, "order.placed", order.number, total=order.total_cents)
        app.events.publish("order.placed", order_id=order.id)
        app.outbox.enqueue(customer.email, "order_confirmation", name=customer.name,
                           number=order.number, total=format_money(order.total_cents, order.currency))
        if payment["method"] == "card":
            order = self._charge(order, customer, payment["card_number"])
        return order

    def _charge(self, order, customer, card_number: str):
        app = self.app
        try:
            app.payments.charge(order, card_number)
        except PaymentDeclined:
            app.inventory.release(order.number, actor=customer.email, note="payment declined")
            app.coupons.release(order.id)
            app.orders.repo.update(order.id, status=st.PAYMENT_FAILED)
            app.audit.record(customer.email, "order.payment_failed", order.number)
            app.outbox.enqueue(customer.email, "payment_failed", name=customer.name, number=order.number)
            raise
        order = app.orders.repo.update(order.id, status=st.PAID, paid_at=app.clock.now())
        app.loyalty.award(customer.id, order.id, order.total_cents)
        app.audit.record(customer.email, "order.paid", order.number, method="card")
        app.events.publish("order.paid", order_id=order.id)
        return order

    def retry_payment(self, order_id: int, customer, card_number: str):
        """Pay a ``payment_failed`` order again with another card."""
        app = self.app
        order = app.orders.get(order_id)
        if order.customer_id != customer.id:
            raise Forbidden("not your order")
        st.assert_transition(order.status, st.PENDING_PAYMENT)
        stock = [(l.sku, l.quantity) for l in app.orders.lines(order.id)]
        app.inventory.reserve_lines(order.number, stock, actor=customer.email)
        order = app.orders.repo.update(order.id, status=st.PENDING_PAYMENT)
        if order.coupon_code:
            app.coupons.redeem(order.coupon_code, order.id)
        return self._charge(order, customer, card_number)
