"""Hidden tests: create_engine() / create_mock_engine() as plain functions, no strategy registry."""

import pytest

import sqlalchemy as sa
from sqlalchemy import exc, pool
from sqlalchemy.dialects import plugins
from sqlalchemy.engine import create, mock, strategies
from sqlalchemy.engine import base as engine_base
from sqlalchemy.engine.interfaces import CreateEnginePlugin
from sqlalchemy.engine.threadlocal import TLEngine


def _table():
    md = sa.MetaData()
    sa.Table("widgets", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(20)))
    return md


def test_public_names_are_the_create_module_functions():
    assert sa.create_engine is create.create_engine
    assert sa.engine.create_engine is create.create_engine
    assert sa.engine_from_config is create.engine_from_config
    assert sa.engine.engine_from_config is create.engine_from_config
    assert sa.create_mock_engine is mock.create_mock_engine
    assert sa.engine.create_mock_engine is mock.create_mock_engine


def test_plain_engine_is_the_default():
    e = create.create_engine("sqlite://")
    assert type(e) is engine_base.Engine
    assert e.execute("select 7").scalar() == 7
    e2 = create.create_engine("sqlite://", strategy="plain")
    assert type(e2) is engine_base.Engine


def test_threadlocal_strategy_builds_a_tlengine():
    with pytest.warns(exc.SADeprecationWarning):
        e = create.create_engine("sqlite://", strategy="threadlocal")
    assert isinstance(e, TLEngine)
    assert e.execute("select 1").scalar() == 1


def test_unknown_strategy_is_an_argument_error():
    with pytest.raises(exc.ArgumentError) as err:
        create.create_engine("sqlite://", strategy="sharded")
    assert "sharded" in str(err.value)


def test_create_mock_engine_sends_ddl_to_the_executor():
    out = []
    m = mock.create_mock_engine("sqlite://", lambda sql, *mp, **p: out.append(sql))
    assert isinstance(m, mock.MockConnection)
    assert m.dialect.name == "sqlite"
    assert m.name == "sqlite"
    assert m.engine is m and m.connect() is m
    _table().create_all(m)
    ddl = [str(stmt.compile(dialect=m.dialect)) for stmt in out]
    assert len(ddl) == 1 and "CREATE TABLE widgets" in ddl[0]


def test_mock_strategy_goes_through_create_mock_engine():
    out = []
    m = create.create_engine("sqlite://", strategy="mock", executor=lambda sql, *a, **k: out.append(sql))
    assert isinstance(m, mock.MockConnection)
    _table().drop_all(m)
    assert "DROP TABLE widgets" in str(out[0].compile(dialect=m.dialect))


def test_create_mock_engine_passes_dialect_arguments():
    m = mock.create_mock_engine("sqlite://", lambda *a, **k: None, paramstyle="named")
    assert m.dialect.paramstyle == "named"


def test_create_mock_engine_rejects_other_arguments():
    with pytest.raises(TypeError) as err:
        mock.create_mock_engine("sqlite://", lambda *a, **k: None, pool_size=3)
    assert "pool_size" in str(err.value)


def test_strategies_module_keeps_only_the_mock_connection_alias():
    assert strategies.MockEngineStrategy.MockConnection is mock.MockConnection
    for gone in ("strategies", "EngineStrategy", "DefaultEngineStrategy",
                 "PlainEngineStrategy", "ThreadLocalEngineStrategy"):
        assert not hasattr(strategies, gone), gone


def test_pool_arguments_are_translated(tmp_path):
    e = create.create_engine(
        "sqlite:///%s" % (tmp_path / "p.db"), poolclass=pool.QueuePool,
        pool_size=2, max_overflow=3, pool_timeout=4, pool_recycle=5, pool_use_lifo=True,
        pool_logging_name="refbench", pool_reset_on_return="commit",
    )
    p = e.pool
    assert (p.size(), p._max_overflow, p._timeout, p._recycle) == (2, 3, 4, 5)
    assert p._pool.use_lifo is True
    assert p._orig_logging_name == "refbench"
    assert p._reset_on_return is pool.reset_commit
    assert e.execute("select 1").scalar() == 1
    e.dispose()


def test_existing_pool_is_used_as_is():
    import sqlite3
    p = pool.StaticPool(lambda: sqlite3.connect(":memory:"))
    e = create.create_engine("sqlite://", pool=p)
    assert e.pool is p
    assert e.execute("select 2").scalar() == 2


def test_leftover_arguments_are_a_type_error_naming_them():
    with pytest.raises(TypeError) as err:
        create.create_engine("sqlite://", pool_sise=3)
    assert "pool_sise" in str(err.value)


def test_engine_from_config_coerces_strings(tmp_path):
    e = create.engine_from_config({
        "sqlalchemy.url": "sqlite:///%s" % (tmp_path / "c.db"),
        "sqlalchemy.echo": "false",
        "sqlalchemy.pool_recycle": "50",
        "other.key": "ignored",
    })
    assert e.echo is False
    assert e.pool._recycle == 50
    assert e.execute("select 3").scalar() == 3
    e.dispose()


class _RecordingPlugin(CreateEnginePlugin):
    calls = []

    def __init__(self, url, kwargs):
        self.tag = kwargs.pop("refbench_tag", None)

    def handle_dialect_kwargs(self, dialect_cls, dialect_args):
        self.calls.append(("dialect", dialect_cls.name))

    def handle_pool_kwargs(self, pool_cls, pool_args):
        self.calls.append(("pool", pool_cls.__name__))

    def engine_created(self, engine):
        self.calls.append(("engine", self.tag))


def test_plugins_see_dialect_pool_and_engine():
    plugins.register("refbench_recording", __name__, "_RecordingPlugin")
    _RecordingPlugin.calls[:] = []
    e = create.create_engine("sqlite://", plugins=["refbench_recording"], refbench_tag="t1")
    assert _RecordingPlugin.calls == [("dialect", "sqlite"), ("pool", "SingletonThreadPool"),
                                      ("engine", "t1")]
    assert e.execute("select 1").scalar() == 1


def test_first_connect_initializes_the_dialect_once(tmp_path):
    e = create.create_engine("sqlite:///%s" % (tmp_path / "f.db"), poolclass=pool.QueuePool)
    calls = []
    initialize = e.dialect.initialize

    def counting_initialize(connection):
        calls.append(connection)
        return initialize(connection)

    e.dialect.initialize = counting_initialize
    for _ in range(3):
        with e.connect() as conn:
            assert conn.execute("select 1").scalar() == 1
    e.dispose()
    with e.connect() as conn:
        conn.execute("select 1")
    assert len(calls) == 1
    assert e.dialect.server_version_info is not None
    e.dispose()
