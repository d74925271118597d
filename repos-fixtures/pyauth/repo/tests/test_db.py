import pytest

from pyauth.db import Database, create_schema
from pyauth.errors import IntegrityError


@pytest.fixture
def table():
    return Database().create_table("things", unique=("name",))


def test_insert_assigns_increasing_ids(table):
    assert table.insert({"name": "a"}) == 1
    assert table.insert({"name": "b"}) == 2
    assert table.get(2)["name"] == "b"


def test_rows_are_copies(table):
    row_id = table.insert({"name": "a", "tags": ["x"]})
    row = table.get(row_id)
    row["tags"].append("y")
    assert table.get(row_id)["tags"] == ["x"]


def test_unique_constraint(table):
    table.insert({"name": "a"})
    with pytest.raises(IntegrityError):
        table.insert({"name": "a"})
    other = table.insert({"name": "b"})
    with pytest.raises(IntegrityError):
        table.update(other, name="a")


def test_find_update_delete(table):
    a = table.insert({"name": "a", "kind": 1})
    table.insert({"name": "b", "kind": 2})
    table.insert({"name": "c", "kind": 1})
    assert [r["name"] for r in table.find(kind=1)] == ["a", "c"]
    table.update(a, kind=2)
    assert table.count(kind=2) == 2
    assert table.delete(a) is True
    assert table.delete(a) is False
    assert table.find_one(name="a") is None


def test_schema_tables():
    db = create_schema(Database())
    assert db.table_names() == ["api_tokens", "audit_log", "reset_tickets", "users"]
    with pytest.raises(KeyError):
        db.table("nope")
