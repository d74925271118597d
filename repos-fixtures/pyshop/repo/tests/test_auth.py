from conftest import PASSWORD

from pyshop.auth.passwords import hash_password, verify_password
from pyshop.auth.permissions import has_permission, permissions_for


def test_register_and_sign_in(app):
    resp = app.call("POST", "/customers", {"email": "Carol@Example.com", "password": "s3cret-pass",
                                           "name": "  Carol   Danvers "})
    assert resp.status == 201 and resp.body["email"] == "carol@example.com"
    assert resp.body["name"] == "Carol Danvers" and resp.body["group"] == "retail"
    assert app.outbox.messages_for("carol@example.com", "welcome")
    login = app.call("POST", "/login", {"email": "CAROL@example.com", "password": "s3cret-pass"})
    assert login.status == 200 and login.body["customer"]["id"] == resp.body["id"]
    me = app.call("GET", "/me", token=login.body["token"])
    assert me.status == 200 and me.body["addresses"] == []


def test_registration_validation(shop, app):
    dup = app.call("POST", "/customers", {"email": "alice@example.com", "password": PASSWORD, "name": "A"})
    assert dup.status == 409
    weak = app.call("POST", "/customers", {"email": "x@example.com", "password": "12345678", "name": "X"})
    assert weak.status == 400
    missing = app.call("POST", "/customers", {"email": "x@example.com"})
    assert missing.status == 400 and missing.body["fields"] == ["password", "name"]


def test_wrong_credentials(shop, app):
    assert app.call("POST", "/login", {"email": "alice@example.com", "password": "nope nope 1"}).status == 401
    assert app.call("POST", "/login", {"email": "ghost@example.com", "password": PASSWORD}).status == 401


def test_sessions_expire_and_logout(shop, app, clock):
    token = shop.login("alice@example.com")
    assert app.call("GET", "/me", token=token).status == 200
    assert app.call("POST", "/logout", token=token).status == 204
    assert app.call("GET", "/me", token=token).status == 401
    token = shop.login("alice@example.com")
    clock.advance(app.settings.session_ttl_seconds)
    assert app.call("GET", "/me", token=token).status == 401
    assert len(app.sessions) == 0


def test_profile_and_addresses(shop, app, alice_token):
    resp = app.call("PATCH", "/me", {"name": "Alice L."}, token=alice_token)
    assert resp.body["name"] == "Alice L."
    resp = app.call("POST", "/me/addresses", {"address": {"name": "Alice", "line1": "2 Side St",
                                                          "city": "Oakland", "region": "ca",
                                                          "postcode": "94601", "country": "us"},
                                              "default": True}, token=alice_token)
    assert resp.status == 201 and resp.body["is_default"] is True
    addresses = app.call("GET", "/me", token=alice_token).body["addresses"]
    assert [a["is_default"] for a in addresses] == [False, True]
    assert app.customers.default_address(shop.alice.id).city == "Oakland"


def test_password_hashes_and_permissions(shop):
    stored = hash_password("pa55word", iterations=10, salt="abc")
    assert stored.startswith("pbkdf2_sha256$10$abc$")
    assert verify_password("pa55word", stored) and not verify_password("other", stored)
    assert not verify_password("x", "garbage")
    assert "orders.ship" in permissions_for("admin") and not permissions_for("customer")
    assert has_permission(shop.support, "orders.cancel")
    assert not has_permission(shop.support, "orders.ship")
