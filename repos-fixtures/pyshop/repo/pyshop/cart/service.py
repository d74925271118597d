"""Cart operations and the cart page totals."""

from ..errors import Conflict, Forbidden, InvalidCoupon, NotFound, ValidationError
from ..pricing.rules import evaluate
from ..util.validation import positive_int
from .models import OPEN, Cart, CartLine
from .repository import CartLineRepository, CartRepository


class CartService:
    def __init__(self, db, catalog, price_book, promotions, coupons, tax, shipping, customers,
                 clock, settings):
        self.db = db
        self.catalog = catalog
        self.price_book = price_book
        self.promotions = promotions
        self.coupons = coupons
        self.tax = tax
        self.shipping = shipping
        self.customers = customers
        self.clock = clock
        self.settings = settings
        self.repo = CartRepository(db)
        self.lines = CartLineRepository(db)

    # -- access ------------------------------------------------------------
    def create(self, customer_id: int | None = None) -> Cart:
        now = self.clock.now()
        return self.repo.add(Cart(customer_id=customer_id, created_at=now, updated_at=now))

    def get(self, cart_id: int, customer=None) -> Cart:
        cart = self.repo.get(cart_id)
        if cart is None:
            raise NotFound(f"cart {cart_id} not found")
        if cart.customer_id is not None and customer is not None and cart.customer_id != customer.id:
            raise Forbidden("not your cart")
        return cart

    def get_open(self, cart_id: int, customer=None) -> Cart:
        cart = self.get(cart_id, customer)
        if cart.status != OPEN:
            raise Conflict(f"cart {cart_id} is {cart.status}")
        return cart

    def _touch(self, cart: Cart) -> None:
        self.repo.update(cart.id, updated_at=self.clock.now())

    # -- lines -------------------------------------------------------------
    def add_item(self, cart_id: int, sku: str, quantity=1, customer=None) -> CartLine:
        cart = self.get_open(cart_id, customer)
        quantity = positive_int(quantity, "quantity", maximum=self.settings.max_line_quantity)
        variant, _ = self.catalog.sellable(sku)
        line = self.lines.line(cart.id, variant.sku)
        if line is None:
            if self.lines.count(cart_id=cart.id) >= self.settings.max_cart_lines:
                raise ValidationError("too many lines in the cart")
            line = self.lines.add(CartLine(cart_id=cart.id, sku=variant.sku, quantity=quantity,
                                           added_at=self.clock.now()))
        else:
            total = line.quantity + quantity
            if total > self.settings.max_line_quantity:
                raise ValidationError(f"quantity must be at most {self.settings.max_line_quantity}",
                                      field="quantity")
            line = self.lines.update(line.id, quantity=total)
        self._touch(cart)
        return line

    def set_quantity(self, cart_id: int, sku: str, quantity, customer=None):
        cart = self.get_open(cart_id, customer)
        quantity = positive_int(quantity, "quantity", maximum=self.settings.max_line_quantity,
                                allow_zero=True)
        line = self.lines.line(cart.id, sku)
        if line is None:
            raise NotFound(f"{sku} is not in the cart")
        self._touch(cart)
        if quantity == 0:
            self.lines.delete(line.id)
            return None
        return self.lines.update(line.id, quantity=quantity)

    def remove_item(self, cart_id: int, sku: str, customer=None) -> None:
        self.set_quantity(cart_id, sku, 0, customer)

    def items(self, cart_id: int) -> list:
        return self.lines.for_cart(cart_id)

    def clear(self, cart_id: int) -> None:
        for line in self.lines.for_cart(cart_id):
            self.lines.delete(line.id)

    def apply_coupon(self, cart_id: int, code: str | None, customer=None) -> Cart:
        cart = self.get_open(cart_id, customer)
        if code:
            code = code.strip().upper()
            if self.coupons.repo.by_code(code) is None:
                raise InvalidCoupon(f"coupon {code} is not valid", reason="unknown")
        return self.repo.update(cart.id, coupon_code=code or None, updated_at=self.clock.now())

    def assign(self, cart_id: int, customer_id: int) -> Cart:
        cart = self.get(cart_id)
        if cart.customer_id not in (None, customer_id):
            raise Forbidden("not your cart")
        return self.repo.update(cart.id, customer_id=customer_id)

    # -- totals ------------------------------------------------------------
    def totals(self, cart_id: int, *, address=None, shipping_method: str = "standard",
               customer=None) -> dict:
        """What the cart page shows.

        Order of operations: group unit prices, automatic promotions, the
        coupon (on the promotion-discounted subtotal), shipping (free standard
        shipping judged on the discounted amount), tax on the discounted
        lines plus shipping.
        """
        cart = self.get(cart_id)
        if customer is None and cart.customer_id is not None:
            customer = self.customers.repo.get(cart.customer_id)
        group = customer.group if customer else "retail"
        lines = []
        weight = 0
        for item in self.lines.for_cart(cart.id):
            variant, product = self.catalog.sellable(item.sku)
            unit = self.price_book.unit_price(item.sku, group)
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
        subtotal = sum(l["line_total_cents"] for l in lines)
        promo = evaluate(lines, self.promotions.active())
        after_promotions = subtotal - promo.total

        coupon_discount = 0
        free_shipping = False
        coupon_code = None
        if cart.coupon_code:
            try:
                coupon = self.coupons.validate(cart.coupon_code, after_promotions)
            except InvalidCoupon:
                coupon = None   # shown as not applied; checkout will refuse it
            if coupon is not None:
                coupon_code = coupon.code
                coupon_discount = self.coupons.discount_for(coupon, after_promotions)
                free_shipping = coupon.kind == "free_shipping"
        discounted = after_promotions - coupon_discount

        if not lines or free_shipping:
            shipping = 0
        else:
            shipping = self.shipping.quote(shipping_method, weight, address, discounted)

        for line, line_discount in zip(lines, promo.line_discounts):
            line["discount_cents"] = line_discount
            line["net_cents"] = line["line_total_cents"] - line_discount
        tax = self.tax.tax_for(lines, address, order_discount_cents=promo.order_discount + coupon_discount,
                               shipping_cents=shipping,
                               exempt=bool(customer and customer.tax_exempt))
        return {
            "cart_id": cart.id,
            "lines": [
                {k: l[k] for k in ("sku", "name", "quantity", "unit_price_cents",
                                   "line_total_cents", "discount_cents")}
                for l in lines
            ],
            "subtotal_cents": subtotal,
            "promotion_discount_cents": promo.total,
            "coupon_discount_cents": coupon_discount,
            "discount_cents": promo.total + coupon_discount,
            "shipping_cents": shipping,
            "tax_cents": tax,
            "total_cents": discounted + shipping + tax,
            "currency": self.settings.currency,
            "promotions": promo.applied,
            "coupon_code": coupon_code,
            "weight_grams": weight,
        }
