"""Human readable order numbers: ``SO-<year>-<sequence>``."""

from ..db.repository import Counter
from ..util.dates import year_of


class OrderNumberer:
    def __init__(self, db, clock, prefix: str = "SO"):
        self._counter = Counter(db)
        self._clock = clock
        self.prefix = prefix

    def next(self) -> str:
        year = year_of(self._clock.now())
        seq = self._counter.next(f"orders-{year}")
        return f"{self.prefix}-{year}-{seq:06d}"
