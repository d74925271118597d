"""Hidden tests: one recreate() for every pool, built from creation_arguments()."""

import pytest

import sqlalchemy as sa
from sqlalchemy import event, pool
from sqlalchemy.pool import base as pool_base
from sqlalchemy.pool import impl, singleton

ALL_POOLS = [pool.QueuePool, pool.NullPool, pool.SingletonThreadPool, pool.StaticPool,
             pool.AssertionPool]


class FakeConnection(object):
    def rollback(self):
        pass

    def commit(self):
        pass

    def close(self):
        pass


class FakeDialect(pool_base._ConnDialect):
    def do_ping(self, dbapi_connection):
        return True


def _configured(cls, **extra):
    return cls(FakeConnection, recycle=30, logging_name="refbench", reset_on_return="commit",
               pre_ping=True, dialect=FakeDialect(), **extra)


def test_single_connection_pools_live_in_singleton_module():
    assert pool.SingletonThreadPool is singleton.SingletonThreadPool
    assert pool.StaticPool is singleton.StaticPool
    assert pool.AssertionPool is singleton.AssertionPool
    assert pool.SingletonThreadPool.__module__ == "sqlalchemy.pool.singleton"
    assert pool.StaticPool.__module__ == "sqlalchemy.pool.singleton"
    assert pool.AssertionPool.__module__ == "sqlalchemy.pool.singleton"


def test_queue_and_null_pools_stay_in_impl_which_still_exports_all():
    assert pool.QueuePool.__module__ == "sqlalchemy.pool.impl"
    assert pool.NullPool.__module__ == "sqlalchemy.pool.impl"
    for name in ("SingletonThreadPool", "StaticPool", "AssertionPool"):
        assert getattr(impl, name) is getattr(singleton, name)


@pytest.mark.parametrize("cls", ALL_POOLS, ids=lambda c: c.__name__)
def test_recreate_is_implemented_once(cls):
    assert "recreate" not in cls.__dict__
    assert cls.recreate is pool.Pool.recreate


@pytest.mark.parametrize("cls", ALL_POOLS, ids=lambda c: c.__name__)
def test_creation_arguments_carry_the_base_settings(cls):
    p = _configured(cls)
    args = p.creation_arguments()
    assert "creator" not in args
    assert args["recycle"] == 30
    assert args["logging_name"] == "refbench"
    assert args["reset_on_return"] is pool.reset_commit
    assert args["pre_ping"] is True
    assert isinstance(args["dialect"], FakeDialect)
    assert args["_dispatch"] is p.dispatch
    assert args.get("use_threadlocal", False) is False


@pytest.mark.parametrize("cls", ALL_POOLS, ids=lambda c: c.__name__)
def test_recreate_builds_an_equivalent_pool(cls):
    p = _configured(cls)
    p2 = p.recreate()
    assert type(p2) is cls
    assert p2 is not p
    assert p2._creator is p._creator
    a1 = dict(p.creation_arguments())
    a2 = dict(p2.creation_arguments())
    a1.pop("_dispatch")
    a2.pop("_dispatch")
    assert a1 == a2
    p2.connect().close()


def test_queue_pool_arguments():
    p = pool.QueuePool(FakeConnection, pool_size=3, max_overflow=7, timeout=11, use_lifo=True)
    args = p.creation_arguments()
    assert (args["pool_size"], args["max_overflow"], args["timeout"], args["use_lifo"]) == (
        3, 7, 11, True)
    p2 = p.recreate()
    assert (p2.size(), p2._max_overflow, p2.timeout(), p2._pool.use_lifo) == (3, 7, 11, True)


def test_singleton_thread_pool_arguments():
    p = pool.SingletonThreadPool(FakeConnection, pool_size=9)
    assert p.creation_arguments()["pool_size"] == 9
    assert p.recreate().size == 9


@pytest.mark.parametrize("cls", [pool.NullPool, pool.StaticPool], ids=lambda c: c.__name__)
def test_pools_without_arguments_of_their_own(cls):
    args = cls(FakeConnection).creation_arguments()
    for key in ("pool_size", "max_overflow", "timeout", "use_lifo", "store_traceback"):
        assert key not in args


def test_assertion_pool_recreate_keeps_store_traceback():
    p = pool.AssertionPool(FakeConnection, store_traceback=False)
    assert p.creation_arguments()["store_traceback"] is False
    p2 = p.recreate()
    assert p2._store_traceback is False
    c = p2.connect()
    with pytest.raises(AssertionError) as err:
        p2.connect()
    assert "at:" not in str(err.value)
    c.close()


def test_assertion_pool_recreate_keeps_threadlocal():
    with pytest.warns(sa.exc.SADeprecationWarning):
        p = pool.AssertionPool(FakeConnection, use_threadlocal=True)
    assert p.creation_arguments()["use_threadlocal"] is True
    with pytest.warns(sa.exc.SADeprecationWarning):
        p2 = p.recreate()
    assert p2._use_threadlocal is True


def test_recreate_keeps_listeners():
    seen = []
    p = pool.QueuePool(FakeConnection, pool_size=1)
    event.listen(p, "connect", lambda conn, rec: seen.append(conn))
    p2 = p.recreate()
    p2.connect().close()
    assert len(seen) == 1


def test_custom_pool_only_extends_creation_arguments():
    class TaggedPool(pool.QueuePool):
        def __init__(self, creator, tag="none", **kw):
            pool.QueuePool.__init__(self, creator, **kw)
            self.tag = tag

        def creation_arguments(self):
            args = super(TaggedPool, self).creation_arguments()
            args["tag"] = self.tag
            return args

    p = TaggedPool(FakeConnection, tag="blue", pool_size=2, max_overflow=0)
    p2 = p.recreate()
    assert type(p2) is TaggedPool
    assert p2.tag == "blue"
    assert p2.size() == 2 and p2._max_overflow == 0


def test_engine_dispose_keeps_pool_settings(tmp_path):
    e = sa.create_engine("sqlite:///%s" % (tmp_path / "r.db"), poolclass=pool.QueuePool,
                         pool_size=3, max_overflow=1, pool_timeout=9, pool_use_lifo=True,
                         pool_pre_ping=True)
    before = dict(e.pool.creation_arguments())
    e.dispose()
    after = dict(e.pool.creation_arguments())
    before.pop("_dispatch")
    after.pop("_dispatch")
    assert before == after
    assert after["pool_size"] == 3 and after["use_lifo"] is True
    assert e.execute("select 1").scalar() == 1
    e.dispose()
