from conftest import PASSWORD, request, session_of


def create_token(app, sid, password=PASSWORD, label="ci"):
    return app.handle(request("POST", "/tokens", {"label": label, "password": password}, cookie=sid))


def test_creating_a_token_needs_the_password(app, alice):
    sid = session_of(app, "alice@example.com")
    assert create_token(app, sid, password="wrong wrong").status == 401
    resp = create_token(app, sid)
    assert resp.status == 201
    assert resp.body["token"].startswith("pat_")
    assert resp.body["prefix"] == resp.body["token"][:8]


def test_creating_a_token_needs_a_session(app, alice):
    assert app.handle(request("POST", "/tokens", {"label": "x", "password": PASSWORD})).status == 401


def test_token_authenticates_requests(app, alice):
    sid = session_of(app, "alice@example.com")
    token = create_token(app, sid).body["token"]
    resp = app.handle(request("GET", "/tokens/whoami", headers={"Authorization": f"Bearer {token}"}))
    assert resp.status == 200 and resp.body["email"] == "alice@example.com"
    bad = app.handle(request("GET", "/tokens/whoami", headers={"Authorization": "Bearer pat_nope"}))
    assert bad.status == 401


def test_listing_never_shows_plaintext(app, alice):
    sid = session_of(app, "alice@example.com")
    token = create_token(app, sid).body["token"]
    listed = app.handle(request("GET", "/tokens", cookie=sid)).body["tokens"]
    assert len(listed) == 1
    assert token not in repr(listed)


def test_revoked_token_is_rejected(app, alice):
    sid = session_of(app, "alice@example.com")
    created = create_token(app, sid).body
    auth = {"Authorization": f"Bearer {created['token']}"}
    assert app.handle(request("DELETE", f"/tokens/{created['id']}", cookie=sid)).status == 200
    assert app.handle(request("GET", "/tokens/whoami", headers=auth)).status == 401
    assert app.handle(request("DELETE", f"/tokens/{created['id']}", cookie=sid)).status == 404
