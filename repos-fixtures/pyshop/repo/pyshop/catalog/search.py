"""Naive token index over product names and descriptions."""

import threading
from collections import defaultdict

from ..util.text import tokens


class SearchIndex:
    def __init__(self):
        self._postings = defaultdict(set)
        self._docs = {}
        self._lock = threading.Lock()

    def index(self, product) -> None:
        words = set(tokens(product.name)) | set(tokens(product.description))
        with self._lock:
            self._remove_locked(product.id)
            self._docs[product.id] = words
            for w in words:
                self._postings[w].add(product.id)

    def remove(self, product_id: int) -> None:
        with self._lock:
            self._remove_locked(product_id)

    def _remove_locked(self, product_id: int) -> None:
        for w in self._docs.pop(product_id, ()):
            self._postings[w].discard(product_id)

    def search(self, query: str) -> list:
        words = tokens(query)
        if not words:
            return []
        with self._lock:
            hits = None
            for w in words:
                ids = set()
                for key, posting in self._postings.items():
                    if key.startswith(w):
                        ids |= posting
                hits = ids if hits is None else hits & ids
            return sorted(hits or ())
