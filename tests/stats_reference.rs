//! Checks refbench's published statistics (`refbench::report::stats`) against an independent
//! reference: `tests/data/stats/reference.py` recomputes them with scipy/numpy (pinned in
//! `harness/python/requirements-dev.txt`, installed by refbench's own environment helper) from
//! the same fixed inputs, `tests/data/stats/inputs.json`.
//!
//! Tolerances:
//! * closed forms, 1e-9: the inverse normal CDF (relative beyond |x| > 1, against
//!   `scipy.stats.norm.ppf`), Wilson interval ends (absolute, against scipy's
//!   `binomtest(...).proportion_ci(method="wilson")` and against the textbook formula on
//!   `norm.ppf`), pass@k (absolute, against exact rational `math.comb` arithmetic), and the exact
//!   McNemar p-value (relative, against `binomtest(min(b, c), b + c, 0.5).pvalue`, so tiny
//!   p-values are checked to nine digits too; values that underflow to 0 must do so in both);
//! * bootstraps: the point estimates (mean pass@1, mean paired difference) do not depend on the
//!   PRNG and must match to 1e-12. The intervals and the p-value do, and refbench's
//!   xoshiro256** stream is not numpy's PCG64, so they are compared only up to Monte Carlo
//!   error with R = 20,000 replicates on both sides: interval ends within 0.15 bootstrap
//!   standard errors (the Monte Carlo SD of a difference of two independent 2.5% percentile
//!   estimates is about 0.027 SE, so this is over 5 SD), p-values within 0.025 absolute (over
//!   5 SD of a difference of two independent estimates at p = ½). Beyond that, the intervals
//!   must contain the point estimate, shrink as the task set grows (20 → 80 → 320 tasks), and
//!   be reproducible from their seed.

use std::path::{Path, PathBuf};
use std::process::Command;

use refbench::report::stats;
use serde_json::Value;

const CLOSED_FORM_TOL: f64 = 1e-9;
const MEAN_TOL: f64 = 1e-12;
const CI_TOL_IN_SE: f64 = 0.15;
const P_VALUE_TOL: f64 = 0.025;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> PathBuf {
    root().join("tests/data/stats")
}

/// Runs the scipy reference on `inputs` in the pinned environment and parses its JSON.
fn reference(inputs: &Path) -> Value {
    let bin = refbench::toolchain::pyenv::prepare_env_from(
        &root().join("harness/python/requirements-dev.txt"),
        &refbench::cache::CacheLayout::new(
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("refbench-cache"),
        ),
    )
    .expect("python environment with the reference pins");
    let out = Command::new(bin.join("python3"))
        .arg(data_dir().join("reference.py"))
        .arg(inputs)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("running reference.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "reference.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("reference.py output: {e}\n{stdout}"))
}

fn inputs() -> (PathBuf, Value) {
    let path = data_dir().join("inputs.json");
    let text = std::fs::read_to_string(&path).expect("tests/data/stats/inputs.json");
    (path, serde_json::from_str(&text).expect("inputs.json"))
}

fn f(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected a count, got {v}"))
}

fn arr(v: &Value) -> &Vec<Value> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
}

fn floats(v: &Value) -> Vec<f64> {
    arr(v).iter().map(f).collect()
}

/// Collects every mismatch, so one run reports them all.
#[derive(Default)]
struct Check {
    failures: Vec<String>,
    compared: usize,
    /// The largest |diff| / tolerance seen, to show how much margin the comparisons have.
    worst: f64,
}

impl Check {
    fn within(&mut self, what: String, got: f64, want: f64, tol: f64) {
        self.compared += 1;
        let ratio = if tol > 0.0 {
            (got - want).abs() / tol
        } else if got == want {
            0.0
        } else {
            f64::INFINITY
        };
        self.worst = self.worst.max(ratio);
        // Written so that a NaN on either side fails.
        let ok = (got - want).abs() <= tol;
        if !ok {
            self.failures.push(format!(
                "{what}: refbench {got:e}, reference {want:e}, |diff| {:e} > {tol:e}",
                (got - want).abs()
            ));
        }
    }

    fn holds(&mut self, what: String, ok: bool) {
        self.compared += 1;
        if !ok {
            self.failures.push(what);
        }
    }

    fn finish(self, section: &str) {
        assert!(self.compared > 0, "{section}: nothing compared");
        assert!(
            self.failures.is_empty(),
            "{section}: {} of {} checks failed:\n{}",
            self.failures.len(),
            self.compared,
            self.failures.join("\n")
        );
        eprintln!(
            "{section}: {} checks passed (worst |diff|/tolerance {:.3e})",
            self.compared, self.worst
        );
    }
}

