"""Independent reference for refbench's statistics (src/report/stats.rs), computed with scipy/numpy.

Usage: python3 reference.py inputs.json > reference.json

Reads the fixed inputs that tests/stats_reference.rs also feeds to refbench, and prints one JSON
object with the same keys, each holding the reference values in input order:

* inverse_normal: scipy.stats.norm.ppf(p).
* wilson: scipy.stats.binomtest(s, n).proportion_ci(confidence, method="wilson") as [low, high];
  wilson_closed_form: the textbook formula with z = norm.ppf((1 + confidence) / 2), a second,
  independent reference (this script asserts the two agree).
* pass_at_k: 1 - C(n-c, k) / C(n, k) in exact rational arithmetic (math.comb, fractions), rounded
  once to float; null when k > n.
* mcnemar: scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue; 1.0 when b + c = 0.
* tasks.<name>: the mean of per-task c/n (math.fsum), plus a Monte Carlo reference for the
  percentile bootstrap interval from scipy.stats.bootstrap (numpy's PCG64 stream, so it can only
  agree with refbench's xoshiro-based one up to Monte Carlo error): ci, and se (the standard
  deviation of the bootstrap distribution) to scale that tolerance.
* paired.<name>: the mean difference a - b (math.fsum), and numpy bootstraps of the centred
  two-sided p-value, (1 + #{|D*_r - D| >= |D| - 1e-9 max|d|}) / (R + 1), the 95% percentile
  interval, and se, defined exactly as refbench documents them.
"""

import json
import math
import sys
from fractions import Fraction

import numpy as np
from scipy import stats


def wilson_closed_form(s, n, confidence):
    z = stats.norm.ppf(0.5 + 0.5 * confidence)
    p = s / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low = 0.0 if s == 0 else max(0.0, centre - half)
    high = 1.0 if s == n else min(1.0, centre + half)
    return [low, high]


def wilson_scipy(s, n, confidence):
    ci = stats.binomtest(s, n).proportion_ci(confidence_level=confidence, method="wilson")
    return [float(ci.low), float(ci.high)]


def pass_at_k(n, c, k):
    if k > n:
        return None
    return float(1 - Fraction(math.comb(n - c, k), math.comb(n, k)))


def mcnemar(b, c):
    if b + c == 0:
        return 1.0
    return float(stats.binomtest(min(b, c), b + c, 0.5).pvalue)


def task_bootstrap(tasks, resamples, seed, confidence):
    rates = np.array([c / n for c, n in tasks if n > 0])
    res = stats.bootstrap(
        (rates,),
        np.mean,
        n_resamples=resamples,
        confidence_level=confidence,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    return {
        "mean": math.fsum(rates) / len(rates),
        "ci": [float(res.confidence_interval.low), float(res.confidence_interval.high)],
        "se": float(res.standard_error),
    }


def paired_bootstrap(a, b, resamples, seed):
    d = np.array(a) - np.array(b)
    observed = math.fsum(d) / len(d)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(d), size=(resamples, len(d)))
    means = d[idx].mean(axis=1)
    threshold = abs(observed) - 1e-9 * float(np.max(np.abs(d)))
    extreme = int(np.count_nonzero(np.abs(means - observed) >= threshold))
    low, high = np.percentile(means, [2.5, 97.5])
    return {
        "mean_diff": observed,
        "p_value": (1 + extreme) / (resamples + 1),
        "ci": [float(low), float(high)],
        "se": float(means.std(ddof=1)),
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        inputs = json.load(f)
    boot = inputs["bootstrap"]
    out = {
        "versions": {"numpy": np.__version__, "scipy": __import__("scipy").__version__},
        "inverse_normal": [float(stats.norm.ppf(p)) for p in inputs["inverse_normal"]],
        "wilson": [wilson_scipy(*w) for w in inputs["wilson"]],
        "wilson_closed_form": [wilson_closed_form(*w) for w in inputs["wilson"]],
        "pass_at_k": [pass_at_k(*t) for t in inputs["pass_at_k"]],
        "mcnemar": [mcnemar(*t) for t in inputs["mcnemar"]],
        "tasks": {
            name: task_bootstrap(tasks, boot["resamples"], boot["seed"], boot["confidence"])
            for name, tasks in inputs["tasks"].items()
        },
        "paired": {
            name: paired_bootstrap(p["a"], p["b"], boot["resamples"], boot["seed"])
            for name, p in inputs["paired"].items()
        },
    }
    for x, y in zip(out["wilson"], out["wilson_closed_form"]):
        assert all(abs(u - v) <= 1e-12 for u, v in zip(x, y)), (x, y)
    json.dump(out, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
