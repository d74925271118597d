from conftest import login, request, session_of


def test_regular_users_cannot_use_admin_pages(app, alice):
    sid = session_of(app, "alice@example.com")
    assert app.handle(request("GET", "/admin/users", cookie=sid)).status == 403
    assert app.handle(request("GET", "/admin/users")).status == 401


def test_admin_lists_and_creates_users(app, admin, alice):
    sid = session_of(app, "root@example.com")
    resp = app.handle(request("POST", "/admin/users",
                              {"email": "bob@example.com", "password": "a long secret phrase",
                               "roles": ["support"]}, cookie=sid))
    assert resp.status == 201 and resp.body["roles"] == ["support"]
    emails = [u["email"] for u in app.handle(request("GET", "/admin/users", cookie=sid)).body["users"]]
    assert emails == ["root@example.com", "alice@example.com", "bob@example.com"]
    dup = app.handle(request("POST", "/admin/users",
                             {"email": "bob@example.com", "password": "a long secret phrase"}, cookie=sid))
    assert dup.status == 409


def test_deactivation_closes_sessions_and_blocks_login(app, admin, alice):
    root = session_of(app, "root@example.com")
    victim = session_of(app, "alice@example.com")
    resp = app.handle(request("POST", f"/admin/users/{alice.id}/deactivate", cookie=root))
    assert resp.status == 200 and resp.body["sessions_closed"] == 1
    assert app.handle(request("GET", "/me", cookie=victim)).status == 401
    assert login(app, "alice@example.com").status == 403
    self_resp = app.handle(request("POST", f"/admin/users/{admin.id}/deactivate", cookie=root))
    assert self_resp.status == 403


def test_grant_role_and_audit(app, admin, alice):
    root = session_of(app, "root@example.com")
    resp = app.handle(request("POST", f"/admin/users/{alice.id}/roles", {"role": "support"}, cookie=root))
    assert resp.body["roles"] == ["support", "user"]
    alice_sid = session_of(app, "alice@example.com")
    audit = app.handle(request("GET", "/admin/audit", cookie=alice_sid))
    assert audit.status == 200
    assert "admin.role_granted" in [e["action"] for e in audit.body["events"]]
    assert app.handle(request("POST", "/admin/users/abc/roles", {"role": "support"}, cookie=root)).status == 400
