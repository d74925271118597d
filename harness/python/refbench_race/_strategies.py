"""Schedule generators.

A strategy hands out one *chooser* per schedule.  ``chooser.choose(enabled,
current, step)`` is called at every scheduling point: ``enabled`` is the
sorted tuple of runnable thread indices, ``current`` the index of the thread
standing at the point if it may continue (``None`` when it just blocked or
finished, i.e. the switch is not a preemption) and ``step`` the number of
scheduling points so far.  After the run the strategy receives the run back
(``feedback``) to plan the next schedules.

Schedules are encoded as strings with one base-36 digit (the chosen thread
index) per point at which two or more threads were enabled.  After the
encoded prefix runs out a schedule continues *non-preemptively*: the current
thread keeps running; when it blocks or ends, the lowest enabled index runs.
"""

from __future__ import annotations

import heapq
import random

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode(decisions):
    return "".join(_DIGITS[d] for d in decisions)


def decode(schedule):
    if isinstance(schedule, str):
        out = []
        for ch in schedule.strip().lower():
            if ch in " ,.-_":
                continue
            idx = _DIGITS.find(ch)
            if idx < 0:
                raise ValueError(f"bad schedule character {ch!r}")
            out.append(idx)
        return out
    return [int(d) for d in schedule]


def _default(enabled, current):
    return current if current is not None else enabled[0]


class PrefixChooser:
    """Follow a decision prefix, then run non-preemptively."""

    def __init__(self, prefix):
        self.prefix = list(prefix)
        self.i = 0
        self.diverged = False

    def choose(self, enabled, current, step):
        if len(enabled) < 2:
            return enabled[0]
        if self.i < len(self.prefix):
            want = self.prefix[self.i]
            self.i += 1
            if want in enabled:
                return want
            self.diverged = True
        return _default(enabled, current)


class RandomChooser:
    """Uniform choice among enabled threads at every point."""

    def __init__(self, rng):
        self.rng = rng

    def choose(self, enabled, current, step):
        if len(enabled) < 2:
            return enabled[0]
        return self.rng.choice(enabled)


class PCTChooser:
    """Probabilistic concurrency testing: random priorities + d-1 change points.

    Always runs the highest-priority enabled thread; at each change point the
    priority of the thread standing there drops below every initial priority.
    """

    def __init__(self, rng, nthreads, depth, length):
        prios = list(range(depth, depth + nthreads))
        rng.shuffle(prios)
        self.prio = prios
        k = max(1, length)
        picks = sorted(rng.sample(range(1, k + 1), min(depth - 1, k)))
        self.change = {step: depth - 1 - j for j, step in enumerate(picks)}

    def choose(self, enabled, current, step):
        low = self.change.get(step)
        if low is not None and current is not None:
            self.prio[current] = low
        if len(enabled) < 2:
            return enabled[0]
        return max(enabled, key=lambda t: self.prio[t])


class Strategy:
    name = "?"
    exhausted = False

    def __init__(self, seed):
        self.seed = seed
        self.index = 0

    def next_chooser(self, nthreads):  # pragma: no cover - interface
        raise NotImplementedError

    def feedback(self, run, chooser):
        pass

    def describe(self):
        return f"strategy={self.name}, seed={self.seed}"


class RandomStrategy(Strategy):
    name = "random"

    def next_chooser(self, nthreads):
        rng = random.Random(f"refbench-race/random/{self.seed}/{self.index}")
        self.index += 1
        return RandomChooser(rng)


class PCTStrategy(Strategy):
    name = "pct"

    def __init__(self, seed, depth=3):
        super().__init__(seed)
        self.depth = max(1, depth)
        self.length = 0

    def next_chooser(self, nthreads):
        rng = random.Random(f"refbench-race/pct/{self.seed}/{self.index}")
        self.index += 1
        return PCTChooser(rng, nthreads, self.depth, self.length or 32)

    def feedback(self, run, chooser):
        self.length = max(self.length, run.steps)

    def describe(self):
        return f"strategy=pct, seed={self.seed}, depth={self.depth}"


class ExhaustiveStrategy(Strategy):
    """Bounded exhaustive search over scheduling decisions.

    Enumerates every schedule with at most ``bound`` preemptions (switching
    away from a thread that could have continued), in order of increasing
    preemption count; switches at points where the current thread blocked or
    ended are free.  Stateless: each schedule is re-executed from scratch by
    following a decision prefix, so the program must be deterministic given
    the interleaving.  ``seed`` is unused (the search is already
    deterministic) but kept in messages.
    """

    name = "exhaustive"

    def __init__(self, seed, bound=2):
        super().__init__(seed)
        self.bound = bound
        self._heap = [(0, 0, ())]
        self._seq = 1
        self._cost = {}

    def next_chooser(self, nthreads):
        if not self._heap:
            self.exhausted = True
            return None
        cost, _, prefix = heapq.heappop(self._heap)
        self.index += 1
        ch = PrefixChooser(prefix)
        ch.cost = cost
        return ch

    def feedback(self, run, chooser):
        if chooser.diverged:
            return  # non-deterministic program: do not branch from this run
        base = len(chooser.prefix)
        decisions = [p[2] for p in run.points]
        for pos in range(base, len(run.points)):
            enabled, cur, chosen = run.points[pos]
            for alt in enabled:
                if alt == chosen:
                    continue
                cost = chooser.cost + (1 if (cur is not None and alt != cur) else 0)
                if cost > self.bound:
                    continue
                heapq.heappush(self._heap, (cost, self._seq, tuple(decisions[:pos]) + (alt,)))
                self._seq += 1
        if not self._heap:
            self.exhausted = True

    def describe(self):
        return f"strategy=exhaustive, preemption_bound={self.bound}"


class ReplayStrategy(Strategy):
    name = "replay"

    def __init__(self, schedule):
        super().__init__(0)
        self.prefix = decode(schedule)
        self.done = False

    def next_chooser(self, nthreads):
        if self.done:
            self.exhausted = True
            return None
        self.done = True
        self.index += 1
        return PrefixChooser(self.prefix)

    def describe(self):
        return f"strategy=replay, schedule={encode(self.prefix)!r}"


def make_strategy(strategy, seed, *, preemption_bound, pct_depth, schedule=None):
    if schedule is not None:
        return ReplayStrategy(schedule)
    if strategy == "exhaustive":
        return ExhaustiveStrategy(seed, preemption_bound)
    if strategy == "random":
        return RandomStrategy(seed)
    if strategy == "pct":
        return PCTStrategy(seed, pct_depth)
    raise ValueError(f"unknown strategy {strategy!r} (exhaustive, random, pct)")
