"""Back-office endpoints (support and admin roles)."""

from ...admin.dashboard import dashboard as build_dashboard
from ...auth.guard import require_permission
from ...errors import InvalidTransition, ValidationError
from ...orders import status as st
from ...reporting.export import orders_csv
from ...reporting.inventory_report import movements_for, stock_report
from ...reporting.sales import daily_sales
from ...util.dates import day_of
from ...util.pagination import page_params, paginate
from ...util.validation import require_fields
from ..http import created, json_response, text_response


# -- catalog ---------------------------------------------------------------
def create_category(app, request):
    require_permission(app, request, "catalog.edit")
    body = request.json()
    require_fields(body, "name")
    category = app.catalog.add_category(body["name"], parent_id=body.get("parent_id"),
                                        tax_class=body.get("tax_class", "standard"))
    return created({"id": category.id, "slug": category.slug})


def create_product(app, request):
    admin = require_permission(app, request, "catalog.edit")
    body = request.json()
    require_fields(body, "name", "variants")
    variants = body["variants"]
    if not isinstance(variants, list) or not variants:
        raise ValidationError("variants must be a non-empty list", field="variants")
    specs = []
    for v in variants:
        require_fields(v, "sku", "price_cents")
        specs.append((v["sku"], v.get("name") or body["name"], v["price_cents"], v.get("weight_grams", 0)))
    product = app.catalog.add_product(body["name"], category_id=body.get("category_id"),
                                      description=body.get("description", ""),
                                      tax_class=body.get("tax_class"), variants=specs)
    for v in variants:
        app.inventory.track(v["sku"].upper(), int(v.get("stock", 0)), actor=admin.email)
    app.audit.record(admin.email, "product.created", product.slug)
    return created(app.catalog.describe(product))


def set_group_price(app, request, sku):
    require_permission(app, request, "catalog.edit")
    body = request.json()
    require_fields(body, "group", "price_cents")
    row = app.price_book.set_group_price(sku.upper(), body["group"], body["price_cents"])
    return json_response({"sku": row.sku, "group": row.group, "price_cents": row.price_cents})


# -- stock -----------------------------------------------------------------
def receive_stock(app, request, sku):
    admin = require_permission(app, request, "stock.edit")
    body = request.json()
    level = app.inventory.receive(sku.upper(), body.get("quantity"), actor=admin.email,
                                  note=body.get("note", ""))
    return json_response(level.__dict__)


def recount_stock(app, request, sku):
    admin = require_permission(app, request, "stock.edit")
    body = request.json()
    level = app.inventory.recount(sku.upper(), body.get("counted"), actor=admin.email)
    return json_response(level.__dict__)


def stock(app, request):
    require_permission(app, request, "stock.edit")
    return json_response({"stock": stock_report(app)})


def stock_movements(app, request, sku):
    require_permission(app, request, "stock.edit")
    return json_response({"sku": sku.upper(), "movements": movements_for(app, sku.upper())})


# -- orders ----------------------------------------------------------------
def list_orders(app, request):
    require_permission(app, request, "orders.view")
    orders = app.orders.repo.all()
    wanted = request.query.get("status")
    if wanted:
        orders = [o for o in orders if o.status == wanted]
    orders.sort(key=lambda o: o.created_at, reverse=True)
    page, size = page_params(request.query)
    return json_response(paginate([{"number": o.number, "status": o.status, "total_cents": o.total_cents,
                                    "customer_id": o.customer_id, "source": o.source} for o in orders],
                                  page, size))


def show_order(app, request, number):
    require_permission(app, request, "orders.view")
    return json_response(app.orders.describe(app.orders.by_number(number)))


def cancel_order(app, request, number):
    admin = require_permission(app, request, "orders.cancel")
    body = request.json()
    reason = body.get("reason") or "cancelled by support"
    order = app.orders.by_number(number)
    if order.status not in st.OPEN_STATUSES:
        raise InvalidTransition(order.status, st.CANCELLED)
    app.inventory.release(order.number, actor=admin.email, note=reason)
    app.coupons.release(order.id)
    order = app.orders.repo.update(order.id, status=st.CANCELLED, cancelled_at=app.clock.now(),
                                   cancel_reason=reason)
    app.audit.record(admin.email, "order.cancelled", order.number, reason=reason)
    app.events.publish("order.cancelled", order_id=order.id, reason=reason)
    return json_response(app.orders.describe(order))


def ship_order(app, request, number):
    admin = require_permission(app, request, "orders.ship")
    body = request.json()
    order = app.orders.by_number(number)
    shipment = app.orders.ship(order.id, carrier=body.get("carrier") or order.shipping_method,
                               actor=admin.email)
    return json_response({"number": number, "carrier": shipment.carrier,
                          "tracking_number": shipment.tracking_number})


