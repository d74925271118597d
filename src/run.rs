//! The run loop: plans the attempts of a run (tasks x models x samples), skips those already
//! recorded, and for each of the rest wires the stages materialize -> ask -> apply -> score and
//! hands the record to the store. It owns no stage's logic and never formats output: it emits
//! [`RunEvent`]s that the caller's observer turns into progress lines or bars.
//!
//! Attempts run on `--jobs` worker threads, Rust ones first (they compile, so they take the
//! longest), in plan order otherwise; the calling thread is the store's single writer
//! (workers send finished records over a channel, each is recorded durably before observers
//! hear of it), so resume after a crash works as with one worker. Each worker starts its search
//! for a free cargo build slot at its own index. Before anything runs, the sandbox checks the
//! host (a missing layer stops the run unless `--sandbox none`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Instant;

use crate::cache::CacheLayout;
use crate::catalog::{Catalog, Language, Task, TaskId};
use crate::materialize::{inputs_fingerprint, materialize_base, Base, MaterializeError};
use crate::model::{Model, ModelError, ModelSet, ModelSettings};
use crate::patch::{apply_reply, ApplyStatus};
use crate::sandbox::{SandboxError, SandboxMode};
use crate::score::{score_attempt, DetectorStatus};
use crate::store::{
    AttemptKey, AttemptOutcome, AttemptRecord, RunMeta, RunStore, StoreError, Timing,
};
use crate::toolchain::Toolchain;

/// Why a run could not start or continue (each attempt's own failures are outcomes instead).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A `--task` pattern matched nothing or was invalid.
    #[error("{0}")]
    Selection(String),
    /// A `--model` name is unknown.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The store failed; the run stops so nothing is lost silently.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Fingerprinting a task's inputs failed.
    #[error("task {task}: {source}")]
    Inputs {
        /// The task.
        task: TaskId,
        /// The cause.
        source: MaterializeError,
    },
    /// Resuming a run whose inputs changed.
    #[error("cannot resume run {run}: {reason}; start a new run instead")]
    ResumeMismatch {
        /// The run.
        run: String,
        /// What differs.
        reason: String,
    },
    /// Bad option values.
    #[error("{0}")]
    Options(String),
    /// A language toolchain could not be prepared (nothing was graded).
    #[error("preparing the test toolchain: {0}")]
    Toolchain(crate::toolchain::ToolchainError),
    /// The sandbox cannot run on this host (nothing was graded).
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Task globs (empty: all).
    pub tasks: Vec<String>,
    /// Model names.
    pub models: Vec<String>,
    /// Samples per task and model.
    pub samples: u32,
    /// Where runs are stored.
    pub runs_dir: PathBuf,
    /// refbench's cache (bases, build caches).
    pub cache: CacheLayout,
    /// Continue this run instead of starting one.
    pub resume: Option<String>,
    /// On resume, run errored attempts again.
    pub retry_errors: bool,
    /// Id prefix for a new run (`run`, `validate`).
    pub id_prefix: String,
    /// Evaluate only this shard of the plan.
    pub shard: Option<crate::plan::Shard>,
    /// Attempts run at once (at least 1).
    pub jobs: usize,
    /// Containment of test and detector commands (a resumed run keeps its recorded mode).
    pub sandbox: SandboxMode,
    /// refbench.toml, the response cache and `--record` (default: built-ins only).
    pub model_settings: ModelSettings,
}

/// The number of cores, the default of `--jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Progress of a run, for observers.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// The plan is known.
    Started {
        /// The run id.
        run_id: &'a str,
        /// Attempts in the plan.
        total: usize,
        /// Of those, already recorded (resume).
        done: usize,
    },
    /// An attempt begins.
    AttemptStarted {
        /// Which.
        key: &'a AttemptKey,
    },
    /// An attempt was recorded durably.
    AttemptFinished {
        /// Its record.
        record: &'a AttemptRecord,
    },
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn new_run_id(prefix: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second][subsecond digits:3]"
        ))
        .unwrap_or_default();
    // Ids sort by start time to the millisecond, so "the newest run" (`show latest`, `list
    // runs`) is the one started last even when two start in the same second; the suffix keeps
    // ids unique when two start in the same millisecond.
    let salt = (now.nanosecond() ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("{stamp}-{prefix}-{salt:04x}")
}

