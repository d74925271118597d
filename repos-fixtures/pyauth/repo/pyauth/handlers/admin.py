"""Admin area: user management and the audit trail."""

from __future__ import annotations

from .. import sessions
from ..errors import Forbidden, NotFound, Unauthorized, ValidationError
from ..http import json_response
from ..roles import KNOWN_ROLES, require_permission


def _admin_user(app, request, permission):
    # Same cookie check as the account pages, plus the permission check.
    sid = request.cookie(app.settings.cookie_name)
    session = sessions.get_session(sid, app.clock)
    if session is None:
        raise Unauthorized("sign in first")
    user = app.users.get(session.user_id)
    if user is None or not user.active:
        sessions.drop_session(sid)
        raise Unauthorized("sign in first")
    require_permission(user, permission)
    return user


def _user_id(raw):
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationError("user id must be a number") from None


def handle_list_users(app, request):
    _admin_user(app, request, "users:read")
    return json_response(200, {"users": [u.public() for u in app.users.list()]})


def handle_create_user(app, request):
    admin = _admin_user(app, request, "users:write")
    data = request.json()
    roles = data.get("roles") or ["user"]
    if not isinstance(roles, list) or not set(roles) <= KNOWN_ROLES:
        raise ValidationError("unknown role")
    user = app.register_user(data.get("email", ""), data.get("password") or "",
                             data.get("display_name", ""), tuple(roles))
    app.audit.record("admin.user_created", user_id=admin.id, target=user.id)
    return json_response(201, user.public())


def handle_deactivate_user(app, request, id):
    admin = _admin_user(app, request, "users:write")
    target_id = _user_id(id)
    if target_id == admin.id:
        raise Forbidden("you cannot deactivate yourself")
    target = app.users.get(target_id)
    if target is None:
        raise NotFound("no such user")
    app.users.set_active(target_id, False)
    closed = sessions.drop_user_sessions(target_id)
    revoked = app.tokens.revoke_all_for_user(target_id)
    app.audit.record("admin.user_deactivated", user_id=admin.id, target=target_id,
                     sessions_closed=closed, tokens_revoked=revoked)
    return json_response(200, {"deactivated": target_id, "sessions_closed": closed,
                               "tokens_revoked": revoked})


def handle_grant_role(app, request, id):
    admin = _admin_user(app, request, "users:write")
    role = request.json().get("role")
    if role not in KNOWN_ROLES:
        raise ValidationError("unknown role")
    target_id = _user_id(id)
    if app.users.get(target_id) is None:
        raise NotFound("no such user")
    user = app.users.grant_role(target_id, role)
    app.audit.record("admin.role_granted", user_id=admin.id, target=target_id, role=role)
    return json_response(200, user.public())


def handle_audit(app, request):
    _admin_user(app, request, "audit:read")
    events = app.audit.last(100)
    return json_response(200, {"events": [
        {"id": e.id, "at": e.at, "action": e.action, "user_id": e.user_id} for e in events
    ]})
