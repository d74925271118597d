"""Shared fixtures: an Application on a fake clock with a small catalog."""

import pytest

from pyshop.app import Application
from pyshop.clock import FakeClock
from pyshop.config.settings import Settings

PASSWORD = "correct horse 42"
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
START = 1_700_000_000.0          # 2023-11-14T22:13:20Z

CA_ADDRESS = {"name": "Alice Liddell", "line1": "1 Market St", "city": "San Francisco",
              "region": "CA", "postcode": "94105", "country": "US"}
NY_ADDRESS = {"name": "Bob Builder", "line1": "5 Broadway", "city": "New York",
              "region": "NY", "postcode": "10004", "country": "US"}
DE_ADDRESS = {"name": "Clara Schmidt", "line1": "Unter den Linden 1", "city": "Berlin",
              "postcode": "10117", "country": "DE"}


class Shop:
    """The seeded shop and a few shortcuts for driving it through the API."""

    def __init__(self, app):
        self.app = app
        cat = app.catalog
        self.books = cat.add_category("Books", tax_class="reduced")
        self.games = cat.add_category("Games")
        self.gifts = cat.add_category("Gift cards", tax_class="exempt")
        cat.add_product("Dune", category_id=self.books.id, description="Desert planet classic",
                        variants=[("BOOK-DUNE", "Dune", 1500, 400)])
        cat.add_product("Catan", category_id=self.games.id, description="Trade and build board game",
                        variants=[("GAME-CATAN", "Catan", 4500, 2000)])
        cat.add_product("Dice set", category_id=self.games.id, description="Seven polyhedral dice",
                        variants=[("DICE-RED", "Red", 800, 100), ("DICE-BLUE", "Blue", 800, 100)])
        cat.add_product("Gift card", category_id=self.gifts.id, variants=[("GIFT-50", "Gift card", 5000, 0)])
        for sku, qty in (("BOOK-DUNE", 20), ("GAME-CATAN", 10), ("DICE-RED", 50), ("DICE-BLUE", 50),
                         ("GIFT-50", 1000)):
            app.inventory.track(sku, qty)
        app.price_book.set_group_price("GAME-CATAN", "wholesale", 3600)
        app.price_book.set_group_price("BOOK-DUNE", "wholesale", 1100)

        self.alice = app.customers.register("alice@example.com", PASSWORD, "Alice Liddell")
        app.customers.add_address(self.alice.id, CA_ADDRESS)
        self.bob = app.customers.register("bob@example.com", PASSWORD, "Bob Builder", group="wholesale")
        app.customers.add_address(self.bob.id, NY_ADDRESS)
        self.admin = app.customers.register("admin@example.com", PASSWORD, "Ada Admin", role="admin")
        self.support = app.customers.register("support@example.com", PASSWORD, "Sam Support",
                                              role="support")

    def login(self, email: str) -> str:
        resp = self.app.call("POST", "/login", {"email": email, "password": PASSWORD})
        assert resp.status == 200, resp.body
        return resp.body["token"]

    def cart(self, token: str | None, items) -> int:
        resp = self.app.call("POST", "/carts", token=token)
        assert resp.status == 201, resp.body
        cart_id = resp.body["id"]
        for sku, qty in items:
            r = self.app.call("POST", f"/carts/{cart_id}/items", {"sku": sku, "quantity": qty}, token=token)
            assert r.status == 200, r.body
        return cart_id

    def checkout(self, token: str, cart_id: int, card: str = CARD_OK, **body):
        body.setdefault("payment", {"method": "card", "card_number": card})
        return self.app.call("POST", f"/carts/{cart_id}/checkout", body, token=token)

    def order_for(self, token: str, items, **body) -> dict:
        resp = self.checkout(token, self.cart(token, items), **body)
        assert resp.status == 201, resp.body
        return resp.body

    def level(self, sku: str):
        return self.app.ledger.level(sku)


@pytest.fixture
def clock():
    return FakeClock(START)


@pytest.fixture
def settings():
    return Settings(feature_flags=("express_shipping", "loyalty"))


@pytest.fixture
def app(settings, clock):
    return Application(settings=settings, clock=clock)


@pytest.fixture
def shop(app):
    return Shop(app)


@pytest.fixture
def alice_token(shop):
    return shop.login("alice@example.com")


@pytest.fixture
def bob_token(shop):
    return shop.login("bob@example.com")


@pytest.fixture
def admin_token(shop):
    return shop.login("admin@example.com")


@pytest.fixture
def support_token(shop):
    return shop.login("support@example.com")
