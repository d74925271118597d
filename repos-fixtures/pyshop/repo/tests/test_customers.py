import pytest

from conftest import CA_ADDRESS, NY_ADDRESS, PASSWORD

from pyshop.errors import Forbidden, NotFound, ValidationError


def test_addresses_and_defaults(shop, app):
    customers = app.customers
    second = customers.add_address(shop.alice.id, NY_ADDRESS)
    assert second.is_default is False
    assert customers.default_address(shop.alice.id).region == "CA"
    third = customers.add_address(shop.alice.id, dict(CA_ADDRESS, city="Los Angeles"), default=True)
    assert customers.default_address(shop.alice.id).id == third.id
    assert sum(a.is_default for a in customers.addresses.for_customer(shop.alice.id)) == 1
    with pytest.raises(Forbidden):
        customers.address(shop.bob.id, third.id)
    with pytest.raises(NotFound):
        customers.address(shop.alice.id, 999)


def test_checkout_with_a_saved_address(shop, app, alice_token):
    saved = app.customers.add_address(shop.alice.id, NY_ADDRESS)
    order = shop.order_for(alice_token, [("GAME-CATAN", 1)], address_id=saved.id)
    assert order["address"]["region"] == "NY" and order["tax_cents"] == 180
    other = app.customers.add_address(shop.bob.id, CA_ADDRESS)
    cart_id = shop.cart(alice_token, [("DICE-RED", 1)])
    assert shop.checkout(alice_token, cart_id, address_id=other.id).status == 403


def test_customer_without_address_must_give_one(app, shop):
    carol = app.customers.register("carol@example.com", PASSWORD, "Carol")
    token = shop.login("carol@example.com")
    cart_id = shop.cart(token, [("DICE-RED", 1)])
    resp = shop.checkout(token, cart_id)
    assert resp.status == 400 and resp.body["field"] == "address"
    assert app.customers.default_address(carol.id) is None


def test_tax_exempt_customers(shop, app, bob_token, admin_token):
    app.call("PATCH", f"/admin/customers/{shop.bob.id}", {"tax_exempt": True}, token=admin_token)
    order = shop.order_for(bob_token, [("GAME-CATAN", 1)])
    assert order["tax_cents"] == 0 and order["total_cents"] == 3600 + 499


def test_profile_validation(shop, app):
    with pytest.raises(ValidationError):
        app.customers.update_profile(shop.alice.id, name="   ")
    with pytest.raises(ValidationError):
        app.customers.set_group(shop.alice.id, "vip")
    with pytest.raises(ValidationError):
        app.customers.register("dora@example.com", PASSWORD, "Dora", role="root")
    assert app.customers.update_profile(shop.alice.id).name == "Alice Liddell"


def test_loyalty_program(shop, app):
    loyalty = app.loyalty
    assert loyalty.award(shop.alice.id, 1, 5099) == 50
    assert loyalty.award(shop.alice.id, 1, 5099) == 0
    assert loyalty.spend(shop.alice.id, 20, "voucher-1") == 30
    with pytest.raises(ValidationError):
        loyalty.spend(shop.alice.id, 31, "voucher-2")
    with pytest.raises(ValidationError):
        loyalty.spend(shop.alice.id, 0, "voucher-3")
    assert loyalty.revoke(shop.alice.id, 1) == 50
    assert loyalty.revoke(shop.alice.id, 1) == 0
    assert loyalty.balance(shop.alice.id) == -20
    assert [e["kind"] for e in loyalty.entries(shop.alice.id)] == ["earn", "spend", "revoke"]
