"""Minimal request/response objects exchanged with the HTTP front end."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Optional

from .errors import PyAuthError, ValidationError


def parse_cookie_header(header: str) -> dict:
    cookies = {}
    for part in (header or "").split(";"):
        if "=" in part:
            name, value = part.split("=", 1)
            cookies[name.strip()] = value.strip()
    return cookies


@dataclass
class Request:
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: object = None
    remote_addr: str = "127.0.0.1"

    def __post_init__(self):
        self.method = self.method.upper()
        self.headers = {k.lower(): v for k, v in (self.headers or {}).items()}

    def header(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.headers.get(name.lower(), default)

    def json(self) -> dict:
        if self.body is None or self.body == "" or self.body == b"":
            return {}
        if isinstance(self.body, dict):
            return self.body
        raw = self.body.decode("utf-8") if isinstance(self.body, bytes) else str(self.body)
        try:
            data = json.loads(raw)
        except ValueError:
            raise ValidationError("body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ValidationError("body must be a JSON object")
        return data

    def cookie(self, name: str) -> Optional[str]:
        return parse_cookie_header(self.header("cookie", "")).get(name)

    def bearer_token(self) -> Optional[str]:
        auth = self.header("authorization", "") or ""
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return None

    def basic_credentials(self) -> Optional[tuple]:
        auth = self.header("authorization", "") or ""
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "basic" or not value:
            return None
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if ":" not in decoded:
            return None
        user, _, password = decoded.partition(":")
        return user, password


@dataclass
class Response:
    status: int
    body: object = None
    headers: dict = field(default_factory=dict)

    @property
    def json(self):
        return self.body

    def cookie(self, name: str) -> Optional[str]:
        raw = self.headers.get("Set-Cookie", "")
        first = raw.split(";", 1)[0]
        if "=" in first:
            key, value = first.split("=", 1)
            if key.strip() == name:
                return value.strip() or None
        return None


def json_response(status: int, payload, headers: Optional[dict] = None) -> Response:
    return Response(status=status, body=payload, headers=dict(headers or {}))


def error_response(error: PyAuthError) -> Response:
    body = {"error": error.code, "message": error.message}
    headers = {}
    retry_after = error.extra.get("retry_after") if error.extra else None
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
        body["retry_after"] = retry_after
    return Response(status=error.status, body=body, headers=headers)


def session_cookie(name: str, value: str, max_age: int, secure: bool) -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax", f"Max-Age={max_age}"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def clear_cookie(name: str) -> str:
    return f"{name}=; Path=/; Max-Age=0"
