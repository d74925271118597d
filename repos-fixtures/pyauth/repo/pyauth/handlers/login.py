"""Sign-in and sign-out."""

from __future__ import annotations

from .. import sessions
from ..errors import AccountDisabled, InvalidCredentials, TooManyAttempts
from ..http import clear_cookie, json_response, session_cookie
from ..passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from ..ratelimit import attempt_key
from ..validation import normalize_email


def handle_login(app, request):
    data = request.json()
    email = normalize_email(data.get("email", ""))
    password = data.get("password") or ""
    key = attempt_key(email, request.remote_addr)

    if app.limiter.is_locked(key):
        app.audit.record("login.locked", email=email, remote_addr=request.remote_addr)
        raise TooManyAttempts(retry_after=app.limiter.retry_after(key))

    user = app.users.find_by_email(email) if email else None
    if user is None:
        verify_password(password, DUMMY_HASH)   # keep timing similar
        app.limiter.register_failure(key)
        app.audit.record("login.failed", email=email, reason="unknown_user")
        raise InvalidCredentials("wrong e-mail or password")
    if not verify_password(password, user.password_hash):
        app.limiter.register_failure(key)
        app.audit.record("login.failed", user_id=user.id, email=email, reason="bad_password")
        raise InvalidCredentials("wrong e-mail or password")
    if not user.active:
        app.audit.record("login.failed", user_id=user.id, email=email, reason="disabled")
        raise AccountDisabled("this account has been disabled")

    if needs_rehash(user.password_hash, app.settings.pbkdf2_iterations):
        app.users.upgrade_hash(user.id, hash_password(password, app.settings.pbkdf2_iterations))
        app.audit.record("password.rehashed", user_id=user.id)
    app.limiter.reset(key)

    session = sessions.create_session(user.id, app.settings.session_ttl_seconds, app.clock,
                                      request.remote_addr)
    app.audit.record("login.ok", user_id=user.id, remote_addr=request.remote_addr)
    cookie = session_cookie(app.settings.cookie_name, session.id,
                            int(app.settings.session_ttl_seconds), app.settings.secure_cookies)
    return json_response(200, {
        "session_id": session.id,
        "expires_at": session.expires_at,
        "user": user.public(),
    }, headers={"Set-Cookie": cookie})


def handle_logout(app, request):
    sid = request.cookie(app.settings.cookie_name)
    session = sessions.get_session(sid, app.clock)
    if session is not None:
        sessions.drop_session(sid)
        app.audit.record("logout", user_id=session.user_id)
    return json_response(200, {"logged_out": session is not None},
                         headers={"Set-Cookie": clear_cookie(app.settings.cookie_name)})
