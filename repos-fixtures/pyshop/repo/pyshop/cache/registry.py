"""Named in-process cache regions.

Services ask the application's ``CacheRegistry`` for a region by name
(``registry.region("prices")``); the region is created on first use and the
same object is handed out from then on, so every caller sees (and can
invalidate) the same entries.  Regions expire entries after ``ttl`` seconds
of the injected clock and evict the least recently used entry beyond
``max_entries``.

Both classes are used from request threads concurrently.
"""

import threading
from collections import OrderedDict

_MISSING = object()


class CacheRegion:
    def __init__(self, name: str, *, clock, ttl: float | None = None, max_entries: int = 1024):
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.name = name
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries = OrderedDict()   # key -> (expires_at or None, value)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _expired(self, expires_at) -> bool:
        return expires_at is not None and expires_at <= self._clock.now()

    def get(self, key, default=None):
        with self._lock:
            item = self._entries.get(key, _MISSING)
            if item is _MISSING or self._expired(item[0]):
                if item is not _MISSING:
                    del self._entries[key]
                self.misses += 1
                return default
            self._entries.move_to_end(key)
            self.hits += 1
            return item[1]

    def set(self, key, value, ttl: float | None = None) -> None:
        ttl = self.ttl if ttl is None else ttl
        expires_at = None if ttl is None else self._clock.now() + ttl
        with self._lock:
            self._entries[key] = (expires_at, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_set(self, key, factory):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = factory()
            self.set(key, value)
        return value

    def delete(self, key) -> bool:
        with self._lock:
            return self._entries.pop(key, _MISSING) is not _MISSING

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def keys(self) -> list:
        with self._lock:
            return [k for k, (exp, _) in self._entries.items() if not self._expired(exp)]

    def __contains__(self, key) -> bool:
        with self._lock:
            item = self._entries.get(key, _MISSING)
            return item is not _MISSING and not self._expired(item[0])

    def __len__(self) -> int:
        return len(self.keys())

    def stats(self) -> dict:
        with self._lock:
            return {"name": self.name, "entries": len(self._entries),
                    "hits": self.hits, "misses": self.misses}


class CacheRegistry:
    def __init__(self, *, clock, default_ttl: float | None = None, max_entries: int = 1024):
        self._clock = clock
        self.default_ttl = default_ttl
        self.max_entries = max_entries
        self._regions = {}
        self._lock = threading.Lock()
        self.regions_created = 0

    def _build(self, name: str, ttl, max_entries) -> CacheRegion:
        return CacheRegion(name, clock=self._clock,
                           ttl=self.default_ttl if ttl is None else ttl,
                           max_entries=max_entries or self.max_entries)

    def region(self, name: str, *, ttl: float | None = None, max_entries: int | None = None) -> CacheRegion:
        """The region called ``name``, created on first use.

        ``ttl``/``max_entries`` only apply when the region is created.
        """
        with self._lock:
            region = self._regions.get(name)
            if region is None:
                region = self._build(name, ttl, max_entries)
                self._regions[name] = region
                self.regions_created += 1
            return region

    def peek(self, name: str) -> CacheRegion | None:
        with self._lock:
            return self._regions.get(name)

    def names(self) -> list:
        with self._lock:
            return sorted(self._regions)

    def invalidate(self, name: str, key=_MISSING) -> None:
        region = self.peek(name)
        if region is None:
            return
        if key is _MISSING:
            region.clear()
        else:
            region.delete(key)

    def clear_all(self) -> None:
        with self._lock:
            regions = list(self._regions.values())
        for region in regions:
            region.clear()

    def stats(self) -> list:
        with self._lock:
            regions = list(self._regions.values())
        return [r.stats() for r in sorted(regions, key=lambda r: r.name)]
