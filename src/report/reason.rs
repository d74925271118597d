//! Why an attempt ended as it did, in one line a reader can take in at a glance.
//!
//! In: one stored [`AttemptRecord`] and the folder of its artifacts (the detector logs). Out:
//! one line for the attempts table of report.html and the top of the attempt's own page, and
//! a detector's reason in one line. The order is what a reader asks first: the tests that fail
//! (a few names, then "+N more"); when every test passes, the race a detector found, with the
//! first line of its log that says what happened; then a broken architectural rule, a hygiene
//! flag, tampering; for attempts that were never graded, the edit that did not apply or the
//! error. [`super::explain`] is the longer line `refbench show` prints.

use std::path::Path;

use crate::attempt::Artifact;
use crate::score::{DetectorResult, DetectorStatus, RuleStatus};
use crate::store::{AttemptOutcome, AttemptRecord};

/// Failing test names shown before "+N more".
const TESTS_SHOWN: usize = 3;
/// Longest line quoted from a log.
const QUOTE_CHARS: usize = 160;

/// The attempt's one-line reason (see the module docs for the order).
pub fn attempt_reason(r: &AttemptRecord, artifacts: &Path) -> String {
    if let Some(e) = r.error() {
        let what = if r.outcome() == AttemptOutcome::ModelError {
            "model error"
        } else {
            "harness error"
        };
        return format!("{what}: {}", first_line(e));
    }
    let Some(v) = r.verdict() else {
        return match r.apply() {
            Some(a) => format!(
                "edit {}: {}",
                a.status,
                a.reason
                    .as_deref()
                    .map(first_line)
                    .unwrap_or("no reason given")
            ),
            None => r.outcome().to_string(),
        };
    };
    let failing: Vec<&str> = v
        .tests
        .tests
        .iter()
        .filter(|t| !t.status.is_pass())
        .map(|t| t.id.0.as_str())
        .collect();
    if !failing.is_empty() {
        let mut line = if v.tests.end.build_failed() {
            format!("build failed, {} tests fail: ", failing.len())
        } else {
            format!("{} failing: ", failing.len())
        };
        line.push_str(&failing[..failing.len().min(TESTS_SHOWN)].join(", "));
        if failing.len() > TESTS_SHOWN {
            line.push_str(&format!(" +{} more", failing.len() - TESTS_SHOWN));
        }
        return line;
    }
    let artifacts_dir = artifacts.join(r.key.id());
    if let Some(d) = v
        .detectors
        .iter()
        .find(|d| d.status != DetectorStatus::Passed)
    {
        return detector_reason(d, read_detector_log(&artifacts_dir, d).as_deref());
    }
    if let Some(rule) = v.rules.iter().find(|x| x.status == RuleStatus::Broken) {
        return match rule.evidence.first() {
            Some(e) => format!("rule broken: {} ({e})", rule.id),
            None => format!("rule broken: {}", rule.id),
        };
    }
    if let Some(flag) = v.hygiene.first() {
        return format!("hygiene: {flag}");
    }
    if let Some(e) = v.integrity.evidence().first() {
        return format!("tampered: {e}");
    }
    if v.resolved {
        "every test passes, no race found, rules hold".into()
    } else {
        r.outcome().to_string()
    }
}

/// A detector's log, if it was kept.
pub fn read_detector_log(attempt_dir: &Path, d: &DetectorResult) -> Option<String> {
    std::fs::read_to_string(attempt_dir.join(Artifact::DetectorLog(d.bug.clone()).file_name())).ok()
}

/// A detector's result in one line: "no race found", or "race found: " with the first line of
/// its log that says what it found (the assertion, the panic message, a compile error), else
/// how the detector ended ("race found: detector exit 1").
pub fn detector_reason(d: &DetectorResult, log: Option<&str>) -> String {
    match d.status {
        DetectorStatus::Passed => format!("no race found ({})", d.bug),
        DetectorStatus::TimedOut => format!("hang (counted as a race): detector {}", d.detail),
        DetectorStatus::Error => format!("detector could not run ({}): {}", d.bug, d.detail),
        DetectorStatus::Failed => match log.and_then(meaningful_line) {
            Some(line) => format!("race found: {line}"),
            None => format!("race found: detector {}", d.detail),
        },
    }
}

