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
//! - each seeded bug's detector fails on the base and passes on gold;
//! - each architectural rule holds on gold (on the base it may hold or not: a rule such as
//!   "this import is forbidden" can hold before the refactor).

use crate::catalog::{Catalog, TaskId};
use crate::score::{DetectorStatus, TestKind};
use crate::store::{AttemptOutcome, AttemptRecord};

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
        // A harness error (a base that cannot be built, a missing runner) makes every other
        // check meaningless: report it once.
        let mut errored = false;
        for (model, record) in [("gold", gold), ("empty", empty)] {
            if record.outcome() == AttemptOutcome::Error {
                push(format!("{model} attempt runs"), false, describe(record));
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
        let gold_ok = gold.outcome() == AttemptOutcome::Resolved;
        push(
            "gold resolves the task".into(),
            gold_ok,
            if gold_ok {
                describe(gold)
            } else {
                format!(
                    "{}; test log: {}",
                    describe(gold),
                    log(gold, &crate::attempt::Artifact::TestsLog.file_name())
                )
            },
        );
        push(
            "empty does not resolve the task".into(),
            empty.outcome() != AttemptOutcome::Resolved && empty.outcome() != AttemptOutcome::Error,
            describe(empty),
        );
        if let Some(v) = empty.verdict() {
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
        for rule in &task.arch_rules {
            let result = gold
                .verdict()
                .and_then(|v| v.rules.iter().find(|r| r.id == rule.id));
            match result {
                Some(r) => push(
                    format!("rule {} holds on gold", rule.id),
                    r.status == crate::score::RuleStatus::Holds,
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
                    format!("rule {} holds on gold", rule.id),
                    false,
                    "the rule was not checked on gold".into(),
                ),
            }
        }
        for bug in &task.seeded_bugs {
            let det_log = crate::attempt::Artifact::DetectorLog(bug.clone()).file_name();
            let status_in = |r: &AttemptRecord| {
                r.verdict()
                    .and_then(|v| v.detectors.iter().find(|d| &d.bug == bug))
                    .map(|d| (d.status, d.detail.clone(), d.duration_ms))
            };
            match status_in(empty) {
                Some((status, detail, ms)) => push(
                    format!("detector of {bug} fails on the base"),
                    status != DetectorStatus::Passed,
                    if status != DetectorStatus::Passed {
                        format!("{status}: {detail}, {ms} ms")
                    } else {
                        format!("{status}: {detail}, {ms} ms; the detector does not find the bug; log: {}", log(empty, &det_log))
                    },
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
                    if status == DetectorStatus::Passed {
                        format!("{status}: {detail}, {ms} ms")
                    } else {
                        format!("{status}: {detail}, {ms} ms; either gold does not fix the race or the detector fails on correct code (an unfinished template fails everywhere); log: {}", log(gold, &det_log))
                    },
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

/// How one detector behaved over repeated runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorStats {
    /// The task whose base and gold were used.
    pub task: TaskId,
    /// The bug.
    pub bug: crate::catalog::BugId,
    /// Its kind.
    pub kind: crate::catalog::BugKind,
    /// Runs on each tree.
    pub runs: u32,
    /// Runs on the base that found the bug.
    pub detected: u32,
    /// Runs on gold that reported a bug (false alarms).
    pub false_alarms: u32,
    /// Longest single detector run, in ms.
    pub max_ms: u64,
    /// Median detector run, in ms.
    pub median_ms: u64,
    /// The uncounted first run per tree (builds the detector: cargo compiles shuttle and the
    /// crate), longest of the two, in ms.
    pub warmup_ms: u64,
}

/// Runs every detector of `task` `runs` times on the base and `runs` times on the base with the
/// gold patch applied, counting detections and false alarms.
pub fn repeat_detectors(
    catalog: &Catalog,
    task: &crate::catalog::Task,
    runs: u32,
    cache: &crate::cache::CacheLayout,
    toolchain: &crate::toolchain::Toolchain,
    unexpected_logs: &std::path::Path,
) -> Result<Vec<DetectorStats>, String> {
    use crate::materialize::{materialize_base, overlay_files};
    let bugs = catalog.bugs_of(task);
    let base =
        materialize_base(task, &bugs, cache).map_err(|e| format!("materializing the base: {e}"))?;
    let work = tempfile::Builder::new()
        .prefix("refbench-repeat-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let base_tree = work.path().join("base");
    let gold_tree = work.path().join("gold");
    base.checkout(&base_tree).map_err(|e| e.to_string())?;
    base.checkout(&gold_tree).map_err(|e| e.to_string())?;
    let applied =
        crate::patch::apply_reply(&gold_tree, &task.gold_patch, &|p| task.is_protected(p))
            .map_err(|e| e.to_string())?;
    if applied.status != crate::patch::ApplyStatus::Exact {
        return Err(format!(
            "the gold patch does not apply: {}",
            applied.reason.unwrap_or_default()
        ));
    }
    let mut out = Vec::new();
    for bug in bugs {
        let mut times = Vec::new();
        let mut stats = DetectorStats {
            task: task.id.clone(),
            bug: bug.id.clone(),
            kind: bug.kind,
            runs,
            detected: 0,
            false_alarms: 0,
            max_ms: 0,
            median_ms: 0,
            warmup_ms: 0,
        };
        for tree in [&base_tree, &gold_tree] {
            overlay_files(&bug.detector_dir(), tree).map_err(|e| e.to_string())?;
        }
        // Tree by tree, so a Rust fixture is rebuilt once per tree, not once per run.
        for (tree, on_base) in [(&base_tree, true), (&gold_tree, false)] {
            let slot = toolchain
                .build_slot(task, tree)
                .map_err(|e| e.to_string())?;
            // One uncounted run first, so the table measures detection, not compilation.
            let warmup = work.path().join(format!("scratch-warmup-{on_base}"));
            let (result, _) =
                crate::score::run_detector(task, bug, slot.tree(), &warmup, toolchain, &slot)
                    .map_err(|e| e.to_string())?;
            stats.warmup_ms = stats.warmup_ms.max(result.duration_ms);
            for i in 0..runs {
                let scratch = work.path().join(format!("scratch-{i}-{on_base}"));
                let (result, log) =
                    crate::score::run_detector(task, bug, slot.tree(), &scratch, toolchain, &slot)
                        .map_err(|e| e.to_string())?;
                let found = result.status != DetectorStatus::Passed;
                // Keep the log of every run that went the wrong way: a miss on the base or a
                // false alarm on gold is what someone will need to read.
                if found != on_base {
                    let name = format!(
                        "{}__{}__{}-{i}.log",
                        task.id.0.replace('/', "__"),
                        bug.id.0.replace('/', "__"),
                        if on_base {
                            "base-missed"
                        } else {
                            "gold-false-alarm"
                        }
                    );
                    let _ = std::fs::create_dir_all(unexpected_logs);
                    let _ = std::fs::write(unexpected_logs.join(name), log);
                }
                if on_base && found {
                    stats.detected += 1;
                }
                if !on_base && found {
                    stats.false_alarms += 1;
                }
                times.push(result.duration_ms);
                let _ = std::fs::remove_dir_all(&scratch);
            }
        }
        times.sort_unstable();
        stats.max_ms = times.last().copied().unwrap_or(0);
        stats.median_ms = times.get(times.len() / 2).copied().unwrap_or(0);
        out.push(stats);
    }
    Ok(out)
}

/// Checks from repeated detector runs: every run on the base detects, no run on gold does.
pub fn repeat_checks(stats: &[DetectorStats]) -> Vec<Check> {
    let mut out = Vec::new();
    for s in stats {
        out.push(Check {
            task: s.task.clone(),
            name: format!(
                "detector of {} detects the bug in every run on the base",
                s.bug
            ),
            ok: s.detected == s.runs,
            detail: format!(
                "{}/{} runs; logs of misses under repeat-logs/ in the run",
                s.detected, s.runs
            ),
        });
        out.push(Check {
            task: s.task.clone(),
            name: format!("detector of {} raises no false alarm on gold", s.bug),
            ok: s.false_alarms == 0,
            detail: format!("{}/{} false alarms", s.false_alarms, s.runs),
        });
    }
    out
}

/// The detector table (Markdown) kept in docs/fixtures.md.
pub fn render_detector_table(stats: &[DetectorStats]) -> String {
    let mut out = String::from("| task | bug | kind | detection rate (base) | false alarms (gold) | median | max | first run (build) |\n|---|---|---|---|---|---|---|---|\n");
    for s in stats {
        out.push_str(&format!(
            "| {} | {} | {} | {}/{} | {}/{} | {:.2} s | {:.2} s | {:.1} s |\n",
            s.task,
            s.bug,
            s.kind,
            s.detected,
            s.runs,
            s.false_alarms,
            s.runs,
            s.median_ms as f64 / 1000.0,
            s.max_ms as f64 / 1000.0,
            s.warmup_ms as f64 / 1000.0
        ));
    }
    out
}
