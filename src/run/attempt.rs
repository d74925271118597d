//! One attempt, end to end: materialize -> pack -> ask -> apply -> score (in the clean room).
//!
//! In: the task, the model, the sample index, the worker's toolchain and its bases. Out: a
//! [`Finished`] attempt: the typed [`AttemptRecord`] (its [`AttemptEnd`] says how it ended, a
//! harness error names its stage), the artifacts to keep, and the attempt's folder for the
//! caller to remove. Never fails: harness trouble becomes a harness-error ending, so the run
//! goes on with the next attempt.

use std::collections::HashMap;
use std::time::Instant;

use crate::agent::diff::tree_diff;
use crate::agent::{run_agent, AgentError, AgentJob};
use crate::attempt::{
    Artifact, AttemptEnd, AttemptKey, AttemptRecord, HarnessError, HarnessErrorKind, Timing,
};
use crate::cache::CacheLayout;
use crate::catalog::{Catalog, Task, TaskId};
use crate::materialize::{materialize_base, Base};
use crate::model::Model;
use crate::patch::{apply_reply, ApplyStatus};
use crate::score::room::EditOrigin;
use crate::score::{score_attempt, AttemptDirs, DetectorStatus};
use crate::toolchain::Toolchain;

/// Attempt folders are `ATTEMPT_PREFIX` + the refbench process id + `-` + a random suffix, in
/// the temp dir; a run removes them when the attempt ends.
pub(super) const ATTEMPT_PREFIX: &str = "refbench-attempt-";

/// Each worker's bases, by task: built once, or the harness error that stopped it.
pub(super) type Bases = HashMap<TaskId, Result<Base, HarnessError>>;

/// What a worker needs for every attempt it runs.
pub(super) struct Worker<'a> {
    /// The tasks and bugs.
    pub catalog: &'a Catalog,
    /// This worker's toolchain (its build-slot index).
    pub toolchain: &'a Toolchain,
    /// The run's cache folder.
    pub cache: &'a CacheLayout,
}

/// A finished attempt, ready for the store.
pub struct Finished {
    /// The record.
    pub record: AttemptRecord,
    /// The files to keep beside it.
    pub artifacts: Vec<(Artifact, String)>,
    /// The attempt's folder, removed when dropped (the pool hands it to a reaper thread).
    pub work: Option<tempfile::TempDir>,
}

/// Runs one attempt of `task` by `model`. `bases` is the worker's; a base missing from it is
/// materialized (the pool shares one per task between workers and puts it there first).
pub(super) fn run_attempt(
    worker: &Worker<'_>,
    task: &Task,
    model: &Model,
    sample: u32,
    bases: &mut Bases,
) -> Finished {
    let started = Instant::now();
    let key = AttemptKey {
        task: task.id.clone(),
        model: model.name().to_string(),
        sample,
    };
    let work = tempfile::Builder::new()
        .prefix(&format!("{ATTEMPT_PREFIX}{}-", std::process::id()))
        .tempdir();
    let mut progress = Progress::default();
    let end = match steps(worker, task, model, sample, bases, &work, &mut progress) {
        Ok(end) => end,
        Err(error) => AttemptEnd::HarnessError {
            error,
            apply: progress.apply.take().map(Box::new),
        },
    };
    if let Some(message) = end_error(&end) {
        progress.artifacts.push((Artifact::Error, message));
    }
    progress.timing.total_ms = started.elapsed().as_millis() as u64;
    let mut record = AttemptRecord::new(key, end);
    record.usage = progress.usage;
    record.ask = progress.ask;
    record.base_fingerprint = progress.base_fingerprint;
    record.timing = progress.timing;
    record.finished_at = super::now_rfc3339();
    Finished {
        record,
        artifacts: progress.artifacts,
        work: work.ok(),
    }
}

