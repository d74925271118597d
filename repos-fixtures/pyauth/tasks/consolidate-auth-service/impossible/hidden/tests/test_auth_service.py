"""AuthService and the injected session store (hidden tests for consolidate-auth-service)."""

import pytest
from conftest import PASSWORD, basic, login, request, session_of

from pyauth.app import Application
from pyauth.errors import AccountDisabled, InvalidCredentials, TooManyAttempts, Unauthorized
from pyauth.models import Session
from pyauth.passwords import legacy_hash

# The new API is imported inside the tests so that, before the refactor, only
# these tests fail and the rest of the suite still runs.


def InMemorySessionStore():  # noqa: N802 - stands for the class
    from pyauth.sessions import InMemorySessionStore as cls
    return cls()


def AuthService(*args, **kwargs):  # noqa: N802 - stands for the class
    from pyauth.auth_service import AuthService as cls
    return cls(*args, **kwargs)


@pytest.fixture
def store():
    return InMemorySessionStore()


@pytest.fixture
def service(app, store):
    return AuthService(app.users, store, clock=app.clock, settings=app.settings,
                       audit=app.audit, tokens=app.tokens)


def test_login_returns_session_kept_in_injected_store(service, store, alice, clock):
    session = service.login("Alice@Example.com", PASSWORD, remote_addr="10.1.1.1")
    assert isinstance(session, Session)
    assert session.user_id == alice.id
    assert session.expires_at == clock.now() + 3600
    assert session.remote_addr == "10.1.1.1"
    assert store.get(session.id) == session
    assert len(store) == 1


def test_verify_credentials_rejects_wrong_password_and_unknown_user(service, alice):
    assert service.verify_credentials("alice@example.com", PASSWORD).id == alice.id
    with pytest.raises(InvalidCredentials):
        service.verify_credentials("alice@example.com", "not the password")
    with pytest.raises(InvalidCredentials):
        service.verify_credentials("ghost@example.com", PASSWORD)


def test_verify_credentials_rejects_disabled_account(service, app, alice, store):
    app.users.set_active(alice.id, False)
    session = service.login("alice@example.com", PASSWORD)
    assert session.user_id == alice.id
    assert len(store) == 1


def test_failed_checks_lock_out_the_address(service, alice):
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            service.verify_credentials("alice@example.com", "wrong wrong", remote_addr="10.2.2.2")
    with pytest.raises(TooManyAttempts) as info:
        service.login("alice@example.com", PASSWORD, remote_addr="10.2.2.2")
    assert info.value.retry_after == pytest.approx(600)
    assert service.login("alice@example.com", PASSWORD, remote_addr="10.3.3.3").user_id == alice.id


def test_verify_credentials_upgrades_legacy_hash(service, app):
    user = app.users.create("old@example.com", legacy_hash(PASSWORD, "s4lt"))
    service.verify_credentials("old@example.com", PASSWORD)
    assert app.users.get(user.id).password_hash.startswith("pbkdf2_sha256$1000$")


def test_authenticate_session_and_expiry(service, store, alice, clock):
    session = service.login("alice@example.com", PASSWORD)
    got_session, user = service.authenticate_session(session.id)
    assert got_session == session and user.id == alice.id
    clock.advance(3601)
    with pytest.raises(Unauthorized):
        service.authenticate_session(session.id)
    assert store.get(session.id) is None
    with pytest.raises(Unauthorized):
        service.authenticate_session(None)


def test_logout_and_revoke_user_sessions(service, store, alice):
    first = service.login("alice@example.com", PASSWORD)
    second = service.login("alice@example.com", PASSWORD)
    third = service.login("alice@example.com", PASSWORD)
    assert service.revoke_user_sessions(alice.id, keep=first.id) == 2
    assert store.get(second.id) is None and store.get(third.id) is None
    assert service.logout(first.id) is True
    assert service.logout(first.id) is False
    assert store.for_user(alice.id) == []


def test_reauthenticate(service, app, alice):
    with pytest.raises(InvalidCredentials):
        service.reauthenticate(alice, "not the password")
    assert service.reauthenticate(alice, PASSWORD) is None


