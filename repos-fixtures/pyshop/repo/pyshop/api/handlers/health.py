"""Health and version endpoints for the load balancer."""

from ... import __version__
from ..http import json_response


def health(app, request):
    return json_response({"status": "ok", "tables": len(app.db.table_names()),
                          "cache_regions": app.cache.names()})


def version(app, request):
    return json_response({"version": __version__, "shop": app.settings.shop_name})


def gateway_webhook(app, request):
    body = request.body if isinstance(request.body, str) else ""
    return json_response(app.webhooks.receive(body, request.headers.get("x-signature", "")))


ROUTES = [
    ("POST", "/webhooks/gateway", gateway_webhook),
    ("GET", "/health", health),
    ("GET", "/version", version),
]
