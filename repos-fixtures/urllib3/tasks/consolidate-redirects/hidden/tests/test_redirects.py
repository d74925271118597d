import pytest

from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.poolmanager import PoolManager
from urllib3.response import HTTPResponse
from urllib3.util import REDIRECT_STATUSES, Redirect, resolve_redirect
from urllib3.util.retry import Retry


def _moved(status=302, location="/next", **headers):
    if location is not None:
        headers["Location"] = location
    return HTTPResponse(body=b"moved", status=status, headers=headers, preload_content=False)


def test_not_a_redirect_gives_none():
    assert resolve_redirect(HTTPResponse(body=b"", status=200), "GET", "/x") is None
    assert resolve_redirect(_moved(location=None), "GET", "/x") is None


def test_relative_location_is_resolved_against_the_request_url():
    follow = resolve_redirect(
        _moved(301, "../c"), "GET", "http://example.com/a/b", retries=Retry(redirect=3)
    )
    assert isinstance(follow, Redirect)
    assert follow.method == "GET"
    assert follow.url == "http://example.com/c"
    assert follow.retries.redirect == 2
    assert follow.retries.history[-1].redirect_location == "../c"


def test_see_other_switches_to_get_and_drops_body_and_content_headers():
    follow = resolve_redirect(
        _moved(303, "/done"),
        "POST",
        "/form",
        body=b"a=1",
        headers={"Content-Type": "text/plain", "Content-Length": "3", "Accept": "*/*"},
        retries=Retry(redirect=2),
    )
    assert (follow.method, follow.url, follow.body) == ("GET", "/done", None)
    assert dict(follow.headers) == {"Accept": "*/*"}


def test_temporary_redirect_keeps_method_and_body():
    follow = resolve_redirect(
        _moved(307, "/again"), "PUT", "/put", body=b"data", headers={"X": "1"}
    )
    assert (follow.method, follow.url, follow.body) == ("PUT", "/again", b"data")
    assert follow.headers["X"] == "1"


def test_cross_host_redirect_strips_unsafe_headers_without_touching_the_callers():
    pool = HTTPConnectionPool("example.com", 80)
    headers = {"Authorization": "token", "Cookie": "c=1", "Accept": "a"}
    follow = resolve_redirect(
        _moved(302, "http://other.example/x"),
        "GET",
        "http://example.com/start",
        headers=headers,
        retries=Retry(redirect=2),
        pool=pool,
    )
    assert follow.url == "http://other.example/x"
    assert dict(follow.headers) == {"Accept": "a"}
    assert headers == {"Authorization": "token", "Cookie": "c=1", "Accept": "a"}


def test_same_host_redirect_keeps_credentials():
    pool = HTTPConnectionPool("example.com", 80)
    follow = resolve_redirect(
        _moved(302, "/elsewhere"),
        "GET",
        "/start",
        headers={"Authorization": "token"},
        pool=pool,
    )
    assert follow.headers["Authorization"] == "token"


def test_spent_redirect_budget_raises_or_gives_up():
    with pytest.raises(MaxRetryError):
        resolve_redirect(_moved(), "GET", "/", retries=Retry(total=None, redirect=0))
    no_raise = Retry(total=None, redirect=0, raise_on_redirect=False)
    assert resolve_redirect(_moved(), "GET", "/", retries=no_raise) is None


def test_redirect_statuses_are_shared_with_responses():
    assert REDIRECT_STATUSES == frozenset([301, 302, 303, 307, 308])
    assert set(HTTPResponse.REDIRECT_STATUSES) == set(REDIRECT_STATUSES)
    assert HTTPResponse(status=308, headers={"Location": "/p"}).get_redirect_location() == "/p"


def test_pool_strips_credentials_when_following_to_another_host(server, pool):
    server.add("/start", status=302, headers={"Location": "http://other.example/land"})
    server.add("/land", body=b"landed")
    response = pool.urlopen(
        "GET",
        "/start",
        headers={"Authorization": "secret", "X-Trace": "1"},
        assert_same_host=False,
        retries=Retry(redirect=2),
    )
    assert response.data == b"landed"
    _, _, url, _, headers = server.requests[-1]
    assert url == "http://other.example/land"
    assert "Authorization" not in headers
    assert headers["X-Trace"] == "1"


def test_pool_resolves_relative_locations(server, pool):
    server.add("/a/b", status=301, headers={"Location": "c"})
    server.add("/a/c", body=b"sibling")
    response = pool.urlopen("GET", "/a/b", retries=Retry(redirect=2))
    assert response.data == b"sibling"
    assert server.requests[-1][2] == "/a/c"


@pytest.fixture
def manager(server):
    pm = PoolManager()
    pm.pool_classes_by_scheme = {"http": server.pool_class()}
    yield pm
    pm.clear()


def test_manager_honours_retry_after_on_redirects(server, manager, monkeypatch):
    import urllib3.util.retry as retry_module

    slept = []
    monkeypatch.setattr(retry_module.time, "sleep", slept.append)
    server.add("/busy", status=302, headers={"Location": "/free", "Retry-After": "3"})
    server.add("/free", body=b"free")
    response = manager.request("GET", "http://example.com/busy")
    assert response.data == b"free"
    assert slept == [3]


def test_manager_leaves_the_callers_headers_alone(server, manager):
    server.add("/start", status=302, headers={"Location": "http://other.example/land"})
    server.add("/land", body=b"landed", host="other.example")
    headers = {"Authorization": "secret", "Accept": "*/*"}
    response = manager.request("GET", "http://example.com/start", headers=headers)
    assert response.data == b"landed"
    assert headers == {"Authorization": "secret", "Accept": "*/*"}
    assert "Authorization" not in server.requests[-1][4]


def test_manager_see_other_after_post(server, manager):
    server.add("/form", status=303, headers={"Location": "/result"})
    server.add("/result", body=b"ok")
    response = manager.request(
        "POST",
        "http://example.com/form",
        body=b"x=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.data == b"ok"
    _, method, url, body, headers = server.requests[-1]
    assert (method, url, body) == ("GET", "/result", None)
    assert "Content-Type" not in headers
