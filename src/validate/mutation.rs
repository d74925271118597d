//! The mutation check: gold with a seeded bug put back must fail that bug's detector.
//!
//! In: the catalog, the tasks (impossible variants are skipped: their bugs and gold are their
//! task's), the cache folders, the sandbox mode and a folder for the logs of checks that
//! failed. Out: one [`CheckKind::MutantFailsDetector`] per seeded bug of each task.
//!
//! A detector that passes on gold and fails on the base may still be blind to the bug: it may
//! fail on the base for another reason the refactor happens to remove (a renamed function, a
//! module gold deletes). Putting only the bug back into gold's tree and asking the detector
//! again tells the two apart.
//!
//! The bug is put back with its inject.patch, applied exactly or at an offset (the same lines
//! elsewhere in the file); when gold moved the code so that it no longer applies, the bug may
//! declare `gold_inject/TASK.patch` (a patch over the task's gold tree) and that is used
//! instead. When neither applies the check fails, naming the bug, the patch and why.

use std::path::Path;

use super::repeat::{checkout_gold, prepare_toolchain, RepeatError};
use super::{Check, CheckKind};
use crate::cache::CacheLayout;
use crate::catalog::{Catalog, SeededBug, Task, TaskId};
use crate::materialize::{materialize_base, overlay_files};
use crate::patch::{apply_reply, ApplyStatus};
use crate::sandbox::SandboxMode;
use crate::score::{run_detector, DetectorStatus};
use crate::toolchain::{Toolchain, ToolchainError};

/// Which patch put the bug back into gold's tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectSource {
    /// The bug's inject.patch (written against the fixture).
    InjectPatch,
    /// The bug's `gold_inject/TASK.patch` (written against the task's gold tree).
    GoldInject,
}

impl std::fmt::Display for InjectSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            InjectSource::InjectPatch => "inject.patch",
            InjectSource::GoldInject => "gold_inject",
        })
    }
}

/// What putting one bug back into gold and running its detector gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MutantRun {
    /// The bug could not be put back.
    DoesNotApply {
        /// The patch tried last.
        source: InjectSource,
        /// Why it did not apply.
        reason: String,
    },
    /// The detector ran on the mutant.
    Ran {
        /// The patch that put the bug back.
        source: InjectSource,
        /// What the detector said.
        status: DetectorStatus,
        /// Its one-line detail.
        detail: String,
        /// How long it ran.
        duration_ms: u64,
        /// Where its log was kept (when the check failed).
        log: Option<String>,
    },
}

/// The check one [`MutantRun`] answers.
pub fn mutation_check(task: &TaskId, bug: &SeededBug, run: &MutantRun) -> Check {
    let kind = CheckKind::MutantFailsDetector(bug.id.clone());
    match run {
        MutantRun::DoesNotApply { source, reason } => Check::new(
            task,
            kind,
            false,
            format!(
                "cannot put {} back into gold: its {source} does not apply ({reason}); gold moved the code: write {}/gold_inject/{}.patch, the bug as a patch over gold's tree",
                bug.id,
                bug.dir.display(),
                task.0.rsplit('/').next().unwrap_or(&task.0)
            ),
        ),
        MutantRun::Ran {
            source,
            status,
            detail,
            duration_ms,
            log,
        } => {
            let log = log
                .as_deref()
                .map(|l| format!("; log: {l}"))
                .unwrap_or_default();
            let (holds, why) = match status {
                s if s.found_race() => (true, String::new()),
                DetectorStatus::Error => (
                    false,
                    "; the detector could not run on the mutant (an error is never a detection)"
                        .to_string(),
                ),
                _ => (
                    false,
                    format!("; the detector does not notice {} in gold's tree: it may fail on the base for another reason the refactor removes", bug.id),
                ),
            };
            Check::new(
                task,
                kind,
                holds,
                format!("bug put back with {source}; {status}: {detail}, {duration_ms} ms{why}{log}"),
            )
        }
    }
}

