"""A tiny in-memory table store.

The production deployment swapped this for a real database long ago through
an adapter with the same interface; the in-memory version is what the service
uses in tests and in the single-node "appliance" build.  Rows are plain dicts
and every read returns a copy, so callers never share mutable rows.
"""

from __future__ import annotations

import copy
import threading
from contextlib import contextmanager
from typing import Iterable, Optional

from .errors import IntegrityError


class Table:
    def __init__(self, name: str, unique: Iterable[str] = ()):
        self.name = name
        self._unique = tuple(unique)
        self._rows: dict[int, dict] = {}
        self._next_id = 1
        self._lock = threading.RLock()

    # -- helpers -----------------------------------------------------------
    def _check_unique(self, row: dict, ignore_id: Optional[int] = None) -> None:
        for column in self._unique:
            if column not in row:
                continue
            for other_id, other in self._rows.items():
                if other_id != ignore_id and other.get(column) == row[column]:
                    raise IntegrityError(f"{self.name}.{column} must be unique")

    @staticmethod
    def _matches(row: dict, criteria: dict) -> bool:
        return all(row.get(k) == v for k, v in criteria.items())

    @contextmanager
    def locked(self):
        """Hold the table lock across several operations (read-check-write)."""
        with self._lock:
            yield self

    # -- CRUD --------------------------------------------------------------
    def insert(self, row: dict) -> int:
        with self._lock:
            row = dict(row)
            self._check_unique(row)
            row_id = self._next_id
            self._next_id += 1
            row["id"] = row_id
            self._rows[row_id] = row
            return row_id

    def get(self, row_id: int) -> Optional[dict]:
        with self._lock:
            row = self._rows.get(row_id)
            return copy.deepcopy(row) if row is not None else None

    def update(self, row_id: int, **changes) -> dict:
        with self._lock:
            if row_id not in self._rows:
                raise KeyError(f"{self.name} has no row {row_id}")
            merged = dict(self._rows[row_id])
            merged.update(changes)
            merged["id"] = row_id
            self._check_unique(merged, ignore_id=row_id)
            self._rows[row_id] = merged
            return copy.deepcopy(merged)

    def delete(self, row_id: int) -> bool:
        with self._lock:
            return self._rows.pop(row_id, None) is not None

    def find(self, **criteria) -> list:
        with self._lock:
            return [copy.deepcopy(r) for r in self._rows.values() if self._matches(r, criteria)]

    def find_one(self, **criteria) -> Optional[dict]:
        rows = self.find(**criteria)
        return rows[0] if rows else None

    def all(self) -> list:
        return self.find()

    def count(self, **criteria) -> int:
        return len(self.find(**criteria))


class Database:
    def __init__(self):
        self._tables: dict[str, Table] = {}
        self._lock = threading.Lock()

    def create_table(self, name: str, unique: Iterable[str] = ()) -> Table:
        with self._lock:
            if name in self._tables:
                return self._tables[name]
            table = Table(name, unique)
            self._tables[name] = table
            return table

    def table(self, name: str) -> Table:
        try:
            return self._tables[name]
        except KeyError:
            raise KeyError(f"no table named {name!r}; did you call create_schema()?") from None

    def table_names(self) -> list:
        return sorted(self._tables)


def create_schema(db: Database) -> Database:
    db.create_table("users", unique=("email",))
    db.create_table("api_tokens", unique=("digest",))
    db.create_table("reset_tickets", unique=("digest",))
    db.create_table("audit_log")
    return db
