"""In-memory table store.

Rows are plain dicts with an integer ``id``; reads return deep copies so
callers can never mutate the stored rows behind the store's back.  One
re-entrant lock per database serialises every operation; ``transaction()``
snapshots all tables and puts them back if the block raises.
"""

import copy
import threading
from contextlib import contextmanager

from ..errors import Conflict, NotFound


class Table:
    def __init__(self, db, name: str, unique=()):
        self._db = db
        self.name = name
        self.unique = tuple(unique)
        self._rows = {}
        self._next_id = 1

    # -- helpers -------------------------------------------------------
    def _check_unique(self, row: dict, skip_id=None) -> None:
        for field in self.unique:
            value = row.get(field)
            if value is None:
                continue
            for rid, existing in self._rows.items():
                if rid != skip_id and existing.get(field) == value:
                    raise Conflict(f"{self.name}.{field} {value!r} already exists", field=field)

    @staticmethod
    def _matches(row: dict, where: dict) -> bool:
        return all(row.get(k) == v for k, v in where.items())

    # -- API -------------------------------------------------------------
    def insert(self, row: dict) -> dict:
        with self._db.lock:
            row = copy.deepcopy(dict(row))
            row.pop("id", None)
            self._check_unique(row)
            row["id"] = self._next_id
            self._next_id += 1
            self._rows[row["id"]] = row
            return copy.deepcopy(row)

    def get(self, row_id) -> dict | None:
        with self._db.lock:
            row = self._rows.get(row_id)
            return copy.deepcopy(row) if row is not None else None

    def update(self, row_id, **changes) -> dict:
        with self._db.lock:
            row = self._rows.get(row_id)
            if row is None:
                raise NotFound(f"{self.name} row {row_id} not found")
            changes.pop("id", None)
            candidate = dict(row)
            candidate.update(copy.deepcopy(changes))
            self._check_unique(candidate, skip_id=row_id)
            self._rows[row_id] = candidate
            return copy.deepcopy(candidate)

    def delete(self, row_id) -> bool:
        with self._db.lock:
            return self._rows.pop(row_id, None) is not None

    def find(self, **where) -> list:
        with self._db.lock:
            return [copy.deepcopy(r) for _, r in sorted(self._rows.items()) if self._matches(r, where)]

    def find_one(self, **where) -> dict | None:
        rows = self.find(**where)
        return rows[0] if rows else None

    def all(self) -> list:
        return self.find()

    def count(self, **where) -> int:
        with self._db.lock:
            return sum(1 for r in self._rows.values() if self._matches(r, where))

    def clear(self) -> None:
        with self._db.lock:
            self._rows.clear()

    def _snapshot(self):
        return copy.deepcopy(self._rows), self._next_id

    def _restore(self, snap) -> None:
        self._rows, self._next_id = snap


class Database:
    def __init__(self):
        self.lock = threading.RLock()
        self._tables = {}

    def create_table(self, name: str, unique=()) -> Table:
        with self.lock:
            if name in self._tables:
                raise Conflict(f"table {name} already exists")
            table = Table(self, name, unique)
            self._tables[name] = table
            return table

    def has_table(self, name: str) -> bool:
        return name in self._tables

    def table(self, name: str) -> Table:
        try:
            return self._tables[name]
        except KeyError:
            raise NotFound(f"no table {name}") from None

    def table_names(self) -> list:
        return sorted(self._tables)

    @contextmanager
    def transaction(self):
        with self.lock:
            snaps = {name: t._snapshot() for name, t in self._tables.items()}
            try:
                yield self
            except BaseException:
                for name, snap in snaps.items():
                    self._tables[name]._restore(snap)
                raise
