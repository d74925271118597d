"""Personal API tokens."""

from __future__ import annotations

from .. import sessions
from ..errors import AccountDisabled, InvalidCredentials, NotFound, TooManyAttempts, Unauthorized, ValidationError
from ..http import json_response
from ..passwords import verify_password
from ..ratelimit import attempt_key
from ..roles import require_permission


def _authenticate(app, request, allow_token=True):
    """The user behind a bearer token or a session cookie."""
    if allow_token:
        plaintext = request.bearer_token()
        if plaintext:
            token = app.tokens.find_active(plaintext)
            if token is None:
                raise Unauthorized("invalid API token")
            user = app.users.get(token.user_id)
            if user is None or not user.active:
                raise Unauthorized("invalid API token")
            app.tokens.mark_used(token.id)
            return user
    session = sessions.get_session(request.cookie(app.settings.cookie_name), app.clock)
    if session is None:
        raise Unauthorized("sign in first")
    user = app.users.get(session.user_id)
    if user is None or not user.active:
        raise Unauthorized("sign in first")
    return user


def handle_create_token(app, request):
    # Creating a token needs a browser session *and* the password again.
    user = _authenticate(app, request, allow_token=False)
    require_permission(user, "tokens:manage")
    data = request.json()
    label = (data.get("label") or "").strip()
    if not label or len(label) > 60:
        raise ValidationError("label must be 1-60 characters")
    key = attempt_key(user.email, request.remote_addr)
    if app.limiter.is_locked(key):
        raise TooManyAttempts(retry_after=app.limiter.retry_after(key))
    if not verify_password(data.get("password") or "", user.password_hash):
        app.limiter.register_failure(key)
        app.audit.record("token.create_failed", user_id=user.id)
        raise InvalidCredentials("password is wrong")
    if not user.active:
        raise AccountDisabled("this account has been disabled")
    token, plaintext = app.tokens.issue(user.id, label, app.settings.api_token_prefix)
    app.audit.record("token.created", user_id=user.id, token_id=token.id)
    body = token.public()
    body["token"] = plaintext
    return json_response(201, body)


def handle_list_tokens(app, request):
    user = _authenticate(app, request)
    return json_response(200, {"tokens": [t.public() for t in app.tokens.list_for_user(user.id)]})


def handle_whoami(app, request):
    user = _authenticate(app, request)
    return json_response(200, user.public())


def handle_revoke_token(app, request, id):
    user = _authenticate(app, request)
    try:
        token_id = int(id)
    except ValueError:
        raise ValidationError("token id must be a number") from None
    if not app.tokens.revoke(token_id, user.id):
        raise NotFound("no such token")
    app.audit.record("token.revoked", user_id=user.id, token_id=token_id)
    return json_response(200, {"revoked": token_id})
