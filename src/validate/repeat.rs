//! `validate --repeat N`: every detector run N times on the base and N times on gold.
//!
//! In: the catalog, the tasks, N, the cache folders, the sandbox mode and a folder for the logs
//! of runs that went the wrong way. Out: [`DetectorStats`] per seeded bug (detections, false
//! alarms, median and longest run, the uncounted first run that builds), the checks they
//! answer ([`repeat_checks`]), and the Markdown table kept in docs/fixtures.md
//! ([`render_detector_table`]).
//!
//! [`repeat_all_detectors`] prepares the toolchain the way a run does (Python environment when
//! a task needs one, the run's sandbox mode, the cache held so `refbench cache clear` waits);
//! a task whose detectors cannot be run becomes a failed check, not an error of the whole
//! validation.

use std::path::Path;

use super::{Check, CheckKind};
use crate::cache::CacheLayout;
use crate::catalog::{BugId, BugKind, Catalog, Language, Task, TaskId, TaskVariant};
use crate::materialize::{materialize_base, overlay_files, Base, MaterializeError};
use crate::patch::{apply_reply, ApplyStatus, PatchError};
use crate::report::Table;
use crate::sandbox::SandboxMode;
use crate::score::{run_detector, ScoreError};
use crate::toolchain::{Toolchain, ToolchainError};