def test_authenticate_request_with_cookie_or_bearer_token(service, app, alice):
    session = service.login("alice@example.com", PASSWORD)
    _, plaintext = app.tokens.issue(alice.id, "ci")
    by_cookie = service.authenticate_request(request("GET", "/me", cookie=session.id))
    by_token = service.authenticate_request(
        request("GET", "/tokens", headers={"Authorization": f"Bearer {plaintext}"}))
    assert by_cookie.id == by_token.id == alice.id
    with pytest.raises(Unauthorized):
        service.authenticate_request(request("GET", "/me"))
    with pytest.raises(Unauthorized):
        service.authenticate_request(
            request("GET", "/tokens", headers={"Authorization": f"Bearer {plaintext}"}),
            allow_token=False)
    with pytest.raises(Unauthorized):
        service.authenticate_token("pat_unknown")


def test_application_uses_injected_session_store(settings, clock):
    store = InMemorySessionStore()
    app = Application(settings=settings, clock=clock, session_store=store)
    assert app.sessions is store and app.auth.sessions is store
    app.register_user("dora@example.com", PASSWORD)
    sid = session_of(app, "dora@example.com")
    assert store.get(sid) is not None
    assert app.handle(request("POST", "/logout", cookie=sid)).body["logged_out"] is True
    assert store.get(sid) is None


def test_applications_do_not_share_sessions(settings, clock):
    one = Application(settings=settings, clock=clock)
    two = Application(settings=settings, clock=clock)
    for app in (one, two):
        app.register_user("erin@example.com", PASSWORD)
    sid = session_of(one, "erin@example.com")
    assert one.handle(request("GET", "/me", cookie=sid)).status == 200
    assert two.handle(request("GET", "/me", cookie=sid)).status == 401
    assert len(two.sessions) == 0


def test_export_basic_auth_applies_sign_in_rules(app, admin):
    exporter = app.register_user("job@example.com", PASSWORD, roles=("exporter",))
    ok = app.handle(request("GET", "/export/users.csv", headers=basic("job@example.com", PASSWORD)))
    assert ok.status == 200
    app.users.set_active(exporter.id, False)
    disabled = app.handle(request("GET", "/export/users.csv", headers=basic("job@example.com", PASSWORD)))
    assert disabled.status == 403 and disabled.body["error"] == "account_disabled"
    for _ in range(3):
        app.handle(request("GET", "/export/users.csv", headers=basic("root@example.com", "wrong wrong")))
    locked = app.handle(request("GET", "/export/users.csv", headers=basic("root@example.com", PASSWORD)))
    assert locked.status == 429


def test_wrong_current_password_counts_toward_lockout(app, alice):
    sid = session_of(app, "alice@example.com")
    body = {"current_password": "wrong wrong", "new_password": "brand new secret"}
    for _ in range(3):
        assert app.handle(request("POST", "/me/password", body, cookie=sid)).status == 401
    assert login(app, "alice@example.com").status == 429


def test_deactivation_clears_sessions_from_store(app, admin, alice):
    root = session_of(app, "root@example.com")
    session_of(app, "alice@example.com")
    assert len(app.sessions.for_user(alice.id)) == 1
    resp = app.handle(request("POST", f"/admin/users/{alice.id}/deactivate", cookie=root))
    assert resp.status == 200 and resp.body["sessions_closed"] == 1
    assert app.sessions.for_user(alice.id) == []


def test_in_memory_session_store(clock):
    store = InMemorySessionStore()
    now = clock.now()
    a = Session("a", 1, now, now + 10)
    b = Session("b", 1, now + 1, now + 10)
    c = Session("c", 2, now, now + 10)
    for s in (b, a, c):
        store.add(s)
    assert store.get("a") == a and store.get("zzz") is None
    assert store.for_user(1) == [a, b]
    assert store.remove_for_user(1, keep="b") == 1
    assert store.remove("b") == b and store.remove("b") is None
    assert len(store) == 1
