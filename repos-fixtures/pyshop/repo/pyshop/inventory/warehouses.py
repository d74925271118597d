"""Bin locations in the warehouse, used to sort picking lists.

Locations look like ``A-03-2`` (aisle, rack, shelf).  SKUs without a bin are
picked last from the ``UNSORTED`` area.
"""

import re
import threading

from ..errors import ValidationError

LOCATION_RE = re.compile(r"^([A-Z])-(\d{2})-(\d)$")
UNSORTED = "Z-99-9"


def parse_location(location: str) -> tuple:
    match = LOCATION_RE.match((location or "").strip().upper())
    if not match:
        raise ValidationError(f"invalid bin location {location!r}", field="location")
    aisle, rack, shelf = match.groups()
    return aisle, int(rack), int(shelf)


class BinDirectory:
    def __init__(self):
        self._bins = {}
        self._lock = threading.Lock()

    def assign(self, sku: str, location: str) -> str:
        parse_location(location)
        with self._lock:
            self._bins[sku] = location.strip().upper()
            return self._bins[sku]

    def location(self, sku: str) -> str:
        with self._lock:
            return self._bins.get(sku, UNSORTED)

    def sort_key(self, sku: str) -> tuple:
        aisle, rack, shelf = parse_location(self.location(sku))
        # racks are walked in a snake: odd aisles front to back, even aisles back to front
        walk = rack if (ord(aisle) - ord("A")) % 2 == 0 else -rack
        return aisle, walk, shelf, sku

    def assignments(self) -> dict:
        with self._lock:
            return dict(self._bins)