fn refbench_commit(root: &std::path::Path) -> Option<String> {
    let repo = git2::Repository::discover(root).ok()?;
    let id = repo.head().ok()?.peel_to_commit().ok()?.id().to_string();
    let dirty = repo
        .statuses(None)
        .map(|s| s.iter().any(|e| !e.status().is_ignored()))
        .unwrap_or(false);
    Some(if dirty { format!("{id}-dirty") } else { id })
}

/// Runs (or resumes) a run. Returns the store with every planned attempt recorded.
pub fn execute(
    catalog: &Catalog,
    options: &RunOptions,
    on_event: &mut dyn FnMut(RunEvent<'_>),
) -> Result<RunStore, RunError> {
    let models = ModelSet::load(&options.model_settings)?;
    // Keeps `refbench cache clear` from removing bases and build caches under the attempts.
    let _cache_in_use = crate::cache::hold(&options.cache);
    let (mut store, meta) = match &options.resume {
        Some(run_id) => {
            let store = RunStore::open(&options.runs_dir, run_id)?;
            let meta = store.meta()?;
            check_resumable(catalog, &meta, &models)?;
            (store, meta)
        }
        None => {
            if options.samples == 0 {
                return Err(RunError::Options("--samples must be at least 1".into()));
            }
            if options.models.is_empty() {
                return Err(RunError::Options("no model given".into()));
            }
            for name in &options.models {
                models.resolve(name)?;
            }
            let tasks = catalog
                .select(&options.tasks)
                .map_err(RunError::Selection)?;
            let mut task_fingerprints = BTreeMap::new();
            for task in &tasks {
                let fp = inputs_fingerprint(task, &catalog.bugs_of(task)).map_err(|source| {
                    RunError::Inputs {
                        task: task.id.clone(),
                        source,
                    }
                })?;
                task_fingerprints.insert(task.id.clone(), fp);
            }
            let meta = RunMeta {
                run_id: new_run_id(&options.id_prefix),
                created_at: now_rfc3339(),
                refbench_version: env!("CARGO_PKG_VERSION").to_string(),
                refbench_commit: refbench_commit(&catalog.root),
                tasks: tasks.iter().map(|t| t.id.clone()).collect(),
                models: options.models.clone(),
                samples: options.samples,
                task_fingerprints,
                sandbox: options.sandbox,
                shard: options.shard,
                merged_from: vec![],
            };
            (RunStore::create(&options.runs_dir, &meta)?, meta)
        }
    };

    let mut plan = Vec::new();
    for task in &meta.tasks {
        for model in &meta.models {
            for sample in 0..meta.samples {
                plan.push(AttemptKey {
                    task: task.clone(),
                    model: model.clone(),
                    sample,
                });
            }
        }
    }
    if let Some(shard) = meta.shard {
        plan = shard.select(&plan).into_iter().cloned().collect();
    }
    let finished = store.finished(!options.retry_errors)?;
    let mut todo: Vec<&AttemptKey> = plan.iter().filter(|k| !finished.contains(k)).collect();
    // Longest first: Rust attempts compile before they test, so they start first and the
    // shorter Python ones fill in at the end, instead of one worker finishing a build alone
    // while the other has nothing left. The plan's order is kept otherwise; results do not
    // depend on it.
    todo.sort_by_key(|k| catalog.tasks[&k.task].language != Language::Rust);
    on_event(RunEvent::Started {
        run_id: &meta.run_id,
        total: plan.len(),
        done: plan.len() - todo.len(),
    });

    // Runs recorded before the full sandbox existed are finished with it.
    let sandbox = match meta.sandbox {
        SandboxMode::None => SandboxMode::None,
        SandboxMode::Full | SandboxMode::ProcessGroup => SandboxMode::Full,
    };
    if sandbox == SandboxMode::Full && !todo.is_empty() {
        crate::sandbox::check_host()?;
    }
    if options.jobs == 0 {
        return Err(RunError::Options("--jobs must be at least 1".into()));
    }
    let needs_python = todo
        .iter()
        .any(|k| catalog.tasks[&k.task].language == crate::catalog::Language::Python);
    let mut toolchain = Toolchain::prepare(&catalog.root, &options.cache, 0, needs_python)
        .map_err(RunError::Toolchain)?;
    toolchain.sandbox = sandbox;
    run_pool(
        catalog, options, &models, &toolchain, &todo, &mut store, on_event,
    )?;
    Ok(store)
}

/// What a worker tells the thread that owns the store.
enum WorkerMessage<'k> {
    Started(&'k AttemptKey),
    Finished(Box<(AttemptRecord, Vec<(String, String)>)>),
    Failed(RunError),
}

/// Runs `todo` on `options.jobs` worker threads. The calling thread is the store's only
/// writer: workers send each finished attempt over a channel, and it is recorded durably
/// before the observer hears of it, so an interrupted run resumes exactly where it stopped.
/// A store failure stops the workers after their current attempt.
fn run_pool(
    catalog: &Catalog,
    options: &RunOptions,
    models: &ModelSet,
    toolchain: &Toolchain,
    todo: &[&AttemptKey],
    store: &mut RunStore,
    on_event: &mut dyn FnMut(RunEvent<'_>),
) -> Result<(), RunError> {
    let jobs = options.jobs.clamp(1, todo.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // One base per task for the whole pool: the first worker to need it materializes it, the
    // others wait for it instead of building the same base at the same time.
    type SharedBase = Arc<OnceLock<Result<Base, String>>>;
    let shared_bases: Mutex<HashMap<TaskId, SharedBase>> = Mutex::new(HashMap::new());
    let (tx, rx) = mpsc::channel::<WorkerMessage<'_>>();
    std::thread::scope(|scope| -> Result<(), RunError> {
        // Finished attempts' directories are removed on their own thread: deleting a few
        // hundred files can take half a second on a slow disk, and the next attempt need not
        // wait for it. The scope ends only when every directory is gone.
        // It first removes what killed runs left behind.
        let (reap_tx, reap_rx) = mpsc::channel::<tempfile::TempDir>();
        scope.spawn(move || {
            for dir in stale_attempt_dirs(&std::env::temp_dir()) {
                let _ = crate::fsutil::remove_all(&dir);
            }
            for work in reap_rx {
                let _ = crate::fsutil::remove_all(&work.keep());
            }
        });
        for worker in 0..jobs {
            let tx = tx.clone();
            let reap_tx = reap_tx.clone();
            let (next, stop, shared_bases) = (&next, &stop, &shared_bases);
            let mut toolchain = toolchain.clone();
            // Each worker starts its build-slot search at its own index; a fixture keeps one
            // build cache per worker.
            toolchain.worker = worker;
            toolchain.slots = jobs;
            scope.spawn(move || {
                let mut bases: HashMap<TaskId, Result<Base, String>> = HashMap::new();
                while !stop.load(Ordering::SeqCst) {
                    let Some(key) = todo.get(next.fetch_add(1, Ordering::SeqCst)).copied() else {
                        break;
                    };
                    if tx.send(WorkerMessage::Started(key)).is_err() {
                        break;
                    }
                    let task = &catalog.tasks[&key.task];
                    let model = match models.resolve(&key.model) {
                        Ok(m) => m,
                        Err(e) => {
                            let _ = tx.send(WorkerMessage::Failed(e.into()));
                            break;
                        }
                    };
                    if !bases.contains_key(&task.id) {
                        let cell = shared_bases
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .entry(task.id.clone())
                            .or_default()
                            .clone();
                        let base = cell.get_or_init(|| {
                            materialize_base(task, &catalog.bugs_of(task), &options.cache)
                                .map_err(|e| format!("materializing the base: {e}"))
                        });
                        bases.insert(task.id.clone(), base.clone());
                    }
                    let (record, artifacts, work) = run_attempt(
                        catalog,
                        task,
                        &model,
                        key.sample,
                        &toolchain,
                        &mut bases,
                        &options.cache,
                    );
                    if let Some(work) = work {
                        // If the reaper is gone the directory is removed here instead.
                        let _ = reap_tx.send(work);
                    }
                    let finished = (record, artifacts);
                    if tx
                        .send(WorkerMessage::Finished(Box::new(finished)))
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(tx);
        drop(reap_tx);
        let mut failure = None;
        for message in rx {
            if failure.is_some() {
                continue;
            }
            match message {
                WorkerMessage::Started(key) => on_event(RunEvent::AttemptStarted { key }),
                WorkerMessage::Finished(finished) => {
                    let (record, artifacts) = *finished;
                    match store.record(&record, &artifacts) {
                        Ok(()) => on_event(RunEvent::AttemptFinished { record: &record }),
                        Err(e) => {
                            stop.store(true, Ordering::SeqCst);
                            failure = Some(RunError::from(e));
                        }
                    }
                }
                WorkerMessage::Failed(e) => {
                    stop.store(true, Ordering::SeqCst);
                    failure = Some(e);
                }
            }
        }
        failure.map_or(Ok(()), Err)
    })
}

fn check_resumable(catalog: &Catalog, meta: &RunMeta, models: &ModelSet) -> Result<(), RunError> {
    for name in &meta.models {
        models.resolve(name)?;
    }
    for id in &meta.tasks {
        let mismatch = |reason: String| RunError::ResumeMismatch {
            run: meta.run_id.clone(),
            reason,
        };
        let task = catalog
            .tasks
            .get(id)
            .ok_or_else(|| mismatch(format!("task {id} no longer exists")))?;
        let now = inputs_fingerprint(task, &catalog.bugs_of(task)).map_err(|source| {
            RunError::Inputs {
                task: id.clone(),
                source,
            }
        })?;
        if meta.task_fingerprints.get(id) != Some(&now) {
            return Err(mismatch(format!("task {id} (its fixture, files, gold patch, hidden tests or bugs) changed since the run started")));
        }
    }
    Ok(())
}

/// Attempt folders are `ATTEMPT_PREFIX` + the refbench process id + `-` + a random suffix, in
/// the temp dir; a run removes them when the attempt ends.
const ATTEMPT_PREFIX: &str = "refbench-attempt-";

/// How long an attempt folder must have been left alone before another run removes it: far
/// above any attempt's time limits, so that a refbench in another PID namespace sharing the
/// temp dir (whose pid means nothing here) never loses a live attempt's folder.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Attempt folders under `tmp` whose refbench process is gone (killed before it could remove
/// them) and that nothing changed for [`STALE_AFTER`]. Folders of live processes, of other
/// users' processes and of other names are left.
fn stale_attempt_dirs(tmp: &Path) -> Vec<PathBuf> {
    stale_attempt_dirs_after(tmp, STALE_AFTER)
}

fn stale_attempt_dirs_after(tmp: &Path, quiet_for: std::time::Duration) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(|n| n.strip_prefix(ATTEMPT_PREFIX))
                .and_then(|rest| rest.split_once('-'))
                .and_then(|(pid, _)| pid.parse::<i32>().ok())
                .filter(|&pid| pid > 0)
            else {
                return false;
            };
            let gone = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None)
                == Err(nix::errno::Errno::ESRCH);
            let quiet = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age >= quiet_for);
            gone && quiet && e.file_type().is_ok_and(|t| t.is_dir())
        })
        .map(|e| e.path())
        .collect()
}

/// Runs one attempt end to end. Never fails: harness trouble becomes an `Error` outcome with
/// the message, so the run goes on with the next attempt. Returns the record, its artifacts,
/// and the attempt's directory for the caller to remove (dropping it does).
pub fn run_attempt(
    catalog: &Catalog,
    task: &Task,
    model: &Model,
    sample: u32,
    toolchain: &Toolchain,
    bases: &mut HashMap<TaskId, Result<Base, String>>,
    cache: &CacheLayout,
) -> (
    AttemptRecord,
    Vec<(String, String)>,
    Option<tempfile::TempDir>,
) {
    let started = Instant::now();
    let key = AttemptKey {
        task: task.id.clone(),
        model: model.name().to_string(),
        sample,
    };
    let mut timing = Timing::default();
    let mut artifacts: Vec<(String, String)> = Vec::new();
    let mut record = AttemptRecord::new(key, AttemptOutcome::Error);
    let bugs = catalog.bugs_of(task);
    let work = tempfile::Builder::new()
        .prefix(&format!("{ATTEMPT_PREFIX}{}-", std::process::id()))
        .tempdir();
    let result = (|| -> Result<(), String> {
        let t = Instant::now();
        let base = bases
            .entry(task.id.clone())
            .or_insert_with(|| {
                materialize_base(task, &bugs, cache)
                    .map_err(|e| format!("materializing the base: {e}"))
            })
            .clone()?;
        record.base_fingerprint = Some(base.fingerprint.clone());
        let work = work
            .as_ref()
            .map_err(|e| format!("creating the attempt directory: {e}"))?;
        let repo = work.path().join("repo");
        let scratch = work.path().join("scratch");
        base.checkout(&repo)
            .map_err(|e| format!("checking out the base: {e}"))?;
        timing.materialize_ms = t.elapsed().as_millis() as u64;

        let t = Instant::now();
        // What the model sees of the repository: ranked for this task, under an exact token
        // budget (the built-ins and replays need none).
        let context = if model.needs_context() {
            let packed =
                crate::pack::pack_task(&repo, task, crate::pack::DEFAULT_CONTEXT_BUDGET, cache)
                    .map_err(|e| format!("packing the repository for the context: {e}"))?;
            packed.text
        } else {
            String::new()
        };
        let asked = model.ask(task, sample, &context);
        timing.ask_ms = t.elapsed().as_millis() as u64;
        let reply = match asked {
            Ok(reply) => reply,
            Err(e) => {
                // The model (or its provider) failed, not the harness: recorded apart.
                record.outcome = AttemptOutcome::ModelError;
                artifacts.push(("error.txt".into(), e.to_string()));
                record.error = Some(e.to_string());
                return Ok(());
            }
        };
        if let Some(prompt) = &reply.prompt {
            artifacts.push(("prompt.txt".into(), prompt.clone()));
        }
        artifacts.push(("reply.txt".into(), reply.text.clone()));
        record.usage = reply.usage.clone();
        record.ask = Some(reply.info.clone());

        let t = Instant::now();
        let applied = apply_reply(&repo, &reply.text, &|p| task.is_protected(p))
            .map_err(|e| e.to_string())?;
        timing.apply_ms = t.elapsed().as_millis() as u64;
        // The patch is kept once, as an artifact; the record keeps the outcome.
        let mut applied = applied;
        artifacts.push(("model.patch".into(), std::mem::take(&mut applied.patch)));
        let failed = applied.status == ApplyStatus::Failed;
        record.apply = Some(applied);
        if failed {
            record.outcome = AttemptOutcome::ApplyFailed;
            return Ok(());
        }

        let scored = score_attempt(
            task,
            &bugs,
            &repo,
            &scratch,
            toolchain,
            record.apply.as_ref().expect("set above"),
        )
        .map_err(|e| e.to_string())?;
        timing.tests_ms = scored.verdict.tests.duration_ms;
        timing.build_ms = scored.verdict.tests.build_ms.unwrap_or(0)
            + scored
                .verdict
                .detectors
                .iter()
                .filter_map(|d| d.build_ms)
                .sum::<u64>();
        timing.rules_ms = scored.rules_ms;
        timing.setup_ms = scored.setup_ms;
        timing.grade_ms = scored.grade_ms;
        timing.detectors_ms = scored.verdict.detectors.iter().map(|d| d.duration_ms).sum();
        artifacts.extend(scored.logs);
        record.outcome = if scored.verdict.resolved {
            AttemptOutcome::Resolved
        } else {
            AttemptOutcome::Unresolved
        };
        debug_assert!(
            !scored.verdict.resolved
                || scored
                    .verdict
                    .detectors
                    .iter()
                    .all(|d| d.status == DetectorStatus::Passed)
        );
        record.verdict = Some(scored.verdict);
        Ok(())
    })();
    if let Err(message) = result {
        record.outcome = AttemptOutcome::Error;
        artifacts.push(("error.txt".into(), message.clone()));
        record.error = Some(message);
    }
    timing.total_ms = started.elapsed().as_millis() as u64;
    record.timing = timing;
    record.finished_at = now_rfc3339();
    (record, artifacts, work.ok())
}

#[cfg(test)]
mod tests {
    use super::{new_run_id, stale_attempt_dirs, stale_attempt_dirs_after, ATTEMPT_PREFIX};

    #[test]
    fn only_attempt_folders_of_ended_processes_are_stale() {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let mine = std::process::id();
        for name in [
            format!("{ATTEMPT_PREFIX}{dead}-abc123"),
            format!("{ATTEMPT_PREFIX}{mine}-def456"),
            format!("{ATTEMPT_PREFIX}Xq3ZaB"),
            format!("{ATTEMPT_PREFIX}0-abc"),
            "someone-else".to_string(),
        ] {
            std::fs::create_dir(tmp.path().join(name)).unwrap();
        }
        std::fs::write(tmp.path().join(format!("{ATTEMPT_PREFIX}{dead}-file")), "").unwrap();
        // Just made: too recent to be sure, whatever the pid says.
        assert_eq!(
            stale_attempt_dirs(tmp.path()),
            Vec::<std::path::PathBuf>::new()
        );
        let stale = stale_attempt_dirs_after(tmp.path(), std::time::Duration::ZERO);
        assert_eq!(
            stale,
            vec![tmp.path().join(format!("{ATTEMPT_PREFIX}{dead}-abc123"))]
        );
    }

    #[test]
    fn run_ids_sort_by_start_time_within_a_second() {
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(new_run_id("run"));
            std::thread::sleep(std::time::Duration::from_millis(3));
        }
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids, "the newest run must sort last");
    }
}