#[test]
fn statistics_match_the_scipy_reference() {
    let (path, input) = inputs();
    let want = reference(&path);
    eprintln!("reference versions: {}", want["versions"]);

    // Inverse normal CDF.
    let mut check = Check::default();
    let ps = floats(&input["inverse_normal"]);
    for (p, want) in ps.iter().zip(floats(&want["inverse_normal"])) {
        check.within(
            format!("inverse_normal_cdf({p:e})"),
            stats::inverse_normal_cdf(*p),
            want,
            CLOSED_FORM_TOL * want.abs().max(1.0),
        );
    }
    assert_eq!(ps.len(), arr(&want["inverse_normal"]).len());
    check.finish("inverse normal CDF");

    // Wilson intervals, against scipy's binomtest and the closed form on norm.ppf.
    let mut check = Check::default();
    let cases = arr(&input["wilson"]);
    for key in ["wilson", "wilson_closed_form"] {
        assert_eq!(cases.len(), arr(&want[key]).len());
        for (case, want) in cases.iter().zip(arr(&want[key])) {
            let (s, n, conf) = (u(&case[0]), u(&case[1]), f(&case[2]));
            let (lo, hi) = stats::wilson_interval(s, n, conf).expect("n > 0");
            check.within(
                format!("wilson({s}/{n}, {conf}) low vs {key}"),
                lo,
                f(&want[0]),
                CLOSED_FORM_TOL,
            );
            check.within(
                format!("wilson({s}/{n}, {conf}) high vs {key}"),
                hi,
                f(&want[1]),
                CLOSED_FORM_TOL,
            );
        }
    }
    check.finish("Wilson interval");

    // pass@k, against exact rational arithmetic.
    let mut check = Check::default();
    let cases = arr(&input["pass_at_k"]);
    assert_eq!(cases.len(), arr(&want["pass_at_k"]).len());
    for (case, want) in cases.iter().zip(arr(&want["pass_at_k"])) {
        let (n, c, k) = (u(&case[0]), u(&case[1]), u(&case[2]));
        let got = stats::pass_at_k(n, c, k);
        match (got, want.as_f64()) {
            (Some(got), Some(want)) => check.within(
                format!("pass@{k}(n={n}, c={c})"),
                got,
                want,
                CLOSED_FORM_TOL,
            ),
            (None, None) => check.holds(String::new(), true),
            (got, _) => check.holds(
                format!("pass@{k}(n={n}, c={c}): refbench {got:?}, reference {want}"),
                false,
            ),
        }
    }
    check.finish("pass@k");

    // Exact McNemar, relative tolerance.
    let mut check = Check::default();
    let cases = arr(&input["mcnemar"]);
    assert_eq!(cases.len(), arr(&want["mcnemar"]).len());
    for (case, want) in cases.iter().zip(arr(&want["mcnemar"])) {
        let (b, c) = (u(&case[0]), u(&case[1]));
        let want = f(want);
        check.within(
            format!("mcnemar_exact({b}, {c})"),
            stats::mcnemar_exact(b, c),
            want,
            CLOSED_FORM_TOL * want,
        );
    }
    check.finish("McNemar exact");

    // Mean pass@1 with a percentile bootstrap over tasks.
    let mut check = Check::default();
    let boot = &input["bootstrap"];
    let (resamples, seed, conf) = (
        u(&boot["resamples"]) as usize,
        u(&boot["seed"]),
        f(&boot["confidence"]),
    );
    let mut widths = Vec::new();
    for name in ["small", "medium", "large"] {
        let tasks: Vec<(u64, u64)> = arr(&input["tasks"][name])
            .iter()
            .map(|t| (u(&t[0]), u(&t[1])))
            .collect();
        let want = &want["tasks"][name];
        let (mean, lo, hi) = stats::mean_pass_at_1_bootstrap(&tasks, resamples, seed, conf);
        check.within(format!("{name}: mean"), mean, f(&want["mean"]), MEAN_TOL);
        let tol = CI_TOL_IN_SE * f(&want["se"]);
        check.within(format!("{name}: CI low"), lo, f(&want["ci"][0]), tol);
        check.within(format!("{name}: CI high"), hi, f(&want["ci"][1]), tol);
        check.holds(
            format!("{name}: CI [{lo}, {hi}] does not contain the mean {mean}"),
            lo <= mean && mean <= hi && lo < hi,
        );
        check.holds(
            format!("{name}: not reproducible from its seed"),
            stats::mean_pass_at_1_bootstrap(&tasks, resamples, seed, conf) == (mean, lo, hi),
        );
        widths.push((name, tasks.len(), hi - lo));
    }
    for pair in widths.windows(2) {
        let ((a, na, wa), (b, nb, wb)) = (pair[0], pair[1]);
        check.holds(
            format!("CI does not shrink from {a} ({na} tasks, width {wa}) to {b} ({nb} tasks, width {wb})"),
            nb > na && wb < wa,
        );
    }
    eprintln!("bootstrap CI widths: {widths:?}");
    check.finish("mean pass@1 bootstrap");

    // Paired bootstrap.
    let mut check = Check::default();
    for name in ["gain", "null"] {
        let (a, b) = (
            floats(&input["paired"][name]["a"]),
            floats(&input["paired"][name]["b"]),
        );
        let want = &want["paired"][name];
        let (diff, p, (lo, hi)) = stats::paired_bootstrap(&a, &b, resamples, seed);
        eprintln!(
            "paired {name}: diff {diff:.4}, p {p:.4} (reference {:.4}), CI [{lo:.4}, {hi:.4}] (reference {})",
            f(&want["p_value"]),
            want["ci"]
        );
        check.within(
            format!("{name}: mean diff"),
            diff,
            f(&want["mean_diff"]),
            MEAN_TOL,
        );
        check.within(
            format!("{name}: p-value"),
            p,
            f(&want["p_value"]),
            P_VALUE_TOL,
        );
        let tol = CI_TOL_IN_SE * f(&want["se"]);
        check.within(format!("{name}: CI low"), lo, f(&want["ci"][0]), tol);
        check.within(format!("{name}: CI high"), hi, f(&want["ci"][1]), tol);
        check.holds(
            format!("{name}: CI [{lo}, {hi}] does not contain the diff {diff}"),
            lo <= diff && diff <= hi,
        );
        check.holds(
            format!("{name}: p-value {p} outside (0, 1]"),
            p > 0.0 && p <= 1.0,
        );
        check.holds(
            format!("{name}: not reproducible from its seed"),
            stats::paired_bootstrap(&a, &b, resamples, seed) == (diff, p, (lo, hi)),
        );
    }
    check.finish("paired bootstrap");
}
