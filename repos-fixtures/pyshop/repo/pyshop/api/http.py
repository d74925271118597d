"""Minimal request/response objects for the handler layer."""

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from ..errors import ShopError, ValidationError


@dataclass
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: object = None
    query: dict = field(default_factory=dict)
    remote_addr: str = "127.0.0.1"

    def __post_init__(self):
        self.method = self.method.upper()
        self.headers = {k.lower(): v for k, v in (self.headers or {}).items()}
        if "?" in self.path:
            parts = urlsplit(self.path)
            self.path = parts.path
            self.query = {**dict(parse_qsl(parts.query)), **(self.query or {})}

    def json(self) -> dict:
        body = self.body
        if body is None or body == "":
            return {}
        if isinstance(body, (str, bytes)):
            try:
                body = json.loads(body)
            except ValueError:
                raise ValidationError("body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ValidationError("body must be a JSON object")
        return body


@dataclass
class Response:
    status: int = 200
    body: object = None
    headers: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self):
        return self.body


def json_response(data, status: int = 200, **headers) -> Response:
    return Response(status, data, {"content-type": "application/json", **headers})


def text_response(text: str, content_type: str = "text/plain") -> Response:
    return Response(200, text, {"content-type": content_type})


def error_response(exc: ShopError) -> Response:
    return json_response(exc.to_dict(), exc.status)


def created(data) -> Response:
    return json_response(data, 201)


def no_content() -> Response:
    return Response(204, None, {})
