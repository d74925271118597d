import pytest

import urllib3.poolmanager as poolmanager_module
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import URLSchemeUnknown
from urllib3.poolmanager import PoolManager, ProxyManager
from urllib3.util import PoolKey, PoolKeyFactory, normalize_pool_key
from urllib3.util.pool_key import KEY_FIELDS


def _context(**extra):
    context = {"scheme": "HTTP", "host": "Example.COM", "port": 80}
    context.update(extra)
    return context


def test_normalize_lowercases_and_freezes_mappings():
    key = normalize_pool_key(
        PoolKey,
        _context(headers={"A": "1"}, socket_options=[(1, 2, 3)], _proxy_headers={"P": "x"}),
    )
    assert isinstance(key, PoolKey)
    assert (key.key_scheme, key.key_host, key.key_port) == ("http", "example.com", 80)
    assert key.key_headers == frozenset([("A", "1")])
    assert key.key_socket_options == ((1, 2, 3),)
    assert key.key__proxy_headers == frozenset([("P", "x")])
    assert key.key_timeout is None
    hash(key)


def test_normalize_does_not_modify_the_context():
    context = _context(headers={"A": "1"})
    normalize_pool_key(PoolKey, context)
    assert context == _context(headers={"A": "1"})


def test_pool_key_fields_and_compatibility_import():
    assert PoolKey._fields == KEY_FIELDS
    assert KEY_FIELDS[:3] == ("key_scheme", "key_host", "key_port")
    assert poolmanager_module.PoolKey is PoolKey


def test_default_factory_builds_keys_for_http_and_https():
    factory = PoolKeyFactory()
    assert factory.schemes() == ["http", "https"]
    assert "HTTPS" in factory and "ftp" not in factory
    key = factory.key_for(_context())
    assert key == normalize_pool_key(PoolKey, _context())


def test_unknown_scheme_is_refused():
    with pytest.raises(URLSchemeUnknown):
        PoolKeyFactory().key_for(_context(scheme="gopher"))


def test_register_and_copy_are_independent():
    factory = PoolKeyFactory()
    factory.register("HTTP+Unix", lambda ctx: ("unix", ctx["host"]))
    assert factory.key_for(_context(scheme="http+unix")) == ("unix", "Example.COM")
    clone = factory.copy()
    clone.register("http", lambda ctx: "same")
    assert clone.key_for(_context()) == "same"
    assert factory.key_for(_context()) != "same"
    assert PoolKeyFactory({"x": len}).schemes() == ["x"]


def test_manager_uses_the_injected_factory():
    def origin_without_port(ctx):
        return (ctx["scheme"].lower(), ctx["host"].lower())

    factory = PoolKeyFactory({"http": origin_without_port})
    pm = PoolManager(key_factory=factory)
    assert pm.key_factory is factory
    a = pm.connection_from_url("http://example.com:8080/")
    b = pm.connection_from_url("http://example.com:9090/")
    assert a is b
    with pytest.raises(URLSchemeUnknown):
        pm.connection_from_url("https://example.com/")


def test_managers_do_not_share_factories():
    first, second = PoolManager(), PoolManager()
    assert first.key_factory is not second.key_factory
    first.key_factory.register("http", lambda ctx: "one-pool")
    assert second.key_factory.key_for(_context()) != "one-pool"


def test_key_fn_by_scheme_is_a_view_of_the_factory():
    pm = PoolManager()
    assert pm.key_fn_by_scheme is pm.key_factory.key_fns
    pm.key_fn_by_scheme["http"] = lambda ctx: "shared"
    assert pm.key_factory.key_for(_context()) == "shared"
    assert pm.connection_from_url("http://a.example/") is pm.connection_from_url(
        "http://b.example/"
    )


def test_pool_classes_are_configured_per_manager():
    class Custom(HTTPConnectionPool):
        pass

    original = dict(poolmanager_module.pool_classes_by_scheme)
    try:
        pm = PoolManager()
        pm.pool_classes_by_scheme["http"] = Custom
        assert type(pm.connection_from_url("http://example.com/")) is Custom
        other = PoolManager()
        assert other.pool_classes_by_scheme["http"] is HTTPConnectionPool
        assert type(other.connection_from_url("http://example.com/")) is HTTPConnectionPool
        assert poolmanager_module.pool_classes_by_scheme == original
    finally:
        poolmanager_module.pool_classes_by_scheme.clear()
        poolmanager_module.pool_classes_by_scheme.update(original)


def test_module_level_key_registry_is_gone():
    assert not hasattr(poolmanager_module, "key_fn_by_scheme")
    assert not hasattr(poolmanager_module, "_default_key_normalizer")


def test_proxy_manager_takes_a_key_factory():
    factory = PoolKeyFactory()
    proxy = ProxyManager("http://proxy.local:3128", key_factory=factory)
    assert proxy.key_factory is factory
    assert proxy.connection_from_url("http://a.example/").host == "proxy.local"
    assert "key_factory" not in proxy.connection_pool_kw
