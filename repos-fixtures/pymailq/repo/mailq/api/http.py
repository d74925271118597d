"""Framework-free request and response objects."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qs

from ..errors import ValidationError


@dataclasses.dataclass
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: dict = dataclasses.field(default_factory=dict)
    query: str = ""
    remote_addr: str = "-"
    params: dict = dataclasses.field(default_factory=dict)   # filled by the router

    def header(self, name: str, default: str | None = None) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default

    def json(self) -> dict:
        if not self.body:
            raise ValidationError("request body must be a JSON object")
        try:
            data = json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ValidationError("request body must be a JSON object")
        return data

    def args(self) -> dict:
        return {key: values[-1] for key, values in parse_qs(self.query).items()}


@dataclasses.dataclass
class Response:
    status: int
    body: object = None
    headers: dict = dataclasses.field(default_factory=dict)

    def json(self):
        return self.body

    @classmethod
    def ok(cls, body=None, status: int = 200, **headers) -> "Response":
        return cls(status, body if body is not None else {}, dict(headers))

    @classmethod
    def error(cls, exc) -> "Response":
        response = cls(exc.status, exc.to_body())
        retry_after = exc.details.get("retry_after") if hasattr(exc, "details") else None
        if retry_after is not None:
            response.headers["Retry-After"] = str(int(retry_after + 0.999))
        return response
