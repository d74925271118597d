import pytest

from pyshop.db.engine import Database
from pyshop.db.query import Query, order_by, where
from pyshop.db.repository import Counter
from pyshop.db.schema import TABLES, create_schema
from pyshop.errors import Conflict, NotFound


@pytest.fixture
def db():
    return create_schema(Database())


def test_insert_assigns_increasing_ids(db):
    t = db.table("carts")
    assert t.insert({"status": "open"})["id"] == 1
    assert t.insert({"status": "open", "id": 99})["id"] == 2


def test_rows_are_copies(db):
    t = db.table("orders")
    row = t.insert({"number": "SO-1", "address": {"city": "Paris"}})
    row["address"]["city"] = "Lyon"
    fetched = t.get(row["id"])
    assert fetched["address"]["city"] == "Paris"
    fetched["address"]["city"] = "Nice"
    assert t.get(row["id"])["address"]["city"] == "Paris"


def test_unique_constraint_on_insert_and_update(db):
    t = db.table("customers")
    t.insert({"email": "a@example.com"})
    other = t.insert({"email": "b@example.com"})
    with pytest.raises(Conflict):
        t.insert({"email": "a@example.com"})
    with pytest.raises(Conflict):
        t.update(other["id"], email="a@example.com")


def test_update_delete_and_missing_rows(db):
    t = db.table("carts")
    row = t.insert({"status": "open"})
    assert t.update(row["id"], status="converted")["status"] == "converted"
    assert t.count(status="converted") == 1
    assert t.delete(row["id"]) is True
    assert t.delete(row["id"]) is False
    with pytest.raises(NotFound):
        t.update(row["id"], status="open")


def test_transaction_rolls_back_every_table(db):
    carts, lines = db.table("carts"), db.table("cart_lines")
    carts.insert({"status": "open"})
    with pytest.raises(RuntimeError):
        with db.transaction():
            carts.insert({"status": "open"})
            lines.insert({"cart_id": 1, "sku": "X"})
            raise RuntimeError("boom")
    assert carts.count() == 1 and lines.count() == 0
    assert carts.insert({"status": "open"})["id"] == 2


def test_query_helpers(db):
    t = db.table("orders")
    for i, (status, total) in enumerate([("paid", 500), ("cancelled", 900), ("paid", 1500)]):
        t.insert({"number": f"SO-{i}", "status": status, "total_cents": total})
    assert [r["number"] for r in where(t.all(), status="paid", total_cents__gte=1000)] == ["SO-2"]
    assert [r["total_cents"] for r in order_by(t.all(), "-total_cents")] == [1500, 900, 500]
    assert Query(t).filter(status__in=("paid",)).order_by("-total_cents").first()["number"] == "SO-2"
    assert Query(t).filter(status__ne="paid").count() == 1
    with pytest.raises(ValueError):
        where(t.all(), total_cents__between=1)


def test_schema_and_counters(db):
    assert db.table_names() == sorted(TABLES)
    create_schema(db)  # idempotent
    counter = Counter(db)
    assert [counter.next("x"), counter.next("x"), counter.next("y")] == [1, 2, 1]