/// Agent mode: runs the loop in the attempt's tree (hidden tests and detectors are not there
/// until scoring), keeps its trajectory, and returns the final tree's diff against the base,
/// after putting a clean checkout of the base where the tree was: the diff is then applied and
/// graded exactly as a single-shot reply is. A model error ends the attempt as one (`Err`).
#[allow(clippy::too_many_arguments)]
fn agent_edit(
    worker: &Worker<'_>,
    task: &Task,
    model: &Model,
    sample: u32,
    work: &std::path::Path,
    repo: &std::path::Path,
    base: &Base,
    progress: &mut Progress,
) -> Result<Result<String, AttemptEnd>, HarnessError> {
    let harness = |kind, path: &std::path::Path, message: String| HarnessError {
        stage: Some(crate::attempt::Stage::Ask),
        kind: Some(kind),
        path: Some(path.to_path_buf()),
        message,
    };
    let scratch = work.join("agent");
    let job = AgentJob {
        task,
        repo,
        scratch: &scratch,
        toolchain: worker.toolchain,
        sample,
        attempt_id: AttemptKey {
            task: task.id.clone(),
            model: model.name().to_string(),
            sample,
        }
        .id(),
    };
    let run = run_agent(model, &job);
    progress.artifacts.push((
        Artifact::Trajectory,
        serde_json::to_string_pretty(&run.trajectory).expect("trajectories serialize"),
    ));
    progress.usage = run.usage;
    progress.ask = Some(run.ask);
    match run.error {
        None => {}
        Some(AgentError::Model(e)) => {
            return Ok(Err(AttemptEnd::ModelError {
                message: e.to_string(),
            }))
        }
        Some(e @ AgentError::Sandbox(_)) => {
            return Err(harness(HarnessErrorKind::Sandbox, &scratch, e.to_string()))
        }
        Some(e @ AgentError::Setup { .. }) => {
            return Err(harness(HarnessErrorKind::Io, &scratch, e.to_string()))
        }
    }
    let fresh = work.join("base");
    base.checkout(&fresh)
        .map_err(|e| HarnessError::checkout(&e))?;
    // The agent may have locked files or folders of its tree: what it left is graded, not
    // turned into a harness error by a file the diff cannot read.
    crate::fsutil::open_for_reading(repo);
    let patch = tree_diff(&fresh, repo).map_err(|e| {
        harness(
            HarnessErrorKind::Git,
            repo,
            format!("diffing the agent's tree: {e}"),
        )
    })?;
    crate::fsutil::remove_all(repo)
        .and_then(|_| std::fs::rename(&fresh, repo))
        .map_err(|e| {
            harness(
                HarnessErrorKind::Io,
                repo,
                format!("resetting the tree to the base: {e}"),
            )
        })?;
    Ok(Ok(patch))
}

fn end_error(end: &AttemptEnd) -> Option<String> {
    match end {
        AttemptEnd::ModelError { message } => Some(message.clone()),
        AttemptEnd::HarnessError { error, .. } => Some(error.message.clone()),
        _ => None,
    }
}

/// What the stages reported so far, kept whatever the attempt's ending.
#[derive(Default)]
struct Progress {
    timing: Timing,
    artifacts: Vec<(Artifact, String)>,
    usage: Option<crate::model::Usage>,
    ask: Option<crate::model::AskInfo>,
    base_fingerprint: Option<String>,
    /// The apply outcome once there is one, for a harness error after it.
    apply: Option<crate::patch::Applied>,
}

