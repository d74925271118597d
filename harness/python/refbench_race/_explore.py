"""Public entry points: explore(), replay(), assert_no_race()."""

from __future__ import annotations

import linecache
import os
import sys
import time
import traceback
from dataclasses import dataclass, field

from . import _report
from ._core import Outcome, ScheduleRun, WorkerPool
from ._patch import Patcher, TargetSet
from ._strategies import encode, make_strategy

VIOLATION = "violation"
DEADLOCK = Outcome.DEADLOCK
TIMEOUT = Outcome.TIMEOUT
STEP_LIMIT = Outcome.STEP_LIMIT
EXCEPTION = "exception"


def _short_path(path):
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


@dataclass
class Failure:
    """One failing schedule, with everything needed to understand and replay it."""

    kind: str                      # violation | deadlock | exception | timeout | step-limit
    message: str
    thread_names: list
    trace: list                    # [(thread index, filename, lineno), ...]
    schedule: str                  # decision string for replay()
    schedule_index: int            # 1-based number of the schedule in the exploration
    strategy: str
    seed: int
    targets: str = ""

    def interleaving(self, limit=160):
        """Human-readable interleaving: one line per step, switches marked."""
        rows = []
        prev = None
        for tid, fn, ln in self.trace:
            if prev is not None and tid != prev:
                rows.append("      -- switch --")
            src = linecache.getline(fn, ln).strip()
            if len(src) > 70:
                src = src[:67] + "..."
            rows.append(f"  {self.thread_names[tid]:<14} {_short_path(fn)}:{ln:<5} {src}")
            prev = tid
        if len(rows) > limit:
            head = limit // 3
            tail = limit - head
            rows = rows[:head] + [f"      ... {len(rows) - limit} steps omitted ..."] + rows[-tail:]
        return "\n".join(rows)

    def steps(self):
        """Compact sequence ``T0@file.py:12 T1@file.py:12 ...`` (consecutive repeats merged)."""
        out = []
        for tid, fn, ln in self.trace:
            item = f"{self.thread_names[tid]}@{os.path.basename(fn)}:{ln}"
            if not out or out[-1] != item:
                out.append(item)
        return out

    def format(self):
        head = {
            VIOLATION: "invariant violated",
            DEADLOCK: "DEADLOCK: every live thread is blocked",
            EXCEPTION: "a thread raised an exception",
            TIMEOUT: "TIMEOUT (hang)",
            STEP_LIMIT: "step limit exceeded",
        }.get(self.kind, self.kind)
        lines = [
            f"refbench_race: {head} in schedule #{self.schedule_index} "
            f"({self.strategy}, seed={self.seed})",
            f"targets: {self.targets}",
            "threads: " + ", ".join(f"{i}={n}" for i, n in enumerate(self.thread_names)),
            "",
            self.message.rstrip(),
            "",
            "interleaving (thread, file:line, source of each executed target line, in order):",
            self.interleaving(),
            "",
            f"schedule={self.schedule!r}",
            "replay: refbench_race.replay(setup, threads, check, targets, "
            f"schedule={self.schedule!r})",
        ]
        return "\n".join(lines)

    __str__ = format


@dataclass
class ExplorationResult:
    ok: bool
    schedules_run: int
    exhausted: bool
    strategy: str
    seed: int
    elapsed: float
    failures: list = field(default_factory=list)
    schedules: list = field(default_factory=list)   # decision strings, in order

    @property
    def failure(self):
        return self.failures[0] if self.failures else None

    def raise_if_failed(self):
        if not self.ok:
            raise AssertionError(self.failure.format())
        return self

    def summary(self):
        status = "OK" if self.ok else f"FAILED ({self.failure.kind})"
        ex = ", search exhausted" if self.exhausted else ""
        return (f"refbench_race: {status} after {self.schedules_run} schedule(s)"
                f"{ex} [{self.strategy}, seed={self.seed}, {self.elapsed:.2f}s]")


def _normalise_threads(threads):
    fns, names = [], []
    for i, t in enumerate(threads):
        if isinstance(t, tuple):
            name, fn = t
        else:
            fn = t
            name = f"T{i}:{getattr(fn, '__name__', 'thread')}"
        if not callable(fn):
            raise TypeError(f"thread {i} is not callable: {fn!r}")
        fns.append(fn)
        names.append(str(name))
    if not fns:
        raise ValueError("explore() needs at least one thread")
    return fns, names


def _run_check(check, state):
    """None if the invariant holds, else a message."""
    if check is None:
        return None
    try:
        verdict = check(state)
    except AssertionError as exc:
        text = str(exc) or "assertion failed"
        return f"check failed: AssertionError: {text}"
    except Exception:  # noqa: BLE001
        return "check raised:\n" + traceback.format_exc()
    if verdict is False:
        return "check returned False"
    return None


