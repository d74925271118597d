import pytest

from mailq.routing_config import RoutingConfigError, parse_routing
from mailq.webhooks import WebhookDispatcher

from .conftest import submit


def test_delivery_events_are_batched_per_endpoint(app, relay):
    posted = []
    app.webhooks = WebhookDispatcher(app.clock, sender=lambda url, body: posted.append(
        (url, body)) or 200)
    app.webhooks.register("shop.example", "https://hooks.shop.example/mail")
    relay.script("ghost", [550])
    submit(app, **{"from": "orders@shop.example"}, message_id="h1@x")
    submit(app, to=["ghost@example.com"], **{"from": "orders@shop.example"}, message_id="h2@x")
    submit(app, message_id="h3@x")          # default sender: no webhook
    app.process_pending()
    assert app.webhooks.pending() == 2
    assert app.housekeeper.run_once()["webhooks"] == 2
    [(url, body)] = posted
    assert url == "https://hooks.shop.example/mail"
    assert [e["event"] for e in body["events"]] == ["delivered", "bounced"]
    assert body["events"][1]["code"] == 550


def test_failed_webhook_posts_are_counted(app):
    def down(url, body):
        raise OSError("connection refused")
    hooks = WebhookDispatcher(app.clock, sender=down)
    hooks.register("x.org", "http://h")
    message = app.spool.require(submit(app, **{"from": "a@x.org"}).body["id"])
    assert hooks.emit("delivered", message)
    assert hooks.flush() == 0 and hooks.failed == 1
    with pytest.raises(ValueError):
        hooks.register("x.org", "ftp://h")
    with pytest.raises(ValueError):
        hooks.emit("opened", message)


def test_routing_config():
    table = parse_routing("[default]\nrelays = smtp://a:25, smtp://b\n\n"
                          "[domain:Example.com]\nrelays = memory://p\n")
    assert table.default == ["smtp://a:25", "smtp://b"]
    assert table.lookup("mail.example.com") == ["memory://p"]
    for bad in ("[domain:x.org]\nrelays = smtp://a\n", "[default]\nrelays =\n",
                "[default]\nrelays = smtp://a\n[other]\nrelays = smtp://b\n",
                "[default]\nrelays = relay-1\n", "not ini"):
        with pytest.raises(RoutingConfigError):
            parse_routing(bad)
