"""Path routing: ``/carts/{cart_id:int}/items/{sku}``."""

import re

from ..errors import NotFound, ShopError


class MethodNotAllowed(ShopError):
    status = 405
    code = "method_not_allowed"


_PARAM = re.compile(r"{(\w+)(?::(int))?}")


def _compile(pattern: str):
    converters = {}

    def repl(m):
        name, kind = m.group(1), m.group(2)
        if kind == "int":
            converters[name] = int
            return rf"(?P<{name}>\d+)"
        return rf"(?P<{name}>[^/]+)"

    regex = "^" + _PARAM.sub(repl, pattern.rstrip("/") or "/") + "/?$"
    return re.compile(regex), converters


class Router:
    def __init__(self):
        self._routes = []

    def add(self, method: str, pattern: str, handler) -> None:
        regex, converters = _compile(pattern)
        self._routes.append((method.upper(), pattern, regex, converters, handler))

    def routes(self) -> list:
        return [(m, p) for m, p, *_ in self._routes]

    def match(self, method: str, path: str):
        allowed = []
        for m, _pattern, regex, converters, handler in self._routes:
            found = regex.match(path)
            if not found:
                continue
            if m != method.upper():
                allowed.append(m)
                continue
            params = {k: converters.get(k, str)(v) for k, v in found.groupdict().items()}
            return handler, params
        if allowed:
            raise MethodNotAllowed(f"{method} not allowed", allowed=sorted(set(allowed)))
        raise NotFound(f"no route for {path}")
