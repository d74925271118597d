"""Hidden tests: scoped_session declares its Session proxies with util.create_proxy_methods."""

import pytest

import sqlalchemy as sa
from sqlalchemy import util
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import Session, scoped_session, scoping, sessionmaker
from sqlalchemy.util import langhelpers
from sqlalchemy.util.langhelpers import create_proxy_methods

Base = declarative_base()


class Note(Base):
    __tablename__ = "notes"
    id = sa.Column(sa.Integer, primary_key=True)
    text = sa.Column(sa.String(50))


class Target(object):
    """The proxied class."""

    def __init__(self):
        self.calls = []
        self.colour = "red"

    def ping(self, *args, **kw):
        """Ping the target."""
        self.calls.append((args, kw))
        return "pong"

    def mine(self):
        return "target"

    @property
    def size(self):
        """How big it is."""
        return len(self.calls)

    @classmethod
    def build(cls, n):
        """Build n."""
        return [cls() for _ in range(n)]


def _proxy_class(**kw):
    @create_proxy_methods(Target, ":class:`.Target`", ":class:`.Holder`",
                          classmethods=kw.get("classmethods", ["build"]),
                          methods=kw.get("methods", ["ping", "mine"]),
                          attributes=kw.get("attributes", ["colour", "size"]))
    class Holder(object):
        def __init__(self):
            self._proxied = Target()

        def mine(self):
            return "holder"

    return Holder


def test_exported_from_util():
    assert util.create_proxy_methods is langhelpers.create_proxy_methods


def test_methods_are_proxied_with_name_and_doc():
    Holder = _proxy_class()
    h = Holder()
    assert h.ping(1, two=2) == "pong"
    assert h._proxied.calls == [((1,), {"two": 2})]
    assert Holder.ping.__name__ == "ping"
    doc = Holder.ping.__doc__
    assert doc.startswith("Proxy for the :class:`.Target`.ping method on behalf of the "
                          ":class:`.Holder` class.")
    assert "Ping the target." in doc


def test_own_definitions_win():
    Holder = _proxy_class()
    assert Holder().mine() == "holder"


def test_attributes_read_and_write_through():
    Holder = _proxy_class()
    h = Holder()
    assert h.colour == "red"
    h.colour = "blue"
    assert h._proxied.colour == "blue"
    h.ping()
    assert h.size == 1
    assert isinstance(Holder.__dict__["size"], property)
    assert "How big it is." in Holder.size.__doc__
    assert Holder.colour.__doc__.startswith("Proxy for the :class:`.Target`.colour attribute")


def test_classmethods_call_the_target_class():
    Holder = _proxy_class()
    built = Holder.build(2)
    assert len(built) == 2 and all(isinstance(t, Target) for t in built)
    assert "Build n." in Holder.build.__doc__


def test_unknown_method_is_refused():
    with pytest.raises(AttributeError):
        _proxy_class(methods=["ping", "no_such_method"])


def test_module_level_instrumentation_is_gone():
    for name in ("instrument", "makeprop", "clslevel"):
        assert not hasattr(scoping, name), name


def test_every_public_session_method_is_proxied_with_docs():
    for name in Session.public_methods:
        proxy = scoped_session.__dict__[name]
        assert proxy.__name__ == name
        assert proxy.__doc__.startswith("Proxy for the :class:`_orm.Session`.%s method" % name)
    for name in ("bind", "dirty", "deleted", "new", "identity_map", "is_active",
                 "autoflush", "no_autoflush", "info", "autocommit"):
        assert isinstance(scoped_session.__dict__[name], property), name
    for name in ("close_all", "object_session", "identity_key"):
        assert isinstance(scoped_session.__dict__[name], classmethod), name


def test_scoped_session_round_trip():
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    DBSession = scoped_session(sessionmaker(bind=engine))
    try:
        note = Note(text="hello")
        DBSession.add(note)
        assert note in DBSession
        assert note in DBSession.new
        DBSession.commit()
        assert DBSession.query(Note).one().text == "hello"
        assert DBSession.object_session(note) is DBSession()
        assert DBSession.identity_key(Note, note.id)[1] == (note.id,)
        note.text = "changed"
        assert note in DBSession.dirty
        DBSession.rollback()
        assert note.text == "hello"
        DBSession.autoflush = False
        assert DBSession().autoflush is False
        assert DBSession.bind is engine
        assert list(DBSession) == [note]
    finally:
        DBSession.remove()


def test_scopes_stay_separate():
    scope = ["a"]
    DBSession = scoped_session(sessionmaker(), scopefunc=lambda: scope[0])
    first = DBSession()
    scope[0] = "b"
    second = DBSession()
    assert first is not second
    scope[0] = "a"
    assert DBSession() is first
    DBSession.remove()
    assert DBSession() is not first


def test_query_property_uses_the_current_session():
    engine = sa.create_engine("sqlite://")
    DBSession = scoped_session(sessionmaker(bind=engine))
    LocalBase = declarative_base()

    class Memo(LocalBase):
        __tablename__ = "memos"
        id = sa.Column(sa.Integer, primary_key=True)
        query = DBSession.query_property()

    class Unmapped(object):
        query = DBSession.query_property()

    LocalBase.metadata.create_all(engine)
    DBSession.add(Memo())
    DBSession.flush()
    assert Memo.query.count() == 1
    assert Memo.query.session is DBSession()
    assert Unmapped.query is None
    DBSession.remove()
