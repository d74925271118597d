"""The signed-in user's own account."""

from __future__ import annotations

from .. import sessions
from ..errors import InvalidCredentials, Unauthorized
from ..http import json_response
from ..passwords import hash_password, verify_password
from ..validation import validate_display_name, validate_password


def _session_user(app, request):
    """(session, user) for the request's session cookie, or raise Unauthorized."""
    sid = request.cookie(app.settings.cookie_name)
    session = sessions.get_session(sid, app.clock)
    if session is None:
        raise Unauthorized("sign in first")
    user = app.users.get(session.user_id)
    if user is None:
        sessions.drop_session(sid)
        raise Unauthorized("sign in first")
    return session, user


def handle_me(app, request):
    session, user = _session_user(app, request)
    body = user.public()
    body["session_expires_at"] = session.expires_at
    return json_response(200, body)


def handle_update_profile(app, request):
    _, user = _session_user(app, request)
    data = request.json()
    name = validate_display_name(data.get("display_name"))
    user = app.users.update_profile(user.id, name)
    app.audit.record("profile.updated", user_id=user.id)
    return json_response(200, user.public())


def handle_change_password(app, request):
    session, user = _session_user(app, request)
    data = request.json()
    current = data.get("current_password") or ""
    new = data.get("new_password") or ""
    # Re-check the current password before changing it.
    if not verify_password(current, user.password_hash):
        app.audit.record("password.change_failed", user_id=user.id)
        raise InvalidCredentials("current password is wrong")
    validate_password(new, app.settings.min_password_length, user.email)
    app.users.set_password_hash(user.id, hash_password(new, app.settings.pbkdf2_iterations))
    dropped = sessions.drop_user_sessions(user.id, keep=session.id)
    app.audit.record("password.changed", user_id=user.id, other_sessions_closed=dropped)
    return json_response(200, {"changed": True, "other_sessions_closed": dropped})


def handle_list_sessions(app, request):
    session, user = _session_user(app, request)
    live = sessions.sessions_for_user(user.id, app.clock)
    return json_response(200, {
        "sessions": [dict(s.public(), current=(s.id == session.id)) for s in live],
    })
