"""Application wiring and routing."""

from __future__ import annotations

import re
from typing import Optional

from .audit import AuditLog
from .clock import Clock, SystemClock
from .db import Database, create_schema
from .errors import NotFound, PyAuthError
from .handlers import account, admin, apitokens, export, login, reset
from .http import Request, Response, error_response
from .passwords import hash_password
from .ratelimit import LoginRateLimiter
from .reset import ResetTicketRepository
from .settings import DEFAULT_SETTINGS, Settings
from .tokens import ApiTokenRepository
from .users import UserRepository
from .validation import validate_display_name, validate_email, validate_password

ROUTES = [
    ("POST", "/login", login.handle_login),
    ("POST", "/logout", login.handle_logout),
    ("GET", "/me", account.handle_me),
    ("PATCH", "/me", account.handle_update_profile),
    ("POST", "/me/password", account.handle_change_password),
    ("GET", "/me/sessions", account.handle_list_sessions),
    ("POST", "/tokens", apitokens.handle_create_token),
    ("GET", "/tokens", apitokens.handle_list_tokens),
    ("GET", "/tokens/whoami", apitokens.handle_whoami),
    ("DELETE", "/tokens/{id}", apitokens.handle_revoke_token),
    ("POST", "/password-reset", reset.handle_reset_request),
    ("POST", "/password-reset/confirm", reset.handle_reset_confirm),
    ("GET", "/admin/users", admin.handle_list_users),
    ("POST", "/admin/users", admin.handle_create_user),
    ("POST", "/admin/users/{id}/deactivate", admin.handle_deactivate_user),
    ("POST", "/admin/users/{id}/roles", admin.handle_grant_role),
    ("GET", "/admin/audit", admin.handle_audit),
    ("GET", "/export/users.csv", export.handle_export_users),
]


def _compile(pattern: str):
    regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$"
    return re.compile(regex)


class Application:
    def __init__(self, settings: Optional[Settings] = None, clock: Optional[Clock] = None,
                 db: Optional[Database] = None):
        self.settings = settings or DEFAULT_SETTINGS
        self.clock = clock or SystemClock()
        self.db = create_schema(db or Database())
        self.users = UserRepository(self.db, self.clock)
        self.tokens = ApiTokenRepository(self.db, self.clock, self.settings.max_api_tokens_per_user)
        self.resets = ResetTicketRepository(self.db, self.clock, self.settings.reset_ticket_ttl_seconds)
        self.audit = AuditLog(self.db, self.clock)
        self.limiter = LoginRateLimiter(self.settings.login_max_attempts,
                                        self.settings.login_lockout_seconds, self.clock)
        self.outbox: list = []      # e-mails the front end would send
        self._routes = [(m, _compile(p), h) for m, p, h in ROUTES]

    # -- provisioning (also used by the admin handlers and by tests) -----------
    def register_user(self, email: str, password: str, display_name: str = "",
                      roles=("user",)):
        email = validate_email(email)
        validate_password(password, self.settings.min_password_length, email)
        display_name = validate_display_name(display_name)
        password_hash = hash_password(password, self.settings.pbkdf2_iterations)
        user = self.users.create(email, password_hash, display_name, roles)
        self.audit.record("user.created", user_id=user.id, email=email)
        return user

    def send_mail(self, to: str, subject: str, body: str) -> None:
        self.outbox.append({"to": to, "subject": subject, "body": body})

    # -- dispatch --------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path.split("?", 1)[0]
        allowed = False
        for method, regex, handler in self._routes:
            match = regex.match(path)
            if not match:
                continue
            allowed = True
            if method != request.method:
                continue
            try:
                return handler(self, request, **match.groupdict())
            except PyAuthError as exc:
                return error_response(exc)
        if allowed:
            return Response(405, {"error": "method_not_allowed", "message": request.method})
        return error_response(NotFound(f"no route for {path}"))
