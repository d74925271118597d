//! Validation of tasks and seeded bugs: the checks that make a task trustworthy.
//!
//! In: the catalog (already statically valid: every file parsed, statements checked for naming
//! bug files) and the attempts of a run of `gold` and `empty` on the selected tasks. Out: one
//! [`Check`] per property, each passing or failing with a reason:
//! - the base builds: every seeded bug's inject.patch applies (a harness error otherwise);
//! - gold resolves the task;
//! - empty does not;
//! - on the base (empty), every FAIL_TO_PASS test fails and every PASS_TO_PASS test passes, so
//!   the hidden tests test the change and the seeded bug is silent to the visible tests;
//! - each seeded bug's detector fails on the base and passes on gold.

use crate::score::{DetectorStatus, TestKind};
use crate::store::{AttemptOutcome, AttemptRecord};
use crate::task::{Catalog, TaskId};

/// One validation check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The task.
    pub task: TaskId,
    /// What is checked.
    pub name: String,
    /// Whether it holds.
    pub ok: bool,
    /// Why not, or a short confirmation.
    pub detail: String,
}

fn describe(record: &AttemptRecord) -> String {
    if let Some(e) = &record.error {
        return format!("harness error: {e}");
    }
    if let Some(a) = &record.apply {
        if let Some(reason) = &a.reason {
            return format!("patch {}: {reason}", a.status);
        }
    }
    match &record.verdict {
        Some(v) => {
            let failing: Vec<String> = v
                .tests
                .tests
                .iter()
                .filter(|t| !t.status.is_pass())
                .take(5)
                .map(|t| format!("{} {}", t.id, t.status))
                .collect();
            let dets: Vec<String> = v
                .detectors
                .iter()
                .map(|d| format!("{} {}", d.bug, d.status))
                .collect();
            format!(
                "tests {} (F2P {}/{}, P2P {}/{}{}){}{}",
                v.tests.grade,
                v.tests.f2p.0,
                v.tests.f2p.1,
                v.tests.p2p.0,
                v.tests.p2p.1,
                if v.tests.build_failed {
                    ", build failed"
                } else {
                    ""
                },
                if failing.is_empty() {
                    String::new()
                } else {
                    format!("; not passing: {}", failing.join(", "))
                },
                if dets.is_empty() {
                    String::new()
                } else {
                    format!("; detectors: {}", dets.join(", "))
                },
            )
        }
        None => record.outcome.to_string(),
    }
}

/// Derives the checks from a run's records of `gold` and `empty`.
pub fn checks(catalog: &Catalog, tasks: &[TaskId], records: &[AttemptRecord]) -> Vec<Check> {
    let mut out = Vec::new();
    for id in tasks {
        let task = &catalog.tasks[id];
        let find = |model: &str| {
            records
                .iter()
                .find(|r| &r.key.task == id && r.key.model == model && r.key.sample == 0)
        };
        let mut push = |name: String, ok: bool, detail: String| {
            out.push(Check {
                task: id.clone(),
                name,
                ok,
                detail,
            })
        };
        let (Some(gold), Some(empty)) = (find("gold"), find("empty")) else {
            push(
                "gold and empty attempts recorded".into(),
                false,
                "missing from the run".into(),
            );
            continue;
        };
        for (model, record) in [("gold", gold), ("empty", empty)] {
            if record.outcome == AttemptOutcome::Error {
                push(format!("{model} attempt runs"), false, describe(record));
            }
        }
        push(
            "gold resolves the task".into(),
            gold.outcome == AttemptOutcome::Resolved,
            describe(gold),
        );
        push(
            "empty does not resolve the task".into(),
            empty.outcome != AttemptOutcome::Resolved && empty.outcome != AttemptOutcome::Error,
            describe(empty),
        );
        if let Some(v) = &empty.verdict {
            let f2p_passing: Vec<String> = v
                .tests
                .tests
                .iter()
                .filter(|t| t.kind == TestKind::FailToPass && t.status.is_pass())
                .map(|t| t.id.0.clone())
                .collect();
            push(
                "every FAIL_TO_PASS test fails on the base".into(),
                f2p_passing.is_empty(),
                if f2p_passing.is_empty() {
                    format!("{} hidden tests fail", v.tests.f2p.1)
                } else {
                    format!("passing already: {}", f2p_passing.join(", "))
                },
            );
            let p2p_failing: Vec<String> = v
                .tests
                .tests
                .iter()
                .filter(|t| t.kind == TestKind::PassToPass && !t.status.is_pass())
                .map(|t| format!("{} {}", t.id, t.status))
                .collect();
            push(
                "every PASS_TO_PASS test passes on the base (the bug is silent)".into(),
                p2p_failing.is_empty(),
                if p2p_failing.is_empty() {
                    format!("{} visible tests pass", v.tests.p2p.1)
                } else {
                    format!("not passing: {}", p2p_failing.join(", "))
                },
            );
        }
        for bug in &task.seeded_bugs {
            let status_in = |r: &AttemptRecord| {
                r.verdict
                    .as_ref()
                    .and_then(|v| v.detectors.iter().find(|d| &d.bug == bug))
                    .map(|d| (d.status, d.detail.clone(), d.duration_ms))
            };
            match status_in(empty) {
                Some((status, detail, ms)) => push(
                    format!("detector of {bug} fails on the base"),
                    status != DetectorStatus::Passed,
                    format!("{status}: {detail}, {ms} ms"),
                ),
                None => push(
                    format!("detector of {bug} fails on the base"),
                    false,
                    "the detector did not run on the base".into(),
                ),
            }
            match status_in(gold) {
                Some((status, detail, ms)) => push(
                    format!("detector of {bug} passes on gold"),
                    status == DetectorStatus::Passed,
                    format!("{status}: {detail}, {ms} ms"),
                ),
                None => push(
                    format!("detector of {bug} passes on gold"),
                    false,
                    "the detector did not run on gold".into(),
                ),
            }
        }
    }
    out
}
