"""Base class mapping dataclass models to table rows."""

import dataclasses

from ..errors import NotFound
from .query import Query


class Repository:
    table_name = ""
    model = None

    def __init__(self, db):
        self.db = db
        self.table = db.table(self.table_name)
        self._fields = {f.name for f in dataclasses.fields(self.model)}

    def _load(self, row):
        if row is None:
            return None
        return self.model(**{k: v for k, v in row.items() if k in self._fields})

    def _dump(self, obj) -> dict:
        row = dataclasses.asdict(obj)
        row.pop("id", None)
        return row

    def get(self, obj_id):
        return self._load(self.table.get(obj_id))

    def require(self, obj_id):
        obj = self.get(obj_id)
        if obj is None:
            raise NotFound(f"{self.model.__name__.lower()} {obj_id} not found")
        return obj

    def add(self, obj):
        row = self.table.insert(self._dump(obj))
        return dataclasses.replace(obj, id=row["id"])

    def save(self, obj):
        self.table.update(obj.id, **self._dump(obj))
        return obj

    def update(self, obj_id, **changes):
        return self._load(self.table.update(obj_id, **changes))

    def delete(self, obj_id) -> bool:
        return self.table.delete(obj_id)

    def find(self, **where) -> list:
        return [self._load(r) for r in self.table.find(**where)]

    def find_one(self, **where):
        return self._load(self.table.find_one(**where))

    def all(self) -> list:
        return [self._load(r) for r in self.table.all()]

    def count(self, **where) -> int:
        return self.table.count(**where)

    def query(self) -> Query:
        return Query(self.table)


class Counter:
    """Named monotonically increasing counters stored in the ``counters`` table."""

    def __init__(self, db):
        self._db = db
        self._table = db.table("counters")

    def next(self, name: str) -> int:
        with self._db.lock:
            row = self._table.find_one(name=name)
            if row is None:
                self._table.insert({"name": name, "value": 1})
                return 1
            value = row["value"] + 1
            self._table.update(row["id"], value=value)
            return value