def mark_paid(app, request, number):
    admin = require_permission(app, request, "orders.edit")
    body = request.json()
    order = app.orders.by_number(number)
    order = app.orders.mark_paid(order.id, actor=admin.email, method=body.get("method", "bank_transfer"))
    return json_response(app.orders.describe(order))


def edit_line(app, request, number, sku):
    admin = require_permission(app, request, "orders.edit")
    body = request.json()
    order = app.orders.by_number(number)
    order = app.orders.update_line_quantity(order.id, sku.upper(), body.get("quantity"), actor=admin.email)
    return json_response(app.orders.describe(order))


def manual_order(app, request):
    admin = require_permission(app, request, "orders.create")
    body = request.json()
    require_fields(body, "customer_id", "items")
    order = app.manual_orders.create(int(body["customer_id"]), body["items"], address=body.get("address"),
                                     shipping_method=body.get("shipping_method", "standard"),
                                     paid_offline=bool(body.get("paid_offline")), actor=admin.email)
    return created(app.orders.describe(order))


# -- marketing ---------------------------------------------------------------
def create_promotion(app, request):
    admin = require_permission(app, request, "promotions.edit")
    body = dict(request.json())
    require_fields(body, "name", "kind", "value")
    promo = app.promotions.create(body.pop("name"), body.pop("kind"), int(body.pop("value")), **body)
    app.audit.record(admin.email, "promotion.created", promo.name)
    return created({"id": promo.id, "name": promo.name})


def create_coupon(app, request):
    admin = require_permission(app, request, "promotions.edit")
    body = dict(request.json())
    require_fields(body, "code", "kind")
    coupon = app.coupons.create(body.pop("code"), body.pop("kind"), int(body.pop("value", 0)), **body)
    app.audit.record(admin.email, "coupon.created", coupon.code)
    return created({"id": coupon.id, "code": coupon.code})


# -- customers ---------------------------------------------------------------
def update_customer(app, request, customer_id):
    admin = require_permission(app, request, "customers.edit")
    body = request.json()
    customer = app.customers.get(customer_id)
    if "group" in body:
        customer = app.customers.set_group(customer.id, body["group"])
    if "tax_exempt" in body:
        customer = app.customers.set_tax_exempt(customer.id, body["tax_exempt"])
    if body.get("active") is False:
        customer = app.customers.deactivate(customer.id)
        app.sessions.revoke_customer(customer.id)
    app.audit.record(admin.email, "customer.updated", customer.email, **body)
    return json_response(customer.public())


# -- reports and jobs --------------------------------------------------------
def sales_report(app, request):
    require_permission(app, request, "reports.view")
    day = request.query.get("day") or day_of(app.clock.now())
    try:
        return json_response(daily_sales(app, day))
    except ValueError as exc:
        raise ValidationError(str(exc), field="day") from None


def export_orders(app, request):
    require_permission(app, request, "reports.view")
    return text_response(orders_csv(app), "text/csv")


def show_dashboard(app, request):
    require_permission(app, request, "reports.view")
    return json_response(build_dashboard(app))


def run_job(app, request, name):
    admin = require_permission(app, request, "jobs.run")
    result = app.scheduler.run(name)
    job = app.scheduler.job(name)
    app.audit.record(admin.email, "job.run", name)
    return json_response({"job": name, "result": result, "error": job.last_error})


ROUTES = [
    ("POST", "/admin/categories", create_category),
    ("POST", "/admin/products", create_product),
    ("POST", "/admin/prices/{sku}", set_group_price),
    ("POST", "/admin/stock/{sku}/receive", receive_stock),
    ("POST", "/admin/stock/{sku}/recount", recount_stock),
    ("GET", "/admin/stock", stock),
    ("GET", "/admin/stock/{sku}/movements", stock_movements),
    ("GET", "/admin/orders", list_orders),
    ("POST", "/admin/orders/manual", manual_order),
    ("GET", "/admin/orders/{number}", show_order),
    ("POST", "/admin/orders/{number}/cancel", cancel_order),
    ("POST", "/admin/orders/{number}/ship", ship_order),
    ("POST", "/admin/orders/{number}/mark-paid", mark_paid),
    ("PATCH", "/admin/orders/{number}/lines/{sku}", edit_line),
    ("POST", "/admin/promotions", create_promotion),
    ("POST", "/admin/coupons", create_coupon),
    ("PATCH", "/admin/customers/{customer_id:int}", update_customer),
    ("GET", "/admin/reports/sales", sales_report),
    ("GET", "/admin/reports/orders.csv", export_orders),
    ("GET", "/admin/dashboard", show_dashboard),
    ("POST", "/admin/jobs/{name}/run", run_job),
]
