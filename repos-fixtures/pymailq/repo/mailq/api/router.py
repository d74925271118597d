"""Method + path pattern routing ('/messages/{id}')."""

from __future__ import annotations

import re

from ..errors import MethodNotAllowed, NotFound


class Router:
    def __init__(self):
        self._routes: list[tuple[re.Pattern, dict]] = []

    @staticmethod
    def _compile(pattern: str) -> re.Pattern:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern)
        return re.compile("^" + regex + "$")

    def add(self, method: str, pattern: str, handler) -> None:
        for compiled, handlers in self._routes:
            if compiled.pattern == self._compile(pattern).pattern:
                handlers[method.upper()] = handler
                return
        self._routes.append((self._compile(pattern), {method.upper(): handler}))

    def match(self, method: str, path: str):
        for compiled, handlers in self._routes:
            found = compiled.match(path)
            if not found:
                continue
            handler = handlers.get(method.upper())
            if handler is None:
                raise MethodNotAllowed(f"{method} not allowed on {path}",
                                       allowed=sorted(handlers))
            return handler, found.groupdict()
        raise NotFound(f"no route for {path}")
