from conftest import PASSWORD, login, request, session_of

from pyauth.passwords import legacy_hash


def test_login_sets_session_cookie(app, alice):
    resp = login(app, "alice@example.com")
    assert resp.status == 200
    sid = resp.cookie("sid")
    assert sid and resp.body["session_id"] == sid
    assert resp.body["user"]["email"] == "alice@example.com"
    assert "HttpOnly" in resp.headers["Set-Cookie"]
    assert resp.body["expires_at"] == app.clock.now() + 3600


def test_login_is_case_insensitive_on_email(app, alice):
    assert login(app, "  ALICE@example.com ").status == 200


def test_wrong_password_and_unknown_user_look_the_same(app, alice):
    bad_pw = login(app, "alice@example.com", "not the password")
    unknown = login(app, "nobody@example.com")
    assert bad_pw.status == unknown.status == 401
    assert bad_pw.body == unknown.body


def test_disabled_account_cannot_log_in(app, alice):
    app.users.set_active(alice.id, False)
    resp = login(app, "alice@example.com")
    assert resp.status == 403
    assert resp.body["error"] == "account_disabled"


def test_lockout_after_repeated_failures(app, alice, clock):
    for _ in range(3):
        assert login(app, "alice@example.com", "wrong wrong").status == 401
    locked = login(app, "alice@example.com")
    assert locked.status == 429
    assert int(locked.headers["Retry-After"]) == 600
    # another address is not affected
    assert login(app, "alice@example.com", remote_addr="10.9.9.9").status == 200
    clock.advance(601)
    assert login(app, "alice@example.com").status == 200


def test_successful_login_clears_failures(app, alice):
    login(app, "alice@example.com", "wrong wrong")
    login(app, "alice@example.com", "wrong wrong")
    assert login(app, "alice@example.com").status == 200
    login(app, "alice@example.com", "wrong wrong")
    login(app, "alice@example.com", "wrong wrong")
    assert login(app, "alice@example.com").status == 200


def test_legacy_hash_is_upgraded_on_login(app):
    user = app.users.create("old@example.com", legacy_hash(PASSWORD, "s4lt"), "Old Timer")
    assert login(app, "old@example.com").status == 200
    upgraded = app.users.get(user.id).password_hash
    assert upgraded.startswith("pbkdf2_sha256$1000$")
    assert "password.rehashed" in app.audit.actions()
    assert login(app, "old@example.com").status == 200


def test_logout_invalidates_session(app, alice):
    sid = session_of(app, "alice@example.com")
    assert app.handle(request("GET", "/me", cookie=sid)).status == 200
    out = app.handle(request("POST", "/logout", cookie=sid))
    assert out.status == 200 and out.body["logged_out"] is True
    assert app.handle(request("GET", "/me", cookie=sid)).status == 401
    again = app.handle(request("POST", "/logout", cookie=sid))
    assert again.body["logged_out"] is False


def test_login_is_audited(app, alice):
    login(app, "alice@example.com", "wrong wrong")
    login(app, "alice@example.com")
    actions = app.audit.actions()
    assert actions[-2:] == ["login.failed", "login.ok"]


def test_bad_json_is_a_400(app):
    resp = app.handle(request("POST", "/login", "{not json"))
    assert resp.status == 400
