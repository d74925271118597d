import base64
import json

import pytest

from pyauth import sessions as sessions_module
from pyauth.app import Application
from pyauth.clock import FakeClock
from pyauth.http import Request
from pyauth.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _isolate_session_registry():
    # Sessions are kept in a process-wide registry and user ids restart at 1
    # in every test's database, so start every test with an empty registry.
    registry = getattr(sessions_module, "_REGISTRY", None)
    if registry is not None:
        registry.clear()
    yield


@pytest.fixture
def clock():
    return FakeClock(1_700_000_000.0)


@pytest.fixture
def settings():
    # Cheap hashing and a small lockout so the suite stays fast.
    return Settings(pbkdf2_iterations=1_000, login_max_attempts=3, login_lockout_seconds=600,
                    secure_cookies=False, session_ttl_seconds=3600)


@pytest.fixture
def app(settings, clock):
    return Application(settings=settings, clock=clock)


def request(method, path, body=None, cookie=None, headers=None, remote_addr="10.0.0.1"):
    hdrs = dict(headers or {})
    if cookie:
        hdrs["Cookie"] = f"sid={cookie}"
    payload = json.dumps(body) if isinstance(body, dict) else body
    return Request(method, path, headers=hdrs, body=payload, remote_addr=remote_addr)


def login(app, email, password=PASSWORD, remote_addr="10.0.0.1"):
    return app.handle(request("POST", "/login", {"email": email, "password": password},
                              remote_addr=remote_addr))


def session_of(app, email, password=PASSWORD):
    resp = login(app, email, password)
    assert resp.status == 200, resp.body
    return resp.cookie("sid")


def basic(email, password):
    token = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def alice(app):
    return app.register_user("alice@example.com", PASSWORD, "Alice")


@pytest.fixture
def admin(app):
    return app.register_user("root@example.com", PASSWORD, "Root", roles=("admin",))
