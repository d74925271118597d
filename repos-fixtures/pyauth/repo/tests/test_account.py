from conftest import PASSWORD, login, request, session_of


def test_me_requires_a_session(app):
    assert app.handle(request("GET", "/me")).status == 401
    assert app.handle(request("GET", "/me", cookie="made-up")).status == 401


def test_me_returns_the_profile(app, alice):
    sid = session_of(app, "alice@example.com")
    resp = app.handle(request("GET", "/me", cookie=sid))
    assert resp.status == 200
    assert resp.body["email"] == "alice@example.com"
    assert resp.body["display_name"] == "Alice"


def test_update_profile(app, alice):
    sid = session_of(app, "alice@example.com")
    resp = app.handle(request("PATCH", "/me", {"display_name": " Alice  Liddell "}, cookie=sid))
    assert resp.status == 200 and resp.body["display_name"] == "Alice Liddell"


def test_session_expires(app, alice, clock):
    sid = session_of(app, "alice@example.com")
    clock.advance(3599)
    assert app.handle(request("GET", "/me", cookie=sid)).status == 200
    clock.advance(2)
    assert app.handle(request("GET", "/me", cookie=sid)).status == 401


def test_change_password_needs_current_password(app, alice):
    sid = session_of(app, "alice@example.com")
    resp = app.handle(request("POST", "/me/password",
                              {"current_password": "nope nope", "new_password": "brand new secret"},
                              cookie=sid))
    assert resp.status == 401
    assert login(app, "alice@example.com").status == 200


def test_change_password_closes_other_sessions(app, alice):
    first = session_of(app, "alice@example.com")
    second = session_of(app, "alice@example.com")
    resp = app.handle(request("POST", "/me/password",
                              {"current_password": PASSWORD, "new_password": "brand new secret"},
                              cookie=second))
    assert resp.status == 200 and resp.body["other_sessions_closed"] == 1
    assert app.handle(request("GET", "/me", cookie=first)).status == 401
    assert app.handle(request("GET", "/me", cookie=second)).status == 200
    assert login(app, "alice@example.com").status == 401
    assert login(app, "alice@example.com", "brand new secret").status == 200


def test_list_sessions_marks_current(app, alice):
    a = session_of(app, "alice@example.com")
    session_of(app, "alice@example.com")
    resp = app.handle(request("GET", "/me/sessions", cookie=a))
    assert resp.status == 200
    flags = sorted(s["current"] for s in resp.body["sessions"])
    assert flags == [False, True]
