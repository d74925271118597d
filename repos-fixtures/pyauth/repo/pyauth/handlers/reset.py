"""Forgotten-password flow."""

from __future__ import annotations

from .. import sessions
from ..http import json_response
from ..passwords import hash_password
from ..ratelimit import attempt_key
from ..validation import normalize_email, require_fields, validate_password


def handle_reset_request(app, request):
    email = normalize_email(request.json().get("email", ""))
    user = app.users.find_by_email(email) if email else None
    # Always 202 so the endpoint cannot be used to probe for accounts.
    if user is not None and user.active:
        ticket = app.resets.create(user.id)
        app.send_mail(user.email, "Reset your password",
                      f"{app.settings.reset_link_base}?ticket={ticket}")
        app.audit.record("password.reset_requested", user_id=user.id)
    return json_response(202, {"accepted": True})


def handle_reset_confirm(app, request):
    ticket, new_password = require_fields(request.json(), "ticket", "new_password")
    user_id = app.resets.redeem(ticket)
    user = app.users.require(user_id)
    validate_password(new_password, app.settings.min_password_length, user.email)
    app.users.set_password_hash(user_id, hash_password(new_password, app.settings.pbkdf2_iterations))
    closed = sessions.drop_user_sessions(user_id)
    # A successful reset also lifts a sign-in lockout from this address.
    app.limiter.reset(attempt_key(user.email, request.remote_addr))
    app.audit.record("password.reset", user_id=user_id, sessions_closed=closed)
    return json_response(200, {"reset": True})
