"""Target resolution and lock patching.

Targets select (a) the files whose line events are scheduling points and
(b) the modules whose locking primitives are swapped for cooperative ones
while an exploration runs.  A target is one of

* a module object,
* a dotted module name (``"app.sessions.store"``; it is imported), or
* a path suffix (``"app/sessions/store.py"``; anything containing ``/`` or
  ending in ``.py``).  Modules already in ``sys.modules`` whose file ends
  with the suffix are patched as well.

Patching (undone when the exploration ends), in every target module and in
every module given through ``patch_modules``:

1. a module attribute bound to the ``threading`` module is replaced by a proxy
   whose ``Lock``/``RLock``/``Condition``/``Event`` build cooperative
   primitives (everything else is the real ``threading``);
2. attributes that *are* ``threading.Lock``/``RLock``/``Condition``/``Event``
   (``from threading import Lock``) are replaced by the cooperative factories;
3. unheld lock/RLock/Condition/Event *instances* stored as module globals or
   as class attributes of classes defined in the module (created at import
   time) are swapped for cooperative ones, re-created before every schedule.

Name targets by module (or import them before exploring): a module matched
only by a path suffix is patched only if it is already imported.

The ``threading`` module itself is never modified, so the scheduler and the
rest of the process keep using real locks.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import types
import _thread

from . import _locks

_REAL_LOCK_TYPE = type(_thread.allocate_lock())
_REAL_RLOCK_TYPES = tuple({type(threading.RLock()), threading._PyRLock})
_REAL_COND_TYPE = threading.Condition
_REAL_EVENT_TYPE = threading.Event


class _CoopThreading(types.ModuleType):
    """Stand-in for the ``threading`` module inside target modules."""

    Lock = staticmethod(_locks.Lock)
    RLock = staticmethod(_locks.RLock)
    Condition = staticmethod(_locks.Condition)
    Event = staticmethod(_locks.Event)

    def __init__(self):
        super().__init__("threading", "refbench_race cooperative view of threading")

    def __getattr__(self, name):
        return getattr(threading, name)


COOP_THREADING = _CoopThreading()

_FACTORY_SWAPS = {
    id(threading.Lock): _locks.Lock,
    id(_thread.allocate_lock): _locks.Lock,
    id(threading.RLock): _locks.RLock,
    id(threading.Condition): _locks.Condition,
    id(threading.Event): _locks.Event,
}


def _norm(path):
    return os.path.normcase(os.path.abspath(path)).replace("\\", "/")


def _is_suffix(target):
    return "/" in target or "\\" in target or target.endswith(".py")


class TargetSet:
    """Resolved targets: a filename matcher plus the modules to patch."""

    def __init__(self, targets, patch_modules=()):
        if isinstance(targets, (str, types.ModuleType)):
            targets = [targets]
        self.files = set()
        self.suffixes = []
        self.prefixes = []
        self.modules = {}
        for t in targets:
            if isinstance(t, types.ModuleType):
                self._add_module(t)
            elif isinstance(t, str) and os.path.isabs(t) and os.path.isdir(t):
                # A whole package: every file below it.
                self.prefixes.append(_norm(t) + "/")
            elif isinstance(t, str) and _is_suffix(t):
                suffix = t.replace("\\", "/")
                while suffix.startswith("./"):
                    suffix = suffix[2:]
                self.suffixes.append(suffix)
            elif isinstance(t, str):
                self._add_module(importlib.import_module(t))
            else:
                raise TypeError(f"unsupported target {t!r}: use a module, a module name or a path suffix")
        if not self.files and not self.suffixes and not self.prefixes:
            raise ValueError("explore() needs at least one target (module, module name or path suffix)")
        for name, mod in list(sys.modules.items()):
            fn = getattr(mod, "__file__", None)
            if fn and (self._suffix_match(_norm(fn)) or self._prefix_match(_norm(fn))):
                self.modules[name] = mod
        self.patch_modules = {}
        for m in patch_modules:
            if isinstance(m, str):
                m = importlib.import_module(m)
            self.patch_modules[m.__name__] = m
        self._cache = {}

    def _add_module(self, mod):
        fn = getattr(mod, "__file__", None)
        if not fn:
            raise ValueError(f"target module {mod.__name__} has no source file")
        if fn.endswith((".pyc", ".pyo")):
            fn = fn[:-1]
        self.files.add(_norm(fn))
        self.modules[mod.__name__] = mod

    def _suffix_match(self, normed):
        return any(normed == s or normed.endswith("/" + s) for s in self.suffixes)

    def _prefix_match(self, normed):
        return any(normed.startswith(p) for p in self.prefixes)

    def __call__(self, filename):
        hit = self._cache.get(filename)
        if hit is None:
            normed = _norm(filename) if not filename.startswith("<") else filename
            hit = normed in self.files or self._suffix_match(normed) or self._prefix_match(normed)
            self._cache[filename] = hit
        return hit

    def describe(self):
        parts = sorted(self.modules) + [s for s in self.suffixes] + self.prefixes
        return ", ".join(dict.fromkeys(parts))


def _swap_factory(value):
    """Factory of cooperative replacements for an unheld primitive instance, or None."""
    try:
        if isinstance(value, _REAL_LOCK_TYPE):
            if value.locked():
                return None
            return lambda: _locks.CoopLock(_site="module level")
        if isinstance(value, _REAL_RLOCK_TYPES):
            if value._is_owned() or not value.acquire(blocking=False):
                return None
            value.release()
            return lambda: _locks.CoopRLock(_site="module level")
        if isinstance(value, _REAL_COND_TYPE):
            return lambda: _locks.CoopCondition(_site="module level")
        if isinstance(value, _REAL_EVENT_TYPE):
            flag = value.is_set()

            def make_event():
                ev = _locks.CoopEvent(_site="module level")
                ev._flag = flag
                return ev
            return make_event
    except Exception:  # pragma: no cover - exotic objects are left alone
        return None
    return None


class Patcher:
    """Applies and reverts the swaps described in the module docstring."""

    def __init__(self, targets: TargetSet):
        mods = dict(targets.modules)
        mods.update(targets.patch_modules)
        self.modules = [m for m in mods.values() if m is not None]
        self._undo = []
        self._fresh = []   # (obj, name, factory): primitives re-created per schedule

    def _set(self, obj, name, new):
        old = obj.__dict__[name]
        setattr(obj, name, new)
        self._undo.append((obj, name, old))

    def apply(self):
        for mod in self.modules:
            if mod.__name__.startswith("refbench_race"):
                continue
            for name, value in list(vars(mod).items()):
                if value is threading:
                    self._set(mod, name, COOP_THREADING)
                    continue
                factory = _FACTORY_SWAPS.get(id(value))
                if factory is not None:
                    self._set(mod, name, factory)
                    continue
                make = _swap_factory(value)
                if make is not None:
                    self._set(mod, name, make())
                    self._fresh.append((mod, name, make))
                    continue
                if isinstance(value, type) and value.__module__ == mod.__name__:
                    for cname, cvalue in list(vars(value).items()):
                        make = _swap_factory(cvalue)
                        if make is not None:
                            self._set(value, cname, make())
                            self._fresh.append((value, cname, make))
        return self

    def refresh(self):
        """Fresh cooperative instances for swapped module/class-level primitives.

        Called before every schedule so that a lock left held by an abandoned
        schedule (deadlock, timeout) cannot leak into the next one.
        """
        for obj, name, make in self._fresh:
            setattr(obj, name, make())

    def restore(self):
        self._fresh = []
        while self._undo:
            obj, name, old = self._undo.pop()
            setattr(obj, name, old)

    def __enter__(self):
        return self.apply()

    def __exit__(self, *exc):
        self.restore()
