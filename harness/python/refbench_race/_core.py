"""One controlled execution ("schedule") of a set of threads.

Every thread under test is a real OS thread, but only the thread named by
``ScheduleRun.current`` is allowed to execute code under test.  Control is
handed over only at *scheduling points*:

* a line (or opcode) event in a target file, seen by the trace hook;
* a cooperative lock / condition operation that would block;
* a thread finishing.

At each scheduling point the run asks its *chooser* (see ``_strategies``)
which enabled thread continues.  Because the choice sequence fully determines
the interleaving, a run can be replayed from the recorded decisions.

The OS threads are pooled (``WorkerPool``): one exploration starts one worker
per managed thread and reuses it for every schedule.  Starting, handshaking
with and joining fresh threads for every schedule used to cost about as many
OS-level wake-ups as the schedule itself, which made the wall-clock time of a
long exploration balloon on a loaded machine.  Per schedule the only
wake-ups left are the ones the interleaving needs: exploring thread -> first
thread, every switch, last thread -> exploring thread.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
import _thread

from . import _report

# Thread states.
RUNNABLE = "runnable"
BLOCKED = "blocked"
DONE = "done"

# Per OS-thread context: (ScheduleRun, thread index) for managed threads.
_tls = threading.local()


class _Abort(BaseException):
    """Raised inside managed threads to unwind them when a run is abandoned.

    Derives from BaseException so that ``except Exception`` in code under
    test does not swallow it.
    """


def current_context():
    """Return ``(run, tid)`` when called from a managed thread, else ``None``."""
    ctx = getattr(_tls, "ctx", None)
    if ctx is None:
        return None
    run = ctx[0]
    if run.finished:
        return None
    return ctx


class Outcome:
    OK = "ok"
    DEADLOCK = "deadlock"
    TIMEOUT = "timeout"
    STEP_LIMIT = "step-limit"


class ScheduleRun:
    """State of one schedule: thread states, who runs, the trace."""

    def __init__(self, names, chooser, matcher, *, max_steps, timeout, granularity):
        self.names = list(names)
        self.n = len(self.names)
        self.chooser = chooser
        self.matcher = matcher
        self.max_steps = max_steps
        self.timeout = timeout
        self.opcode = granularity == "opcode"
        # Real (never patched) primitives.  ``mutex`` guards the scheduler
        # state; each thread waits for its turn on its own ``gate`` (a lock
        # held while the thread may not run), so a switch wakes one thread.
        # The gates belong to the pool's workers (set by ``execute``).  A gate
        # is only a wake-up hint: ``current`` (under ``mutex``) says who may
        # run, and a woken thread re-checks it.
        self.mutex = _thread.allocate_lock()
        self.gates = []
        self._settled = threading.Event()    # all threads done, or aborted
        self._all_done = threading.Event()   # every thread has left the run
        self.state = [RUNNABLE] * self.n
        self.waiting_for = [None] * self.n   # primitive a blocked thread waits on
        self.timed = [False] * self.n        # blocked with a timeout: may give up
        self.timed_out = [False] * self.n
        self.idents = {}                     # OS thread ident -> tid
        self.current = None
        self.aborted = False
        self.finished = False
        self.outcome = Outcome.OK
        self.outcome_detail = ""
        self.trace = []        # (tid, filename, lineno) in execution order
        self.decisions = []    # chosen tid at every point with >= 2 enabled threads
        self.points = []       # (enabled, current_or_None, chosen) at those points
        self.errors = {}       # tid -> formatted traceback
        self.steps = 0
        self.tracer_lost = False   # a thread's tracer was replaced or removed while it ran

    # ------------------------------------------------------------------
    # helpers (all *_locked methods require self.mutex to be held)

    def tid_of_ident(self, ident):
        return self.idents.get(ident)

    def _enabled_locked(self):
        return tuple(i for i in range(self.n) if self.state[i] == RUNNABLE)

    def _abort_locked(self, outcome, detail):
        if not self.aborted:
            self.aborted = True
            self.outcome = outcome
            self.outcome_detail = detail
        # Open every closed gate: waiting threads wake up, see ``aborted`` and unwind.
        for gate in self.gates:
            _open(gate)
        self._settled.set()

    def _grant_locked(self, tid):
        """Let ``tid`` run (it is waiting on, or about to wait on, its gate)."""
        self.current = tid
        _open(self.gates[tid])

    def _deadlock_detail_locked(self):
        lines = []
        for i in range(self.n):
            if self.state[i] != BLOCKED:
                continue
            prim = self.waiting_for[i]
            where = self._last_location(i)
            desc = describe_wait(prim, self)
            lines.append(f"{self.names[i]} blocked at {where}: {desc}")
        return "\n".join(lines)

    def _last_location(self, tid):
        for t, fn, ln in reversed(self.trace):
            if t == tid:
                return f"{fn}:{ln}"
        return "<start>"

    def _pick_locked(self, me):
        """Choose the next thread.  ``me`` is the thread at the point (or None)."""
        enabled = self._enabled_locked()
        if not enabled:
            # Give a thread blocked with a timeout the chance to give up.
            for i in range(self.n):
                if self.state[i] == BLOCKED and self.timed[i]:
                    self.state[i] = RUNNABLE
                    self.timed_out[i] = True
                    self.waiting_for[i] = None
                    return i
            return None
        cur = me if (me is not None and self.state[me] == RUNNABLE) else None
        chosen = self.chooser.choose(enabled, cur, self.steps)
        if chosen not in enabled:  # defensive: a chooser must pick an enabled thread
            chosen = cur if cur is not None else enabled[0]
        if len(enabled) > 1:
            self.decisions.append(chosen)
            self.points.append((enabled, cur, chosen))
        return chosen

    def _wait_turn_locked(self, me):
        while self.current != me and not self.aborted:
            self.mutex.release()
            try:
                self.gates[me].acquire()
            finally:
                self.mutex.acquire()
        if self.aborted:
            raise _Abort()

    def switch_locked(self, me):
        """Hand control to the chosen thread and wait until ``me`` runs again."""
        nxt = self._pick_locked(me)
        if nxt is None:
            if any(s != DONE for s in self.state):
                self._abort_locked(Outcome.DEADLOCK, self._deadlock_detail_locked())
            raise _Abort()
        if nxt != me:
            self._grant_locked(nxt)
        self._wait_turn_locked(me)

    # ------------------------------------------------------------------
    # called from managed threads

    def yield_point(self, me, filename, lineno):
        with self.mutex:
            if self.aborted:
                raise _Abort()
            self.steps += 1
            if self.steps > self.max_steps:
                self._abort_locked(
                    Outcome.STEP_LIMIT,
                    f"more than {self.max_steps} scheduling points in one schedule "
                    "(livelock, spin-wait or unbounded loop?)",
                )
                raise _Abort()
            self.switch_locked(me)
            # Recorded when the line is *granted*, so the trace lists lines in
            # the order they actually executed.
            self.trace.append((me, filename, lineno))

    def block_locked(self, me, prim, timeout):
        """Mark ``me`` blocked on ``prim`` and switch.  Returns False if timed out."""
        self.state[me] = BLOCKED
        self.waiting_for[me] = prim
        self.timed[me] = timeout is not None and timeout >= 0
        self.timed_out[me] = False
        self.switch_locked(me)
        if self.timed_out[me]:
            self.timed_out[me] = False
            return False
        return True

    def wake_locked(self, prim):
        """Make every thread blocked on ``prim`` runnable again."""
        for i in range(self.n):
            if self.state[i] == BLOCKED and self.waiting_for[i] is prim:
                self.state[i] = RUNNABLE
                self.waiting_for[i] = None
                self.timed[i] = False

    def wake_one_locked(self, tid):
        if self.state[tid] == BLOCKED:
            self.state[tid] = RUNNABLE
            self.waiting_for[tid] = None
            self.timed[tid] = False

    # ------------------------------------------------------------------
    # tracing

    def _make_tracer(self, me):
        matcher = self.matcher
        run = self
        opcode = self.opcode
        want = "opcode" if opcode else "line"

        def local(frame, event, arg):
            if event == want:
                run.yield_point(me, frame.f_code.co_filename, frame.f_lineno)
            return local

        def global_(frame, event, arg):
            if matcher(frame.f_code.co_filename):
                if opcode:
                    frame.f_trace_opcodes = True
                return local
            return None

        return global_

    def _thread_main(self, me, fn, state, worker):
        """Run managed thread ``me`` of this schedule on ``worker`` (a pool thread).

        Returns whether the worker must exit (it was retired while this
        schedule ran, see ``execute``).
        """
        _tls.ctx = (self, me)
        try:
            with self.mutex:
                worker.job = None
                self.idents[threading.get_ident()] = me
                self._wait_turn_locked(me)
            # The interpreter's own settrace, kept at import: the code under test replacing
            # sys.settrace does not switch the scheduler off.
            tracer = self._make_tracer(me)
            _report.REAL_SETTRACE(tracer)
            aborted = False
            try:
                fn(state)
            except _Abort:
                # The scheduler ended the schedule (a deadlock, a timeout) by raising from
                # the tracer, and the interpreter unsets a tracer that raises: that is the
                # explorer's doing, not the code's.
                aborted = True
                raise
            finally:
                if not aborted and _report.REAL_GETTRACE() is not tracer:
                    self.tracer_lost = True
                _report.REAL_SETTRACE(None)
        except _Abort:
            pass
        except BaseException:  # noqa: BLE001 - report anything the thread raised
            self.errors[me] = traceback.format_exc()
        finally:
            _report.REAL_SETTRACE(None)
            _tls.ctx = None
            with self.mutex:
                self.state[me] = DONE
                self.waiting_for[me] = None
                if all(s == DONE for s in self.state):
                    self.current = None
                    self._all_done.set()
                    self._settled.set()
                elif not self.aborted:
                    nxt = self._pick_locked(None)
                    if nxt is None:
                        self._abort_locked(Outcome.DEADLOCK, self._deadlock_detail_locked())
                    else:
                        self._grant_locked(nxt)
                return worker.retired

    # ------------------------------------------------------------------
    # called from the exploring (main) thread

    def execute(self, fns, state, pool=None):
        """Run one schedule of ``fns`` on the workers of ``pool`` (a private pool if None)."""
        if pool is None:
            with WorkerPool(len(fns)) as own:
                return self.execute(fns, state, own)
        workers = pool.workers
        if len(workers) != self.n:
            raise ValueError(f"pool has {len(workers)} workers for {self.n} threads")
        deadline = time.monotonic() + self.timeout
        with self.mutex:
            self.gates = [w.gate for w in workers]
            for i, (w, fn) in enumerate(zip(workers, fns)):
                w.job = (self, i, fn, state)
            # No start-up handshake is needed: a worker that is granted before
            # it reaches its gate finds its gate open (or ``current == me``).
            self._grant_locked(self._pick_locked(None))
        if not self._settled.wait(max(0.0, deadline - time.monotonic())):
            with self.mutex:
                if not self._settled.is_set():
                    cur = self.current
                    running = self.names[cur] if cur is not None else "?"
                    where = self._last_location(cur) if cur is not None else "?"
                    self._abort_locked(
                        Outcome.TIMEOUT,
                        f"schedule did not finish within {self.timeout:g}s; "
                        f"{running} was running at {where} "
                        "(blocked on a primitive the scheduler does not control, "
                        "or looping outside target files?)",
                    )
        # Backstop: aborted threads unwind via _Abort.  A worker still inside
        # this schedule afterwards (stuck in an uncontrolled blocking call) is
        # retired and replaced, so it can never run a later schedule.
        if not self._all_done.is_set():
            self._all_done.wait(min(1.0, max(self.timeout, 0.1)))
        with self.mutex:
            for i in range(self.n):
                if self.state[i] != DONE:
                    pool.retire(i)
            self.finished = True
        return self


def _open(gate):
    """Release ``gate`` unless it is already open (a pending wake-up).

    Called with the run's mutex held.  Only the gate's owner acquires it, and
    it re-checks ``current`` after every wake-up, so an extra open gate only
    costs a spurious wake-up, never a lost one or a double release.
    """
    if gate.locked():
        try:
            gate.release()
        except RuntimeError:  # pragma: no cover - opened concurrently
            pass


_STOP = object()


class _Worker:
    """A pooled OS thread that runs one managed thread per schedule."""

    def __init__(self, slot):
        self.slot = slot
        self.gate = _thread.allocate_lock()
        self.gate.acquire()
        self.job = None          # (run, tid, fn, state) or _STOP
        self.retired = False
        self.thread = threading.Thread(target=self._main, name=f"refbench-race-worker-{slot}",
                                       daemon=True)
        self.thread.start()

    def _main(self):
        while True:
            self.gate.acquire()
            job = self.job
            if job is None:      # spurious wake-up (a gate left open by an aborted run)
                continue
            if job is _STOP:
                return
            run, tid, fn, state = job
            if run._thread_main(tid, fn, state, self):
                return


class WorkerPool:
    """One reusable worker thread per managed thread, for a whole exploration."""

    def __init__(self, n):
        self.workers = [_Worker(i) for i in range(n)]
        self._retired = []

    def retire(self, slot):
        """Replace the worker of ``slot`` (still busy in an abandoned schedule)."""
        old = self.workers[slot]
        old.retired = True
        self._retired.append(old)
        self.workers[slot] = _Worker(slot)

    def shutdown(self, timeout=1.0):
        for w in self.workers:
            w.job = _STOP
            if w.gate.locked():
                try:
                    w.gate.release()
                except RuntimeError:  # pragma: no cover
                    pass
        end = time.monotonic() + timeout
        for w in self.workers:
            w.thread.join(max(0.0, end - time.monotonic()))
        self.workers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()


def describe_wait(prim, run):
    describe = getattr(prim, "_rr_describe_wait", None)
    if describe is not None:
        return describe(run)
    return f"waiting on {prim!r}"
