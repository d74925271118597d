"""Audit log of stock movements."""

import threading

_log = []
_lock = threading.Lock()


def record(event):
    with _lock:
        _log.append(event)
