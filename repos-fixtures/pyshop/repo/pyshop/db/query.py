"""Filtering and ordering helpers over lists of row dicts.

``where(rows, total__gte=100, status__in=("paid", "shipped"))``; supported
suffixes: ``__gte``, ``__gt``, ``__lte``, ``__lt``, ``__ne``, ``__in``.
"""

_OPS = {
    "gte": lambda a, b: a is not None and a >= b,
    "gt": lambda a, b: a is not None and a > b,
    "lte": lambda a, b: a is not None and a <= b,
    "lt": lambda a, b: a is not None and a < b,
    "ne": lambda a, b: a != b,
    "in": lambda a, b: a in b,
}


def _predicate(key: str, value):
    field, _, op = key.partition("__")
    if not op:
        return lambda row: row.get(field) == value
    if op not in _OPS:
        raise ValueError(f"unsupported operator {op!r}")
    fn = _OPS[op]
    return lambda row: fn(row.get(field), value)


def where(rows: list, **conditions) -> list:
    preds = [_predicate(k, v) for k, v in conditions.items()]
    return [r for r in rows if all(p(r) for p in preds)]


def order_by(rows: list, *fields) -> list:
    out = list(rows)
    for field in reversed(fields):
        desc = field.startswith("-")
        name = field.lstrip("-")
        out.sort(key=lambda r: (r.get(name) is None, r.get(name)), reverse=desc)
    return out


class Query:
    def __init__(self, table):
        self._table = table
        self._conds = {}
        self._order = ()
        self._limit = None

    def filter(self, **conditions) -> "Query":
        self._conds.update(conditions)
        return self

    def order_by(self, *fields) -> "Query":
        self._order = fields
        return self

    def limit(self, n: int) -> "Query":
        self._limit = n
        return self

    def all(self) -> list:
        rows = where(self._table.all(), **self._conds)
        if self._order:
            rows = order_by(rows, *self._order)
        return rows[: self._limit] if self._limit is not None else rows

    def first(self):
        rows = self.limit(1).all()
        return rows[0] if rows else None

    def count(self) -> int:
        return len(self.all())
