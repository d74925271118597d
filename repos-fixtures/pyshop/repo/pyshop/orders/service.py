"""Order queries and back-office operations on existing orders."""

from ..errors import Conflict, InsufficientStock, NotFound, ValidationError
from ..util.money import format_money
from ..util.validation import positive_int
from . import status as st
from .repository import OrderLineRepository, OrderRepository


class OrderService:
    """Takes the whole application: it needs most of the services."""

    def __init__(self, app):
        self.app = app
        self.repo = OrderRepository(app.db)
        self.line_repo = OrderLineRepository(app.db)

    # -- queries -----------------------------------------------------------
    def get(self, order_id: int):
        return self.repo.require(order_id)

    def by_number(self, number: str):
        order = self.repo.by_number(number)
        if order is None:
            raise NotFound(f"order {number} not found")
        return order

    def lines(self, order_id: int) -> list:
        return self.line_repo.for_order(order_id)

    def for_customer(self, customer_id: int) -> list:
        return sorted(self.repo.for_customer(customer_id), key=lambda o: o.created_at, reverse=True)

    def describe(self, order) -> dict:
        return {
            "number": order.number,
            "status": order.status,
            "source": order.source,
            "payment_method": order.payment_method,
            "lines": [
                {"sku": l.sku, "name": l.name, "quantity": l.quantity,
                 "unit_price_cents": l.unit_price_cents, "discount_cents": l.discount_cents,
                 "line_total_cents": l.line_total_cents}
                for l in self.lines(order.id)
            ],
            "subtotal_cents": order.subtotal_cents,
            "discount_cents": order.discount_cents,
            "shipping_cents": order.shipping_cents,
            "tax_cents": order.tax_cents,
            "total_cents": order.total_cents,
            "total": format_money(order.total_cents, order.currency),
            "coupon_code": order.coupon_code,
            "promotions": list(order.promotions),
            "address": dict(order.address),
            "created_at": order.created_at,
            "paid_at": order.paid_at,
            "shipped_at": order.shipped_at,
            "cancelled_at": order.cancelled_at,
        }

    # -- status changes ----------------------------------------------------
    def mark_paid(self, order_id: int, *, actor, method: str = "bank_transfer"):
        """An offline payment (bank transfer) arrived."""
        app = self.app
        order = self.get(order_id)
        st.assert_transition(order.status, st.PAID)
        app.payments.record_offline(order, method)
        order = self.repo.update(order.id, status=st.PAID, paid_at=app.clock.now())
        app.loyalty.award(order.customer_id, order.id, order.total_cents)
        app.audit.record(actor, "order.paid", order.number, method=method)
        app.events.publish("order.paid", order_id=order.id)
        return order

    def cancel(self, order_id: int, *, reason: str, actor):
        app = self.app
        order = self.get(order_id)
        st.assert_transition(order.status, st.CANCELLED)
        refunded = 0
        if order.status == st.PAID:
            refunded = app.payments.refund(order)
            app.loyalty.revoke(order.customer_id, order.id)
            if refunded:
                app.events.publish("payment.refunded", order_id=order.id, amount_cents=refunded)
        app.inventory.release(order.number, actor=actor, note=reason)
        app.coupons.release(order.id)
        order = self.repo.update(order.id, status=st.CANCELLED, cancelled_at=app.clock.now(),
                                 cancel_reason=reason)
        app.audit.record(actor, "order.cancelled", order.number, reason=reason, refunded=refunded)
        app.events.publish("order.cancelled", order_id=order.id, reason=reason)
        return order

    def ship(self, order_id: int, *, carrier: str, actor):
        app = self.app
        order = self.get(order_id)
        st.assert_transition(order.status, st.SHIPPED)
        app.inventory.commit(order.number, actor=actor)
        shipment = app.shipments.create(order.id, carrier)
        self.repo.update(order.id, status=st.SHIPPED, shipped_at=app.clock.now())
        app.audit.record(actor, "order.shipped", order.number, carrier=carrier,
                         tracking=shipment.tracking_number)
        app.events.publish("order.shipped", order_id=order.id, carrier=carrier,
                           tracking=shipment.tracking_number)
        return shipment

    def mark_delivered(self, order_id: int, *, actor):
        order = self.get(order_id)
        st.assert_transition(order.status, st.DELIVERED)
        for shipment in self.app.shipments.repo.for_order(order.id):
            self.app.shipments.mark_delivered(shipment.id)
        self.app.audit.record(actor, "order.delivered", order.number)
        return self.repo.update(order.id, status=st.DELIVERED)

    # -- editing -----------------------------------------------------------
    def update_line_quantity(self, order_id: int, sku: str, quantity, *, actor):
        """Support changed a line of an unpaid order (phone request)."""
        app = self.app
        order = self.get(order_id)
        if order.status != st.PENDING_PAYMENT:
            raise Conflict("only unpaid orders can be edited")
        quantity = positive_int(quantity, "quantity", maximum=app.settings.max_line_quantity)
        line = self.line_repo.line(order.id, sku)
        if line is None:
            raise NotFound(f"{sku} is not on order {order.number}")
        wanted = [(l.sku, quantity if l.sku == sku else l.quantity) for l in self.lines(order.id)]
        previous = [(l.sku, l.quantity) for l in self.lines(order.id)]
        app.inventory.release(order.number, actor=actor, note="order edited")
        try:
            app.inventory.reserve_lines(order.number, wanted, actor=actor)
        except InsufficientStock:
            app.inventory.reserve_lines(order.number, previous, actor=actor)
            raise
        self.line_repo.update(line.id, quantity=quantity,
                              line_total_cents=line.unit_price_cents * quantity)
        order = self.recalculate(order.id)
        app.audit.record(actor, "order.edited", order.number, sku=sku, quantity=quantity)
        return order

    def recalculate(self, order_id: int):
        """Re-price an order after an edit, keeping the prices it was sold at."""
        app = self.app
        order = self.get(order_id)
        lines = self.lines(order.id)
        if not lines:
            raise ValidationError("an order needs at least one line")
        subtotal = 0
        priced = []
        weight = 0
        for line in lines:
            total = line.unit_price_cents * line.quantity
            subtotal += total
            variant = app.catalog.variant_by_sku(line.sku)
            weight += variant.weight_grams * line.quantity
            priced.append({"sku": line.sku, "net_cents": total, "tax_class": line.tax_class})
            self.line_repo.update(line.id, discount_cents=0, line_total_cents=total)
        coupon_discount = 0
        free_shipping = False
        if order.coupon_code:
            coupon = app.coupons.validate(order.coupon_code, subtotal, order_id=order.id)
            coupon_discount = app.coupons.discount_for(coupon, subtotal)
            free_shipping = coupon.kind == "free_shipping"
        discounted = subtotal - coupon_discount
        shipping = 0 if free_shipping else app.shipping.quote(order.shipping_method, weight,
                                                               order.address, discounted)
        customer = app.customers.repo.get(order.customer_id)
        tax = app.tax.tax_for(priced, order.address, order_discount_cents=coupon_discount,
                              shipping_cents=shipping, exempt=bool(customer and customer.tax_exempt))
        return self.repo.update(order.id, subtotal_cents=subtotal, promotion_discount_cents=0,
                                coupon_discount_cents=coupon_discount, discount_cents=coupon_discount,
                                shipping_cents=shipping, tax_cents=tax,
                                total_cents=discounted + shipping + tax, promotions=[])