/// Puts `bug` back into the gold tree at `tree`: its `gold_inject` patch for `task` when it
/// has one, else its inject.patch, applied exactly or at an offset. Returns the patch used, or
/// the one tried and why it did not apply (the tree is then to be discarded: an approximate
/// apply has changed it).
pub fn put_bug_back(
    tree: &Path,
    task: &Task,
    bug: &SeededBug,
) -> Result<Result<InjectSource, (InjectSource, String)>, RepeatError> {
    let folder = task.dir.file_name().unwrap_or_default().to_string_lossy();
    let (source, patch) = match bug.gold_inject.get(folder.as_ref()) {
        Some(patch) => (InjectSource::GoldInject, patch),
        None => (InjectSource::InjectPatch, &bug.inject_patch),
    };
    let applied = apply_reply(tree, patch, &|_| false)?;
    Ok(match applied.status {
        ApplyStatus::Exact | ApplyStatus::Offset => Ok(source),
        status => Err((
            source,
            applied
                .reason
                .unwrap_or_else(|| format!("it applies only as {status}")),
        )),
    })
}

/// The mutation checks of every task in `tasks` but impossible variants, with a toolchain
/// prepared as a run prepares it. `on_task` hears of each task before its detectors start.
/// Errs only when the toolchain itself cannot be prepared.
pub fn mutation_checks(
    catalog: &Catalog,
    tasks: &[TaskId],
    cache: &CacheLayout,
    sandbox: SandboxMode,
    failed_logs: &Path,
    on_task: &mut dyn FnMut(&TaskId),
) -> Result<Vec<Check>, ToolchainError> {
    let tasks: Vec<TaskId> = tasks
        .iter()
        .filter(|t| !catalog.tasks[*t].is_impossible())
        .cloned()
        .collect();
    if tasks.is_empty() {
        return Ok(Vec::new());
    }
    let toolchain = prepare_toolchain(catalog, &tasks, cache, sandbox)?;
    let _cache_in_use = crate::cache::hold(cache);
    let mut checks = Vec::new();
    for id in &tasks {
        on_task(id);
        let task = &catalog.tasks[id];
        match mutate_task(catalog, task, cache, &toolchain, failed_logs) {
            Ok(mut found) => checks.append(&mut found),
            Err(e) => {
                for bug in &task.seeded_bugs {
                    checks.push(Check::new(
                        id,
                        CheckKind::MutantFailsDetector(bug.clone()),
                        false,
                        format!("the mutant could not be built or run: {e}"),
                    ));
                }
            }
        }
    }
    Ok(checks)
}

/// For each bug of `task`: gold's tree, the bug put back, its detector run once.
fn mutate_task(
    catalog: &Catalog,
    task: &Task,
    cache: &CacheLayout,
    toolchain: &Toolchain,
    failed_logs: &Path,
) -> Result<Vec<Check>, RepeatError> {
    let bugs = catalog.bugs_of(task);
    let base = materialize_base(task, &bugs, cache).map_err(RepeatError::Materialize)?;
    let work = tempfile::Builder::new()
        .prefix("refbench-mutant-")
        .tempdir()
        .map_err(RepeatError::Scratch)?;
    let mut out = Vec::new();
    for bug in &bugs {
        let name = bug.id.0.replace('/', "__");
        let tree = work.path().join(&name);
        checkout_gold(&base, task, &tree)?;
        let run = match put_bug_back(&tree, task, bug)? {
            Err((source, reason)) => MutantRun::DoesNotApply { source, reason },
            Ok(source) => {
                overlay_files(&bug.detector_dir(), &tree).map_err(RepeatError::Tree)?;
                let slot = toolchain.build_slot(task, &tree)?;
                let scratch = work.path().join(format!("scratch-{name}"));
                let ran = run_detector(task, bug, slot.tree(), &scratch, toolchain, &slot, &[])?;
                let status = ran.result.status;
                let log = (!status.found_race()).then(|| {
                    let path = failed_logs.join(format!(
                        "{}__{name}__mutant.log",
                        task.id.0.replace('/', "__")
                    ));
                    let _ = std::fs::create_dir_all(failed_logs);
                    let _ = std::fs::write(&path, &ran.log);
                    path.display().to_string()
                });
                MutantRun::Ran {
                    source,
                    status,
                    detail: ran.result.detail,
                    duration_ms: ran.result.duration_ms,
                    log,
                }
            }
        };
        out.push(mutation_check(&task.id, bug, &run));
        let _ = std::fs::remove_dir_all(&tree);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