def explore(setup, threads, check=None, targets=(), *, max_schedules=500, seed=0,
            strategy="exhaustive", preemption_bound=2, pct_depth=3, timeout=5.0,
            max_steps=20000, granularity="line", patch_modules=(), stop_on_first=True,
            schedule=None):
    """Run ``threads`` under many controlled interleavings and check an invariant.

    setup()        -> state; called afresh before every schedule (None: state is None).
    threads        list of callables ``fn(state)`` or ``(name, fn)`` pairs.
    check(state)   after all threads finished; raise AssertionError or return
                   False on a violation (None: only deadlocks/exceptions count).
    targets        modules, module names or path suffixes whose lines are
                   scheduling points and whose locks become cooperative.
    strategy       "exhaustive" (preemption-bounded, breadth-first by preemption
                   count), "random" or "pct"; seeded and deterministic.
    timeout        seconds per schedule before it is reported as a hang.
    schedule       replay exactly this decision string (see ``replay``).
    """
    if granularity not in ("line", "opcode"):
        raise ValueError("granularity must be 'line' or 'opcode'")
    fns, names = _normalise_threads(threads)
    if isinstance(targets, (str, type(os))):
        targets = [targets]
    targets = list(targets)
    package = _report.package_target()
    if package is not None and not _report._state["in_canary"]:
        # Graded runs: the bug's whole package is a target, not only the modules named.
        targets.append(package)
    tset = TargetSet(targets, patch_modules)
    strat = make_strategy(strategy, seed, preemption_bound=preemption_bound,
                          pct_depth=pct_depth, schedule=schedule)
    label = strat.describe()
    failures, schedules = [], []
    start = time.monotonic()
    runs = 0
    patcher = Patcher(tset).apply()
    pool = None
    reached = {}   # filename -> scheduling points reached there
    hidden = None
    if _report.active():
        hidden = _report.HiddenGettrace(tset)
        sys.gettrace = hidden
    try:
        # One OS thread per managed thread, reused by every schedule.
        pool = WorkerPool(len(fns))
        limit = 1 if schedule is not None else max_schedules
        while runs < limit:
            chooser = strat.next_chooser(len(fns))
            if chooser is None:
                break
            patcher.refresh()
            state = setup() if setup is not None else None
            run = ScheduleRun(names, chooser, tset, max_steps=max_steps,
                              timeout=timeout, granularity=granularity)
            run.execute(fns, state, pool)
            runs += 1
            if run.tracer_lost:
                _report.tracer_lost()
            for _, filename, _ in run.trace:
                reached[filename] = reached.get(filename, 0) + 1
            strat.feedback(run, chooser)
            decisions = encode(run.decisions)
            schedules.append(decisions)
            failure = _classify(run, check, state, names, decisions, runs, label, seed, tset)
            if failure is not None:
                failures.append(failure)
                if stop_on_first:
                    break
    finally:
        if pool is not None:
            pool.shutdown()
        patcher.restore()
        if hidden is not None and sys.gettrace is hidden:
            sys.gettrace = _report.REAL_GETTRACE
    result = ExplorationResult(
        ok=not failures, schedules_run=runs, exhausted=strat.exhausted,
        strategy=label, seed=seed, elapsed=time.monotonic() - start,
        failures=failures, schedules=schedules,
    )
    if _report.active():
        _report.record_exploration(result, reached)
    return result


def _classify(run, check, state, names, decisions, index, label, seed, tset):
    def make(kind, message):
        return Failure(kind=kind, message=message, thread_names=names, trace=list(run.trace),
                       schedule=decisions, schedule_index=index, strategy=label, seed=seed,
                       targets=tset.describe())

    if run.outcome != Outcome.OK:
        return make(run.outcome, run.outcome_detail)
    if run.errors:
        msg = "\n".join(f"{names[t]} raised:\n{tb}" for t, tb in sorted(run.errors.items()))
        return make(EXCEPTION, msg)
    problem = _run_check(check, state)
    if problem is not None:
        return make(VIOLATION, problem)
    return None


def replay(setup, threads, check=None, targets=(), schedule="", **kwargs):
    """Re-run one schedule (the ``schedule=`` string printed in a failure)."""
    kwargs.pop("max_schedules", None)
    return explore(setup, threads, check, targets, schedule=schedule, **kwargs)


def assert_no_race(setup, threads, check=None, targets=(), **kwargs):
    """``explore`` and raise AssertionError with the failing interleaving, if any."""
    result = explore(setup, threads, check, targets, **kwargs)
    return result.raise_if_failed()
