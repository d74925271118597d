"""Process-wide metrics: counters, gauges and timings.

Everything calls the module functions (incr, gauge, observe); a flusher
thread hands a snapshot to the registered sinks every
metrics_flush_seconds and resets the counters.  Tests call reset().
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_counters: dict = {}
_gauges: dict = {}
_timings: dict = {}
_sinks: list = []
_flusher = None
_flusher_stop = None
_flushes = 0


def _key(name: str, tags: dict) -> str:
    if not tags:
        return name
    return name + "{" + ",".join(f"{k}={tags[k]}" for k in sorted(tags)) + "}"


def incr(name: str, value: int = 1, **tags) -> None:
    key = _key(name, tags)
    with _lock:
        _counters[key] = _counters.get(key, 0) + value


def gauge(name: str, value: float, **tags) -> None:
    with _lock:
        _gauges[_key(name, tags)] = value


def observe(name: str, value: float, **tags) -> None:
    key = _key(name, tags)
    with _lock:
        stats = _timings.get(key)
        if stats is None:
            stats = _timings[key] = {"count": 0, "sum": 0.0, "min": None, "max": None}
        stats["count"] += 1
        stats["sum"] += value
        stats["min"] = value if stats["min"] is None else min(stats["min"], value)
        stats["max"] = value if stats["max"] is None else max(stats["max"], value)


def counter(name: str, **tags) -> int:
    with _lock:
        return _counters.get(_key(name, tags), 0)


def snapshot() -> dict:
    with _lock:
        return {
            "counters": dict(_counters),
            "gauges": dict(_gauges),
            "timings": {k: dict(v) for k, v in _timings.items()},
        }


def add_sink(sink) -> None:
    """sink(snapshot_dict) is called on every flush."""
    with _lock:
        _sinks.append(sink)


def remove_sink(sink) -> None:
    with _lock:
        if sink in _sinks:
            _sinks.remove(sink)


def flush() -> dict:
    """Hand the current values to every sink and start counting afresh
    (gauges are kept: they are levels, not counts)."""
    global _flushes
    with _lock:
        data = {
            "counters": dict(_counters),
            "gauges": dict(_gauges),
            "timings": {k: dict(v) for k, v in _timings.items()},
        }
        _counters.clear()
        _timings.clear()
        sinks = list(_sinks)
        _flushes += 1
    for sink in sinks:
        try:
            sink(data)
        except Exception:  # a broken sink must not stop the flusher
            with _lock:
                _counters["metrics.sink_errors"] = _counters.get("metrics.sink_errors", 0) + 1
    return data


def flush_count() -> int:
    with _lock:
        return _flushes


def _flush_loop(interval: float, stop: threading.Event) -> None:
    while not stop.wait(interval):
        flush()


def start_flusher(interval: float) -> None:
    global _flusher, _flusher_stop
    with _lock:
        if _flusher is not None:
            return
        _flusher_stop = threading.Event()
        _flusher = threading.Thread(target=_flush_loop, args=(interval, _flusher_stop),
                                    name="metrics-flusher", daemon=True)
        _flusher.start()


def stop_flusher(final_flush: bool = True) -> None:
    global _flusher, _flusher_stop
    with _lock:
        thread, stop = _flusher, _flusher_stop
        _flusher = _flusher_stop = None
    if thread is not None:
        stop.set()
        thread.join(timeout=5)
    if final_flush:
        flush()


def reset() -> None:
    global _flushes
    with _lock:
        _counters.clear()
        _gauges.clear()
        _timings.clear()
        _sinks.clear()
        _flushes = 0
