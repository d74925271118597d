"""Warehouse, finance and privacy endpoints."""

from ...auth.guard import require_customer, require_permission
from ...admin.audit_views import actions_summary, search_audit
from ...customers.privacy import erase_customer, export_customer
from ...errors import NotFound, ValidationError
from ...orders.invoices import render_invoice
from ...payments.reconciliation import reconcile
from ...reporting.abandoned_carts import abandoned_cart_value
from ...reporting.tax_report import tax_by_jurisdiction
from ...shipping.picking import packing_slip, picking_list
from ...util.pagination import page_params
from ...util.validation import require_fields
from ..http import json_response, text_response


def picking(app, request):
    require_permission(app, request, "orders.ship")
    limit = request.query.get("limit")
    return json_response(picking_list(app, limit=int(limit) if limit else None))


def slip(app, request, number):
    require_permission(app, request, "orders.ship")
    return text_response(packing_slip(app, number))


def assign_bin(app, request, sku):
    require_permission(app, request, "stock.edit")
    body = request.json()
    require_fields(body, "location")
    return json_response({"sku": sku.upper(), "location": app.bins.assign(sku.upper(), body["location"])})


def my_invoice(app, request, number):
    customer = require_customer(app, request)
    order = app.orders.by_number(number)
    if order.customer_id != customer.id:
        raise NotFound(f"order {number} not found")
    return text_response(render_invoice(app, order.id))


def admin_invoice(app, request, number):
    require_permission(app, request, "orders.view")
    return text_response(render_invoice(app, app.orders.by_number(number).id))


def my_data(app, request):
    customer = require_customer(app, request)
    return json_response(export_customer(app, customer.id))


def erase(app, request, customer_id):
    admin = require_permission(app, request, "customers.edit")
    return json_response(erase_customer(app, customer_id, actor=admin.email))


def tax_report(app, request):
    require_permission(app, request, "reports.view")
    first, last = request.query.get("from"), request.query.get("to")
    if not first or not last:
        raise ValidationError("from and to are required (YYYY-MM-DD)")
    try:
        return json_response({"rows": tax_by_jurisdiction(app, first, last)})
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def reconciliation(app, request):
    require_permission(app, request, "reports.view")
    return json_response(reconcile(app))


def audit(app, request):
    require_permission(app, request, "reports.view")
    page, size = page_params(request.query)
    q = request.query
    return json_response(search_audit(app, actor=q.get("actor"), action_prefix=q.get("action"),
                                      subject=q.get("subject"), page=page, per_page=size))


def audit_summary(app, request):
    require_permission(app, request, "reports.view")
    return json_response(actions_summary(app))


def abandoned(app, request):
    require_permission(app, request, "reports.view")
    return json_response(abandoned_cart_value(app))


ROUTES = [
    ("GET", "/admin/audit", audit),
    ("GET", "/admin/audit/summary", audit_summary),
    ("GET", "/admin/reports/abandoned-carts", abandoned),
    ("GET", "/admin/picking", picking),
    ("GET", "/admin/orders/{number}/packing-slip", slip),
    ("POST", "/admin/bins/{sku}", assign_bin),
    ("GET", "/orders/{number}/invoice", my_invoice),
    ("GET", "/admin/orders/{number}/invoice", admin_invoice),
    ("GET", "/me/data", my_data),
    ("POST", "/admin/customers/{customer_id:int}/erase", erase),
    ("GET", "/admin/reports/tax", tax_report),
    ("GET", "/admin/reports/reconciliation", reconciliation),
]