fn steps(
    worker: &Worker<'_>,
    task: &Task,
    model: &Model,
    sample: u32,
    bases: &mut Bases,
    work: &std::io::Result<tempfile::TempDir>,
    progress: &mut Progress,
) -> Result<AttemptEnd, HarnessError> {
    let bugs = worker.catalog.bugs_of(task);
    let t = Instant::now();
    let base = bases
        .entry(task.id.clone())
        .or_insert_with(|| {
            materialize_base(task, &bugs, worker.cache).map_err(|e| HarnessError::materialize(&e))
        })
        .clone()?;
    progress.base_fingerprint = Some(base.fingerprint.clone());
    let work = work.as_ref().map_err(HarnessError::attempt_dir)?;
    let repo = work.path().join("repo");
    let scratch = work.path().join("scratch");
    base.checkout(&repo)
        .map_err(|e| HarnessError::checkout(&e))?;
    progress.timing.materialize_ms = t.elapsed().as_millis() as u64;

    let reply_text = if model.is_agent() {
        let t = Instant::now();
        let edit = agent_edit(
            worker,
            task,
            model,
            sample,
            work.path(),
            &repo,
            &base,
            progress,
        );
        progress.timing.ask_ms = t.elapsed().as_millis() as u64;
        match edit? {
            Ok(patch) => patch,
            Err(end) => return Ok(end),
        }
    } else {
        let t = Instant::now();
        // What the model sees of the repository: ranked for this task, under an exact token
        // budget, with the parse cache in the run's cache folder (the built-ins and replays need
        // none).
        let context = if model.needs_context() {
            let packed = crate::pack::pack_task(
                &repo,
                task,
                crate::pack::DEFAULT_CONTEXT_BUDGET,
                worker.cache,
            )
            .map_err(|e| HarnessError::pack(&e))?;
            packed.text
        } else {
            String::new()
        };
        let asked = model.ask(task, sample, &context);
        progress.timing.ask_ms = t.elapsed().as_millis() as u64;
        let reply = match asked {
            Ok(reply) => reply,
            // The model (or its provider) failed, not the harness: recorded apart.
            Err(e) => {
                return Ok(AttemptEnd::ModelError {
                    message: e.to_string(),
                })
            }
        };
        if let Some(prompt) = &reply.prompt {
            progress.artifacts.push((Artifact::Prompt, prompt.clone()));
        }
        progress
            .artifacts
            .push((Artifact::Reply, reply.text.clone()));
        progress.usage = reply.usage.clone();
        progress.ask = Some(reply.info.clone());
        reply.text
    };

    let t = Instant::now();
    // Nothing is restored here: the clean room decides what of the edit is graded, and
    // records what it refused as integrity evidence.
    let mut applied =
        apply_reply(&repo, &reply_text, &|_| false).map_err(|e| HarnessError::apply(&e))?;
    progress.timing.apply_ms = t.elapsed().as_millis() as u64;
    // The patch is kept once, as an artifact; the record keeps the outcome.
    progress
        .artifacts
        .push((Artifact::ModelPatch, std::mem::take(&mut applied.patch)));
    if applied.status == ApplyStatus::Failed {
        return Ok(AttemptEnd::ApplyFailed {
            apply: Box::new(applied),
        });
    }
    progress.apply = Some(applied);
    let applied = progress.apply.as_ref().expect("set above");

    let dirs = AttemptDirs {
        base: &base.dir,
        edited: &repo,
        room: &work.path().join("room"),
        scratch: &scratch,
        origin: if model.is_agent() {
            EditOrigin::Agent
        } else {
            EditOrigin::Harness
        },
    };
    let scored = score_attempt(task, &bugs, &dirs, worker.toolchain, applied)
        .map_err(|e| HarnessError::score(&e))?;
    let verdict = &scored.verdict;
    let timing = &mut progress.timing;
    timing.tests_ms = verdict.tests.duration_ms;
    timing.build_ms = verdict.tests.build_ms.unwrap_or(0)
        + verdict
            .detectors
            .iter()
            .filter_map(|d| d.build_ms)
            .sum::<u64>();
    timing.rules_ms = scored.rules_ms;
    timing.setup_ms = scored.setup_ms;
    timing.grade_ms = scored.grade_ms;
    timing.detectors_ms = verdict.detectors.iter().map(|d| d.duration_ms).sum();
    debug_assert!(
        !verdict.resolved
            || verdict
                .detectors
                .iter()
                .all(|d| d.status == DetectorStatus::Passed)
    );
    progress
        .artifacts
        .push((Artifact::TestsLog, scored.tests_log));
    for (bug, log) in scored.detector_logs {
        progress.artifacts.push((Artifact::DetectorLog(bug), log));
    }
    Ok(AttemptEnd::Graded {
        apply: Box::new(progress.apply.take().expect("set above")),
        verdict: Box::new(scored.verdict),
    })
}
