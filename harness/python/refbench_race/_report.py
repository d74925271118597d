"""The exploration report: what a detector process explored, told to refbench.

Active only when refbench names a report file in ``REFBENCH_RACE_REPORT`` (graded
detector runs).  Then, from the moment ``refbench_race`` is imported:

* the real ``sys.settrace`` and ``sys.gettrace`` are kept, so the explorer's
  tracing does not depend on what the code under test later does to ``sys``;
* every ``explore()`` records how many schedules it ran, what it found, how many
  scheduling points it reached in the bug's package (``REFBENCH_RACE_PACKAGE``, a
  folder or file every exploration also targets) and in the bug's file
  (``REFBENCH_RACE_FILE``), and whether its tracer was still installed at the end
  of every managed thread;
* while an exploration runs, ``sys.gettrace()`` called from the package's code
  returns ``None`` and the call is recorded (code that behaves only while traced
  is told it is not, and the question itself is evidence);
* at interpreter exit a **canary race** runs in this same process: a tiny
  lost-update compiled under a random file name inside the package, which the
  explorer must find; then the report is written (JSON).

A process that ends without running its exit handlers (``os._exit``, a kill)
writes no report, which refbench treats as a detector that did not explore.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import types

REAL_SETTRACE = sys.settrace
REAL_GETTRACE = sys.gettrace
_BUILTIN = type(len)

_path = os.environ.get("REFBENCH_RACE_REPORT")
_package = os.environ.get("REFBENCH_RACE_PACKAGE")
_file = os.environ.get("REFBENCH_RACE_FILE")
_token = os.environ.get("REFBENCH_RACE_CANARY", "0")


def _norm(path):
    return os.path.normcase(os.path.abspath(path)).replace("\\", "/")


PACKAGE = _norm(_package) if _package else None
BUG_FILE = _norm(_file) if _file else None

_state = {
    "explorations": [],
    "tracer_lost": 0,
    "gettrace_queries": [],
    "in_canary": False,
}


def active():
    return _path is not None


def in_package(normed):
    if PACKAGE is None:
        return False
    return normed == PACKAGE or normed.startswith(PACKAGE + "/")


def package_target():
    """The target every exploration adds (the bug's package), or None."""
    return PACKAGE


def tracer_lost():
    _state["tracer_lost"] += 1


def record_exploration(result, reached):
    """``reached``: scheduling points by filename."""
    if _state["in_canary"]:
        return
    in_pkg = in_file = 0
    for filename, count in reached.items():
        normed = _norm(filename) if not filename.startswith("<") else filename
        if in_package(normed):
            in_pkg += count
        if BUG_FILE is not None and normed == BUG_FILE:
            in_file += count
    _state["explorations"].append({
        "schedules": result.schedules_run,
        "found": result.failure.kind if result.failure is not None else None,
        "points_in_package": in_pkg,
        "points_in_file": in_file,
    })


class HiddenGettrace:
    """Installed as ``sys.gettrace`` while an exploration runs (see the module doc)."""

    def __init__(self, matcher):
        self.matcher = matcher

    def __call__(self):
        caller = sys._getframe(1)
        filename = caller.f_code.co_filename
        if self.matcher(filename) and not _state["in_canary"]:
            if len(_state["gettrace_queries"]) < 5:
                _state["gettrace_queries"].append(f"{filename}:{caller.f_lineno}")
            return None
        return REAL_GETTRACE()


def _sys_replaced():
    """Names of ``sys`` tracing functions that are no longer the interpreter's."""
    replaced = []
    for name, real in (("settrace", REAL_SETTRACE), ("gettrace", REAL_GETTRACE)):
        current = getattr(sys, name, None)
        if current is real or isinstance(current, HiddenGettrace):
            continue
        replaced.append(name)
    if not isinstance(REAL_SETTRACE, _BUILTIN) or getattr(REAL_SETTRACE, "__self__", None) is not sys:
        replaced.append("settrace (before refbench_race was imported)")
    return replaced


_CANARY_SOURCE = """
class Tally:
    def __init__(self):
        self.value = 0

    def bump(self):
        seen = self.value
        self.value = seen + 1
"""


def _run_canary():
    """Explore the canary race; True when the explorer found it."""
    from ._explore import explore

    if PACKAGE is None:
        return None
    where = PACKAGE if not PACKAGE.endswith(".py") else os.path.dirname(PACKAGE)
    filename = os.path.join(where, f"_rr_{_token}.py")
    module = types.ModuleType(f"_rr_{_token}")
    module.__file__ = filename
    exec(compile(_CANARY_SOURCE, filename, "exec"), module.__dict__)  # noqa: S102
    _state["in_canary"] = True
    try:
        result = explore(
            module.Tally,
            [lambda t: t.bump(), lambda t: t.bump()],
            lambda t: t.value == 2,
            [filename],
            max_schedules=50,
            timeout=5.0,
        )
    except Exception as exc:  # noqa: BLE001 - the canary's failure to run is the answer
        return f"the canary exploration raised {type(exc).__name__}: {exc}"
    finally:
        _state["in_canary"] = False
    return result.failure is not None and result.failure.kind == "violation"


def _write_report():
    canary = _run_canary()
    report = {
        "canary": _token,
        "canary_found": canary is True,
        "canary_detail": canary if isinstance(canary, str) else None,
        "explorations": _state["explorations"],
        "tracer_lost": _state["tracer_lost"],
        "gettrace_queries": _state["gettrace_queries"],
        "sys_replaced": _sys_replaced(),
    }
    with open(_path, "w", encoding="utf-8") as out:
        json.dump(report, out)


if _path is not None:
    atexit.register(_write_report)
