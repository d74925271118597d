"""Returns (customer side and back office)."""

from ...auth.guard import require_customer, require_permission
from ...util.validation import require_fields
from ..http import created, json_response


def request_return(app, request, number):
    customer = require_customer(app, request)
    body = request.json()
    require_fields(body, "items", "reason")
    rma = app.returns.request(customer, number, body["items"], reason=body["reason"],
                              comment=body.get("comment", ""))
    return created(app.returns.describe(rma))


def my_returns(app, request):
    customer = require_customer(app, request)
    return json_response({"returns": [app.returns.describe(r) for r in app.returns.for_customer(customer.id)]})


def approve(app, request, rma_id):
    admin = require_permission(app, request, "orders.cancel")
    return json_response(app.returns.describe(app.returns.decide(rma_id, approve=True, actor=admin.email)))


def reject(app, request, rma_id):
    admin = require_permission(app, request, "orders.cancel")
    return json_response(app.returns.describe(app.returns.decide(rma_id, approve=False, actor=admin.email)))


def receive(app, request, rma_id):
    admin = require_permission(app, request, "stock.edit")
    body = request.json()
    rma = app.returns.receive(rma_id, actor=admin.email, restock=body.get("restock", True))
    return json_response(app.returns.describe(rma))


ROUTES = [
    ("POST", "/orders/{number}/returns", request_return),
    ("GET", "/me/returns", my_returns),
    ("POST", "/admin/returns/{rma_id:int}/approve", approve),
    ("POST", "/admin/returns/{rma_id:int}/reject", reject),
    ("POST", "/admin/returns/{rma_id:int}/receive", receive),
]
