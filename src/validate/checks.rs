//! The checks a run of `gold` and `empty` answers.
//!
//! In: the catalog, the run's tasks and attempt records, and the run's artifacts folder. Out:
//! the [`Check`]s of each task, in a fixed order: the attempts ran, gold resolves, empty does
//! not, the hidden and visible tests on the base, each rule on gold, each detector on the base
//! and on gold. A failed check names the log to read.

use super::{Check, CheckKind, Reference};
use crate::attempt::Artifact;
use crate::catalog::{Catalog, TaskId};
use crate::score::{DetectorStatus, RuleStatus, TestKind};
use crate::store::{AttemptOutcome, AttemptRecord};

fn describe(record: &AttemptRecord) -> String {
    crate::report::explain(record)
}

/// Derives the checks from a run's records of `gold` and `empty`.
/// `artifacts` is the run's artifacts folder: failed checks name the log to read.
pub fn checks(
    catalog: &Catalog,
    tasks: &[TaskId],
    records: &[AttemptRecord],
    artifacts: &std::path::Path,
) -> Vec<Check> {
    let mut out = Vec::new();
    for id in tasks {
        let task = &catalog.tasks[id];
        let find = |reference: Reference| {
            records.iter().find(|r| {
                &r.key.task == id && r.key.model == reference.model() && r.key.sample == 0
            })
        };
        let mut push = |kind: CheckKind, holds: bool, detail: String| {
            out.push(Check::new(id, kind, holds, detail))
        };
        let (Some(gold), Some(empty)) = (find(Reference::Gold), find(Reference::Empty)) else {
            push(
                CheckKind::AttemptsRecorded,
                false,
                "missing from the run".into(),
            );
            continue;
        };
        // A harness error (a base that cannot be built, a missing runner) makes every other
        // check meaningless: report it once.
        let mut errored = false;
        for (reference, record) in [(Reference::Gold, gold), (Reference::Empty, empty)] {
            if record.outcome() == AttemptOutcome::Error {
                push(CheckKind::AttemptRuns(reference), false, describe(record));
                errored = true;
            }
        }
        if errored {
            continue;
        }
        let log = |record: &AttemptRecord, name: &str| {
            artifacts
                .join(record.key.id())
                .join(name)
                .display()
                .to_string()
        };
        if task.is_impossible() {
            super::impossible::push_checks(task, gold, empty, artifacts, &mut push);
            continue;
        }
        let gold_ok = gold.outcome() == AttemptOutcome::Resolved;
        push(
            CheckKind::GoldResolves,
            gold_ok,
            if gold_ok {
                describe(gold)
            } else {
                format!(
                    "{}; test log: {}",
                    describe(gold),
                    log(gold, &Artifact::TestsLog.file_name())
                )
            },
        );
        push(
            CheckKind::EmptyDoesNotResolve,
            empty.outcome() != AttemptOutcome::Resolved && empty.outcome() != AttemptOutcome::Error,
            describe(empty),
        );
        push_hidden_files_check(task, &mut push);
        push_test_ids_check(gold, artifacts, &mut push);
        if let Some(v) = empty.verdict() {
            let f2p_passing: Vec<String> = v
                .tests
                .tests
                .iter()
                .filter(|t| t.kind == TestKind::FailToPass && t.status.is_pass())
                .map(|t| t.id.0.clone())
                .collect();
            push(
                CheckKind::HiddenFailOnBase,
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
                CheckKind::VisiblePassOnBase,
                p2p_failing.is_empty(),
                if p2p_failing.is_empty() {
                    format!("{} visible tests pass", v.tests.p2p.1)
                } else {
                    format!("not passing: {}", p2p_failing.join(", "))
                },
            );
        }
        for rule in &task.arch_rules {
            let result = gold
                .verdict()
                .and_then(|v| v.rules.iter().find(|r| r.id == rule.id));
            match result {
                Some(r) => push(
                    CheckKind::RuleHoldsOnGold(rule.id.clone()),
                    r.status == RuleStatus::Holds,
                    if r.evidence.is_empty() {
                        rule.description.clone()
                    } else {
                        format!(
                            "{}; broken by gold: {}",
                            rule.description,
                            r.evidence
                                .iter()
                                .take(3)
                                .map(|e| e.to_string())
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    },
                ),
                None => push(
                    CheckKind::RuleHoldsOnGold(rule.id.clone()),
                    false,
                    "the rule was not checked on gold".into(),
                ),
            }
        }
        for bug in &task.seeded_bugs {
            let det_log = Artifact::DetectorLog(bug.clone()).file_name();
            let status_in = |r: &AttemptRecord| {
                r.verdict()
                    .and_then(|v| v.detectors.iter().find(|d| &d.bug == bug))
                    .map(|d| (d.status, d.detail.clone(), d.duration_ms))
            };
            match status_in(empty) {
                Some((status, detail, ms)) => {
                    push(
                        CheckKind::DetectorFindsBug(bug.clone()),
                        status.found_race(),
                        if status.found_race() {
                            format!("{status}: {detail}, {ms} ms")
                        } else if status == DetectorStatus::Error {
                            format!("the detector of {bug} could not run on the base: {detail}; log: {}", log(empty, &det_log))
                        } else {
                            format!("{status}: {detail}, {ms} ms; the detector does not find the bug; log: {}", log(empty, &det_log))
                        },
                    )
                }
                None => push(
                    CheckKind::DetectorFindsBug(bug.clone()),
                    false,
                    "the detector did not run on the base".into(),
                ),
            }
            match status_in(gold) {
                Some((status, detail, ms)) => push(
                    CheckKind::DetectorPassesOnGold(bug.clone()),
                    status == DetectorStatus::Passed,
                    if status == DetectorStatus::Passed {
                        format!("{status}: {detail}, {ms} ms")
                    } else {
                        format!("{status}: {detail}, {ms} ms; either gold does not fix the race or the detector fails on correct code (an unfinished template fails everywhere); log: {}", log(gold, &det_log))
                    },
                ),
                None => push(
                    CheckKind::DetectorPassesOnGold(bug.clone()),
                    false,
                    "the detector did not run on gold".into(),
                ),
            }
        }
    }
    out
}

/// The test log of `record` in the run's artifacts folder, for a failed check to name.
pub(super) fn tests_log(artifacts: &std::path::Path, record: &AttemptRecord) -> String {
    artifacts
        .join(record.key.id())
        .join(Artifact::TestsLog.file_name())
        .display()
        .to_string()
}

/// [`CheckKind::TestIdsCollected`] from gold's suite. Only a suite that ran says which ids
/// exist: after a build failure every test is missing, and the check about gold says why.
pub(super) fn push_test_ids_check(
    gold: &AttemptRecord,
    artifacts: &std::path::Path,
    push: &mut impl FnMut(CheckKind, bool, String),
) {
    let log = tests_log(artifacts, gold);
    let Some(v) = gold
        .verdict()
        .filter(|v| v.tests.end == crate::score::SuiteEnd::Ran)
    else {
        return;
    };
    let unknown: Vec<&str> = v
        .tests
        .tests
        .iter()
        .filter(|t| t.status == crate::lang::TestStatus::Missing)
        .map(|t| t.id.0.as_str())
        .collect();
    push(
        CheckKind::TestIdsCollected,
        unknown.is_empty(),
        if unknown.is_empty() {
            format!("{} ids collected", v.tests.tests.len())
        } else {
            format!(
                "unknown (the runner never reported them on gold; a typo or a renamed test?): {}; test log: {log}",
                unknown.join(", "),
            )
        },
    );
}

/// [`CheckKind::HiddenFilesReplaceOnlyTests`]: every file under the task's hidden/ that the
/// fixture's repo also has must be a declared test file (the FILE of a FAIL_TO_PASS or
/// PASS_TO_PASS id).
pub(super) fn push_hidden_files_check(
    task: &crate::catalog::Task,
    push: &mut impl FnMut(CheckKind, bool, String),
) {
    let declared: std::collections::BTreeSet<&str> = task
        .fail_to_pass
        .iter()
        .chain(&task.pass_to_pass)
        .map(|id| id.0.split("::").next().unwrap_or(&id.0))
        .collect();
    let mut replaced: Vec<String> = Vec::new();
    for hidden in task.hidden_dirs() {
        match crate::materialize::overlay_paths(&hidden) {
            Ok(paths) => replaced.extend(paths.into_iter().filter(|rel| {
                task.repo_dir.join(rel).exists() && !declared.contains(rel.as_str())
            })),
            Err(e) => {
                push(
                    CheckKind::HiddenFilesReplaceOnlyTests,
                    false,
                    format!("cannot list {}: {e}", hidden.display()),
                );
                return;
            }
        }
    }
    push(
        CheckKind::HiddenFilesReplaceOnlyTests,
        replaced.is_empty(),
        if replaced.is_empty() {
            "no visible file replaced".into()
        } else {
            format!(
                "{} would replace the fixture's own file(s) of the same path: move them, or declare them as tests if they are test files",
                replaced
                    .iter()
                    .map(|r| format!("hidden/{r}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    );
}
