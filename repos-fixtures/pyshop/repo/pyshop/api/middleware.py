"""Cross-cutting request handling wrapped around every handler.

* every request gets a correlation id (``X-Request-Id`` is echoed back when
  the client sent one);
* oversized bodies are refused with 413 before the handler runs;
* every response is written to the request log with its status.
"""

import json

from ..errors import ShopError
from ..ids import correlation_id
from .http import error_response

MAX_BODY_BYTES = 64 * 1024


class PayloadTooLarge(ShopError):
    status = 413
    code = "payload_too_large"


def _body_size(body) -> int:
    if body is None:
        return 0
    if isinstance(body, bytes):
        return len(body)
    if isinstance(body, str):
        return len(body.encode())
    return len(json.dumps(body, default=str).encode())


def wrap(handler_fn, log, clock):
    """Wrap ``handler_fn(request) -> Response`` with the middleware chain."""

    def run(request):
        request_id = request.headers.get("x-request-id") or correlation_id()
        started = clock.now()
        try:
            if _body_size(request.body) > MAX_BODY_BYTES:
                raise PayloadTooLarge(f"body larger than {MAX_BODY_BYTES} bytes")
            response = handler_fn(request)
        except ShopError as exc:
            response = error_response(exc)
        response.headers.setdefault("x-request-id", request_id)
        log.write(request_id=request_id, method=request.method, path=request.path,
                  status=response.status, remote_addr=request.remote_addr,
                  duration=clock.now() - started)
        return response

    return run
