"""refbench_race: deterministic interleaving exploration for Python race detectors.

Threads under test run one at a time under a cooperative scheduler.  Line
events in *target* files are scheduling points; at each one a strategy
(bounded exhaustive search over preemptions, seeded random, or PCT) decides
which thread continues.  Locks created by target code during an exploration
are cooperative, so contention yields to the scheduler and a cycle of waiting
threads is reported as a deadlock instead of hanging the process.

    from refbench_race import assert_no_race
    assert_no_race(setup, [worker, worker], check, targets=["app.counter"])

See README.md next to this package for the API and how detectors use it.
"""

from ._explore import (
    DEADLOCK,
    EXCEPTION,
    STEP_LIMIT,
    TIMEOUT,
    VIOLATION,
    ExplorationResult,
    Failure,
    assert_no_race,
    explore,
    replay,
)
from ._locks import CoopCondition, CoopEvent, CoopLock, CoopRLock

__all__ = [
    "explore",
    "replay",
    "assert_no_race",
    "ExplorationResult",
    "Failure",
    "CoopLock",
    "CoopRLock",
    "CoopCondition",
    "CoopEvent",
    "VIOLATION",
    "DEADLOCK",
    "EXCEPTION",
    "TIMEOUT",
    "STEP_LIMIT",
]

__version__ = "0.1.0"