/// The first line of a detector log that says what went wrong: pytest's `E` lines, the message
/// under Rust's "panicked at", a compiler error. `None` when no line does.
pub fn meaningful_line(log: &str) -> Option<String> {
    let lines: Vec<&str> = log.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if let Some(rest) = line.strip_prefix("E ") {
            let rest = rest.trim();
            if !rest.is_empty() {
                let rest = rest.strip_prefix("AssertionError: ").unwrap_or(rest);
                return Some(quote(rest));
            }
        }
        if let Some(at) = trimmed.find("panicked at") {
            // Rust 1.73 and later put the message on the next line; earlier, after the quote.
            let next = lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty());
            let message = match next {
                Some(n) if !n.starts_with("note:") && !n.starts_with("stack backtrace") => {
                    n.to_string()
                }
                _ => trimmed[at..].to_string(),
            };
            return Some(quote(&message));
        }
        if trimmed.starts_with("error[") || trimmed.starts_with("error: ") {
            return Some(quote(trimmed));
        }
    }
    None
}

fn first_line(s: &str) -> &str {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

fn quote(s: &str) -> String {
    match s.char_indices().nth(QUOTE_CHARS) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::BugId;

    fn detector(status: DetectorStatus) -> DetectorResult {
        DetectorResult {
            bug: BugId("f/b".into()),
            status,
            detail: "exit 1".into(),
            duration_ms: 5,
            build_ms: None,
        }
    }

    #[test]
    fn pytest_assertion_is_the_reason() {
        let log = "$ python3 -m pytest\n>>>>> Start Test Output\nFF.\n    def f():\n>       assert_no_race(x)\nE           AssertionError: refbench_race: DEADLOCK: every live thread is blocked in schedule #25\nE           targets: pyauth.users\n";
        assert_eq!(
            detector_reason(&detector(DetectorStatus::Failed), Some(log)),
            "race found: refbench_race: DEADLOCK: every live thread is blocked in schedule #25"
        );
    }

    #[test]
    fn rust_panic_message_is_the_reason() {
        let log = "   Compiling x v0.1.0\n    Finished test\n     Running tests/race.rs\n\nthread 'lost_update' panicked at tests/race.rs:40:5:\nassertion `left == right` failed: two increments, one kept\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            meaningful_line(log).as_deref(),
            Some("assertion `left == right` failed: two increments, one kept")
        );
        let compile = "   Compiling x v0.1.0\nerror[E0425]: cannot find value `y` in this scope\n";
        assert_eq!(
            meaningful_line(compile).as_deref(),
            Some("error[E0425]: cannot find value `y` in this scope")
        );
    }

    #[test]
    fn without_a_telling_line_the_exit_is_the_reason() {
        assert_eq!(
            detector_reason(
                &detector(DetectorStatus::Failed),
                Some("$ run\nnothing here\n")
            ),
            "race found: detector exit 1"
        );
        assert_eq!(
            detector_reason(&detector(DetectorStatus::Failed), None),
            "race found: detector exit 1"
        );
        assert_eq!(
            detector_reason(&detector(DetectorStatus::Passed), None),
            "no race found (f/b)"
        );
        let long = format!("E   {}", "x".repeat(400));
        assert_eq!(
            meaningful_line(&long).unwrap().chars().count(),
            QUOTE_CHARS + 3
        );
    }

    #[test]
    fn failing_tests_come_first_then_the_edit() {
        let dir = tempfile::tempdir().unwrap();
        let unresolved = super::super::tests::rec("empty", AttemptOutcome::Unresolved);
        let line = attempt_reason(&unresolved, dir.path());
        let v = unresolved.verdict().unwrap();
        let failing = v.tests.tests.iter().filter(|t| !t.status.is_pass()).count();
        assert!(failing > TESTS_SHOWN, "the kept record fails several tests");
        assert!(line.starts_with(&format!("{failing} failing: ")), "{line}");
        assert!(
            line.ends_with(&format!(" +{} more", failing - TESTS_SHOWN)),
            "{line}"
        );
        assert_eq!(line.matches(", ").count(), TESTS_SHOWN - 1, "{line}");

        let applied = super::super::tests::rec("x", AttemptOutcome::ApplyFailed);
        assert!(attempt_reason(&applied, dir.path()).starts_with("edit "));
        let err = super::super::tests::rec("x", AttemptOutcome::Error);
        assert_eq!(
            attempt_reason(&err, dir.path()),
            "harness error: the python test runner could not run"
        );
        let resolved = super::super::tests::rec("gold", AttemptOutcome::Resolved);
        assert_eq!(
            attempt_reason(&resolved, dir.path()),
            "every test passes, no race found, rules hold"
        );
    }
}
