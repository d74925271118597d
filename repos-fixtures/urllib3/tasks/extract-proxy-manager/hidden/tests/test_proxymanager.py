import pytest

import urllib3
from urllib3 import poolmanager
from urllib3.exceptions import ProxySchemeUnknown
from urllib3.util import proxy as proxy_util
from urllib3.util.url import Url


def _manager(server, proxy_url="http://proxy.local:3128", **kw):
    from urllib3.proxymanager import ProxyManager

    manager = ProxyManager(proxy_url, **kw)
    manager.pool_classes_by_scheme = {"http": server.pool_class()}
    return manager


def test_proxy_manager_lives_in_its_own_module():
    from urllib3 import proxymanager

    assert proxymanager.ProxyManager is urllib3.ProxyManager
    assert proxymanager.proxy_from_url is urllib3.proxy_from_url
    assert proxymanager.ProxyManager.__module__ == "urllib3.proxymanager"
    assert issubclass(proxymanager.ProxyManager, poolmanager.PoolManager)
    assert sorted(proxymanager.__all__) == ["ProxyManager", "proxy_from_url"]


def test_old_import_paths_keep_working():
    from urllib3 import proxymanager

    assert poolmanager.ProxyManager is proxymanager.ProxyManager
    assert poolmanager.proxy_from_url is proxymanager.proxy_from_url
    assert poolmanager.ProxyConfig is proxy_util.ProxyConfig
    assert proxy_util.ProxyConfig._fields == ("ssl_context", "use_forwarding_for_https")


def test_parse_proxy_url_fills_in_the_default_port():
    assert proxy_util.parse_proxy_url("http://proxy.local") == Url(
        scheme="http", host="proxy.local", port=80
    )
    assert proxy_util.parse_proxy_url("https://proxy.local").port == 443
    assert proxy_util.parse_proxy_url("http://proxy.local:3128").port == 3128


def test_parse_proxy_url_reads_a_pool_and_refuses_other_schemes():
    pool = urllib3.HTTPConnectionPool("proxy.local", 8080)
    parsed = proxy_util.parse_proxy_url(pool)
    assert (parsed.scheme, parsed.host, parsed.port) == ("http", "proxy.local", 8080)
    with pytest.raises(ProxySchemeUnknown):
        proxy_util.parse_proxy_url("socks5://proxy.local:1080")
    with pytest.raises(ProxySchemeUnknown):
        urllib3.ProxyManager("ftp://proxy.local")


def test_tunnel_or_forward():
    proxy = proxy_util.parse_proxy_url("https://proxy.local")
    plain = proxy_util.ProxyConfig(None, False)
    forwarding = proxy_util.ProxyConfig(None, True)
    assert proxy_util.requires_absolute_form(proxy, plain, "http") is True
    assert proxy_util.requires_absolute_form(proxy, plain, "https") is False
    assert proxy_util.requires_absolute_form(proxy, forwarding, "https") is True
    assert proxy_util.requires_absolute_form(None, None, "http") is False
    # Python 3 tunnels HTTPS through HTTPS proxies: nothing to refuse.
    assert proxy_util.check_proxy_scheme_selection(proxy, plain, "https") is None
    assert proxy_util.check_proxy_scheme_selection(None, None, "https") is None


def test_forwarding_headers_default_accept_and_host():
    headers = proxy_util.proxy_forwarding_headers("http://a.example:8080/x")
    assert dict(headers) == {"Accept": "*/*", "Host": "a.example:8080"}
    assert isinstance(headers, urllib3._collections.HTTPHeaderDict)


def test_forwarding_headers_let_the_caller_override_in_any_case():
    given = {"host": "b.example", "ACCEPT": "text/html", "X-Trace": "1"}
    headers = proxy_util.proxy_forwarding_headers("http://a.example/", given)
    assert sorted(headers.items()) == [
        ("ACCEPT", "text/html"),
        ("X-Trace", "1"),
        ("host", "b.example"),
    ]
    assert given == {"host": "b.example", "ACCEPT": "text/html", "X-Trace": "1"}


def test_forwarded_request_sends_each_header_once(server):
    server.add("/page", body=b"ok", host="proxy.local")
    manager = _manager(server)
    response = manager.request("GET", "http://a.example/page", headers={"host": "b.example"})
    assert response.data == b"ok"
    host, method, url, body, headers = server.requests[-1]
    assert host == "proxy.local"
    assert url == "http://a.example/page"
    assert [name for name in headers if name.lower() == "host"] == ["host"]
    assert headers["host"] == "b.example"
    assert [name for name in headers if name.lower() == "accept"] == ["Accept"]


def test_proxy_headers_are_copied():
    given = {"Proxy-Authorization": "Basic abc"}
    manager = urllib3.ProxyManager("http://proxy.local:3128", proxy_headers=given)
    given["Proxy-Authorization"] = "Basic changed"
    given["X-Other"] = "1"
    assert manager.proxy_headers == {"Proxy-Authorization": "Basic abc"}
    pool = manager.connection_from_url("http://a.example/")
    assert pool.proxy_headers == {"Proxy-Authorization": "Basic abc"}

