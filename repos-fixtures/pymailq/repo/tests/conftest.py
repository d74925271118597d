import json

import pytest

from mailq import metrics
from mailq.api.http import Request
from mailq.app import Application
from mailq.clock import FakeClock
from mailq.mx import RoutingTable
from mailq.settings import Settings
from mailq.transports.memory import MemoryRelay, MemoryTransport
from mailq.transports.registry import reset_default_registry

ADMIN = {"X-Admin-Token": "s3cret", "X-Operator": "ops@example.com"}


@pytest.fixture(autouse=True)
def _fresh_metrics():
    # Metrics are process-wide: every test starts from zero.
    metrics.reset()
    reset_default_registry()
    yield
    metrics.stop_flusher(final_flush=False)
    metrics.reset()


@pytest.fixture
def clock():
    return FakeClock(1_700_000_000.0)


@pytest.fixture
def relay():
    return MemoryRelay()


@pytest.fixture
def settings():
    return Settings(admin_token="s3cret", hostname="postroom.test", queue_capacity=50,
                    retry_base_seconds=60.0, retry_max_seconds=600.0, retry_max_attempts=3,
                    domain_rate_per_minute=100, default_sender="no-reply@postroom.test")


@pytest.fixture
def app(settings, clock, relay):
    def factory(url):
        from urllib.parse import urlsplit
        return MemoryTransport(urlsplit(url).hostname or "relay", relay=relay)

    routing = RoutingTable(default=["memory://relay-a"],
                           routes={"slow.example": ["memory://relay-b", "memory://relay-c"]})
    return Application(settings, clock, routing=routing, transport_factory=factory)


def call(app, method, path, body=None, headers=None, query=""):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    elif isinstance(body, str):
        body = body.encode()
    return app.handle(Request(method, path, body or b"", dict(headers or {}), query))


def submit(app, **fields):
    payload = {"to": ["alice@example.com"], "subject": "Hello", "body": "Hi there"}
    payload.update(fields)
    return call(app, "POST", "/messages", payload)