/// Why the detectors of one task could not be run again.
#[derive(Debug, thiserror::Error)]
pub enum RepeatError {
    /// The task's base could not be built.
    #[error("materializing the base: {0}")]
    Materialize(#[source] MaterializeError),
    /// No scratch folder for the two trees.
    #[error("creating a scratch folder: {0}")]
    Scratch(#[source] std::io::Error),
    /// Copying the base or the detector's files into a tree failed.
    #[error(transparent)]
    Tree(MaterializeError),
    /// The attempt repository broke while the gold patch was applied.
    #[error(transparent)]
    Patch(#[from] PatchError),
    /// The gold patch applies only approximately or not at all.
    #[error("the gold patch does not apply: {reason}")]
    GoldDoesNotApply {
        /// The patch stage's reason.
        reason: String,
    },
    /// No build slot for the tree.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    /// The detector itself could not be run.
    #[error(transparent)]
    Detector(#[from] ScoreError),
}

/// How one detector behaved over repeated runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorStats {
    /// The task whose base and gold were used.
    pub task: TaskId,
    /// The bug.
    pub bug: BugId,
    /// Its kind.
    pub kind: BugKind,
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

/// What repeating the detectors of several tasks found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repeated {
    /// One per seeded bug of the tasks whose detectors ran.
    pub stats: Vec<DetectorStats>,
    /// A failed [`CheckKind::DetectorsRepeat`] per task whose detectors could not run, then
    /// the [`repeat_checks`] of `stats`.
    pub checks: Vec<Check>,
}

/// The toolchain a run of `tasks` prepares (the Python environment when one needs it), with
/// the run's sandbox mode.
pub(super) fn prepare_toolchain(
    catalog: &Catalog,
    tasks: &[TaskId],
    cache: &CacheLayout,
    sandbox: SandboxMode,
) -> Result<Toolchain, ToolchainError> {
    let needs_python = tasks
        .iter()
        .any(|t| catalog.tasks[t].language == Language::Python);
    let mut toolchain = Toolchain::prepare(&catalog.root, cache, 0, needs_python)?;
    toolchain.sandbox = sandbox;
    Ok(toolchain)
}

/// Checks `base` out into `dest` and applies the task's gold patch, which must apply exactly.
pub(super) fn checkout_gold(base: &Base, task: &Task, dest: &Path) -> Result<(), RepeatError> {
    base.checkout(dest).map_err(RepeatError::Tree)?;
    let applied = apply_reply(dest, &task.gold_patch, &|p| task.is_protected(p))?;
    if applied.status != ApplyStatus::Exact {
        return Err(RepeatError::GoldDoesNotApply {
            reason: applied
                .reason
                .unwrap_or_else(|| format!("it applies only as {}", applied.status)),
        });
    }
    Ok(())
}

/// Runs the detectors of every task in `tasks` `runs` times on its base and on gold (see
/// [`repeat_detectors`]), with a toolchain prepared as a run prepares it. `on_task` hears of
/// each task before its detectors start (they can take minutes). An impossible variant whose
/// task is also in `tasks` is skipped: it has the task's base, gold and bugs, so its detectors
/// would run on exactly the same trees again. Errs only when the toolchain itself cannot be
/// prepared.
pub fn repeat_all_detectors(
    catalog: &Catalog,
    tasks: &[TaskId],
    runs: u32,
    cache: &CacheLayout,
    sandbox: SandboxMode,
    unexpected_logs: &Path,
    on_task: &mut dyn FnMut(&TaskId),
) -> Result<Repeated, ToolchainError> {
    let toolchain = prepare_toolchain(catalog, tasks, cache, sandbox)?;
    // As a run does: no `refbench cache clear` under the detectors.
    let _cache_in_use = crate::cache::hold(cache);
    let mut repeated = Repeated::default();
    for id in tasks {
        let task = &catalog.tasks[id];
        if let TaskVariant::Impossible(variant) = &task.variant {
            if tasks.contains(&variant.of) {
                continue;
            }
        }
        on_task(id);
        match repeat_detectors(catalog, task, runs, cache, &toolchain, unexpected_logs) {
            Ok(stats) => repeated.stats.extend(stats),
            Err(e) => repeated.checks.push(Check::new(
                id,
                CheckKind::DetectorsRepeat { runs },
                false,
                e.to_string(),
            )),
        }
    }
    repeated.checks.extend(repeat_checks(&repeated.stats));
    Ok(repeated)
}

/// Runs every detector of `task` `runs` times on the base and `runs` times on the base with the
/// gold patch applied, counting detections and false alarms.
pub fn repeat_detectors(
    catalog: &Catalog,
    task: &Task,
    runs: u32,
    cache: &CacheLayout,
    toolchain: &Toolchain,
    unexpected_logs: &Path,
) -> Result<Vec<DetectorStats>, RepeatError> {
    let bugs = catalog.bugs_of(task);
    let base = materialize_base(task, &bugs, cache).map_err(RepeatError::Materialize)?;
    let work = tempfile::Builder::new()
        .prefix("refbench-repeat-")
        .tempdir()
        .map_err(RepeatError::Scratch)?;
    let base_tree = work.path().join("base");
    let gold_tree = work.path().join("gold");
    base.checkout(&base_tree).map_err(RepeatError::Tree)?;
    checkout_gold(&base, task, &gold_tree)?;
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
            overlay_files(&bug.detector_dir(), tree).map_err(RepeatError::Tree)?;
        }
        // Tree by tree, so a Rust fixture is rebuilt once per tree, not once per run.
        for (tree, on_base) in [(&base_tree, true), (&gold_tree, false)] {
            let slot = toolchain.build_slot(task, tree)?;
            // One uncounted run first, so the table measures detection, not compilation.
            let warmup = work.path().join(format!("scratch-warmup-{on_base}"));
            let result =
                run_detector(task, bug, slot.tree(), &warmup, toolchain, &slot, &[])?.result;
            stats.warmup_ms = stats.warmup_ms.max(result.duration_ms);
            for i in 0..runs {
                let scratch = work.path().join(format!("scratch-{i}-{on_base}"));
                let run = run_detector(task, bug, slot.tree(), &scratch, toolchain, &slot, &[])?;
                let (result, log) = (run.result, run.log);
                let found = result.status.found_race();
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
        out.push(Check::new(
            &s.task,
            CheckKind::DetectorAlwaysFindsBug(s.bug.clone()),
            s.detected == s.runs,
            format!(
                "{}/{} runs; logs of misses under repeat-logs/ in the run",
                s.detected, s.runs
            ),
        ));
        out.push(Check::new(
            &s.task,
            CheckKind::DetectorNoFalseAlarm(s.bug.clone()),
            s.false_alarms == 0,
            format!("{}/{} false alarms", s.false_alarms, s.runs),
        ));
    }
    out
}

/// The detector table (Markdown) kept in docs/fixtures.md.
pub fn render_detector_table(stats: &[DetectorStats]) -> String {
    let mut table = Table::names_then_numbers(&[
        "task",
        "bug",
        "kind",
        "detection rate (base)",
        "false alarms (gold)",
        "median",
        "max",
        "first run (build)",
    ]);
    for s in stats {
        table.push(vec![
            s.task.to_string(),
            s.bug.to_string(),
            s.kind.to_string(),
            format!("{}/{}", s.detected, s.runs),
            format!("{}/{}", s.false_alarms, s.runs),
            format!("{:.2} s", s.median_ms as f64 / 1000.0),
            format!("{:.2} s", s.max_ms as f64 / 1000.0),
            format!("{:.1} s", s.warmup_ms as f64 / 1000.0),
        ]);
    }
    table.markdown()
}
