from conftest import PASSWORD, basic, request


def test_export_with_basic_auth(app, admin, alice):
    resp = app.handle(request("GET", "/export/users.csv", headers=basic("root@example.com", PASSWORD)))
    assert resp.status == 200
    lines = resp.body.strip().split("\n")
    assert lines[0] == "id,email,display_name,roles,active,created_at"
    assert len(lines) == 3
    assert lines[2].startswith("2,alice@example.com,Alice,user,yes,")


def test_export_rejects_bad_credentials(app, admin):
    assert app.handle(request("GET", "/export/users.csv")).status == 401
    resp = app.handle(request("GET", "/export/users.csv", headers=basic("root@example.com", "nope nope")))
    assert resp.status == 401
    garbled = app.handle(request("GET", "/export/users.csv", headers={"Authorization": "Basic !!!"}))
    assert garbled.status == 401


def test_export_needs_permission(app, alice):
    resp = app.handle(request("GET", "/export/users.csv", headers=basic("alice@example.com", PASSWORD)))
    assert resp.status == 403
