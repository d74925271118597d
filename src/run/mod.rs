//! The run loop: creates or resumes a run's store, plans its attempts ([`crate::plan`]), runs
//! them on a worker pool (`pool`; each attempt wires the stages materialize -> pack -> ask ->
//! apply -> score in [`attempt`]) and emits [`RunEvent`]s to reporters ([`events`]): the store
//! sink first, then the JSONL log, then the caller's observers such as the terminal
//! [`display`]. It owns no stage's logic and never formats output.
//!
//! In: the [`Catalog`] and [`RunOptions`]. Out: the [`RunStore`] holding every planned attempt,
//! or a [`RunError`] when the run could not start or continue (an attempt's own failures are
//! its ending instead).
//!
//! Attempts run on `--jobs` worker threads, Rust ones first (they compile, so they take the
//! longest), in plan order otherwise; the calling thread is the only one that reports, so
//! resume after a crash works as with one worker. Before anything runs, the sandbox checks the
//! host (a missing layer stops the run unless `--sandbox none`).

pub mod attempt;
pub mod batch;
pub mod display;
pub mod events;
pub mod interrupt;
mod pool;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use display::Display;
pub use events::{ReportError, Reporter, RunEvent};
pub use interrupt::{Interrupt, StopFlag, EXIT_INTERRUPTED};

use crate::cache::CacheLayout;
use crate::catalog::{Catalog, Language, TaskId};
use crate::materialize::{inputs_fingerprint, MaterializeError};
use crate::model::{ModelError, ModelSet, ModelSettings};
use crate::sandbox::{SandboxError, SandboxMode};
use crate::store::{JsonlLog, RunMeta, RunStore, StoreError};
use crate::toolchain::Toolchain;

/// Why a run could not start or continue (each attempt's own failures are outcomes instead).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A `--task` pattern matched nothing or was invalid.
    #[error(transparent)]
    Selection(#[from] crate::catalog::SelectError),
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
    /// An option has a value the run cannot use.
    #[error("{option}: {expected}")]
    InvalidOption {
        /// The option, as written on the command line.
        option: &'static str,
        /// What it must be.
        expected: &'static str,
    },
    /// A reporter (the store sink, the JSONL log, the display) failed; the run stopped after
    /// the attempts in flight.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A language toolchain could not be prepared (nothing was graded).
    #[error("preparing the test toolchain: {0}")]
    Toolchain(crate::toolchain::ToolchainError),
    /// The sandbox cannot run on this host (nothing was graded).
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// A batch job file of the run cannot be read or written.
    #[error("{}: {message}; a damaged job file can be removed, its requests are then submitted again", path.display())]
    BatchFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A signal stopped the run; what was recorded is kept.
    #[error("interrupted: {recorded} of {planned} planned attempts of run {run} are recorded; resume with: refbench run --resume {run}")]
    Interrupted {
        /// The run id.
        run: String,
        /// Attempts recorded (this session and earlier ones).
        recorded: usize,
        /// Attempts planned.
        planned: usize,
    },
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Task globs (empty: all).
    pub tasks: Vec<String>,
    /// Whether the tasks' impossible variants are run too (a variant named exactly in `tasks`
    /// always is).
    pub impossible: crate::catalog::ImpossibleSelection,
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
    /// Set by a signal: start nothing new, drop the attempts in flight.
    pub stop: StopFlag,
    /// Send provider requests through batch APIs first (`--batch`; see [`batch`]).
    pub batch: bool,
    /// Time between two polls of a running batch (also when a resume polls recorded jobs).
    pub batch_poll: std::time::Duration,
}

/// The number of cores, the default of `--jobs`.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
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

/// Runs (or resumes) a run, reporting its events to the store, its JSONL log and then to
/// `observers`. Returns the store with every planned attempt recorded.
pub fn execute(
    catalog: &Catalog,
    options: &RunOptions,
    observers: &mut [&mut dyn Reporter],
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
                return Err(RunError::InvalidOption {
                    option: "--samples",
                    expected: "must be at least 1",
                });
            }
            if options.models.is_empty() {
                return Err(RunError::InvalidOption {
                    option: "--model",
                    expected: "give at least one model",
                });
            }
            // Attempts are recorded under each model's own name (an agent-mode entry's is
            // NAME+agent); a model asked for twice runs once.
            let mut names: Vec<String> = Vec::new();
            for name in &options.models {
                let model = models.resolve(name)?;
                if !names.iter().any(|n| n == model.name()) {
                    names.push(model.name().to_string());
                }
            }
            let tasks = catalog
                .select_tasks(&options.tasks, options.impossible)
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
            // A model with nothing to say on a task (no hand-written reply for it) is not
            // asked: said once, kept in the metadata, left out of the plan.
            let mut skipped = Vec::new();
            for name in &options.models {
                let model = models.resolve(name)?;
                for task in &tasks {
                    if let Some(why) = model.unanswered(&task.id) {
                        skipped.push(crate::plan::Skipped {
                            task: task.id.clone(),
                            model: name.clone(),
                            why,
                        });
                    }
                }
            }
            let meta = RunMeta {
                run_id: new_run_id(&options.id_prefix),
                created_at: now_rfc3339(),
                refbench_version: env!("CARGO_PKG_VERSION").to_string(),
                refbench_commit: refbench_commit(&catalog.root),
                tasks: tasks.iter().map(|t| t.id.clone()).collect(),
                models: names,
                samples: options.samples,
                task_fingerprints,
                sandbox: options.sandbox,
                shard: options.shard,
                merged_from: vec![],
                skipped,
                impossible: tasks
                    .iter()
                    .filter(|t| t.is_impossible())
                    .map(|t| t.id.clone())
                    .collect(),
            };
            (RunStore::create(&options.runs_dir, &meta)?, meta)
        }
    };
    // Held until the run returns: views call the run `running`, and a second `run --resume`
    // of it is refused instead of racing this one.
    let _lock = store.lock_for_run()?;

    let plan = meta.planned();
    let finished = store.finished(!options.retry_errors)?;
    let todo = crate::plan::longest_first(
        plan.iter().filter(|k| !finished.contains(k)).collect(),
        |task| catalog.tasks[task].language,
    );
    if options.jobs == 0 {
        return Err(RunError::InvalidOption {
            option: "--jobs",
            expected: "must be at least 1",
        });
    }
    let jsonl = JsonlLog::open(store.dir())?;
    let run_dir = store.dir().to_path_buf();
    let mut reporters = events::Reporters::new(&mut store, jsonl, observers);
    reporters.report(&RunEvent::Started {
        run_id: &meta.run_id,
        total: plan.len(),
        done: plan.len() - todo.len(),
    })?;
    if !meta.skipped.is_empty() {
        reporters.report(&RunEvent::Skipped {
            skipped: &meta.skipped,
        })?;
    }

    let batches = run_dir.join(batch::BATCHES_DIR);
    let batch_mode = if options.batch {
        Some(batch::BatchMode::Submit {
            poll_every: options.batch_poll,
        })
    } else if batches.is_dir() {
        Some(batch::BatchMode::ResumeOnly {
            poll_every: options.batch_poll,
        })
    } else {
        None
    };
    if let Some(mode) = batch_mode.filter(|_| !todo.is_empty()) {
        batch::prefetch(
            mode,
            &todo,
            catalog,
            &models,
            &run_dir,
            &options.cache,
            &options.stop,
            &mut reporters,
        )?;
    }

    // Runs recorded before the full sandbox existed are finished with it.
    let sandbox = match meta.sandbox {
        SandboxMode::None => SandboxMode::None,
        SandboxMode::Full | SandboxMode::ProcessGroup => SandboxMode::Full,
    };
    if sandbox == SandboxMode::Full && !todo.is_empty() {
        crate::sandbox::check_host()?;
    }
    let needs_python = todo
        .iter()
        .any(|k| catalog.tasks[&k.task].language == Language::Python);
    if needs_python && !crate::toolchain::pyenv::is_ready(&catalog.root, &options.cache) {
        reporters.report(&RunEvent::Preparing {
            what: "the Python test environment (first use: installs the pinned test tools from PyPI, a minute or two)",
        })?;
    }
    let mut toolchain = Toolchain::prepare(&catalog.root, &options.cache, 0, needs_python)
        .map_err(RunError::Toolchain)?;
    toolchain.sandbox = sandbox;
    let pool = pool::Pool {
        catalog,
        models: &models,
        toolchain: &toolchain,
        cache: &options.cache,
        jobs: options.jobs,
        stop: &options.stop,
    };
    let recorded = pool.run(&todo, &mut reporters)?;
    if options.stop.is_set() {
        drop(reporters);
        let (recorded, planned) = store.state()?.counts();
        return Err(RunError::Interrupted {
            run: meta.run_id.clone(),
            recorded,
            planned,
        });
    }
    reporters.report(&RunEvent::Finished { recorded })?;
    drop(reporters);
    Ok(store)
}

fn check_resumable(catalog: &Catalog, meta: &RunMeta, models: &ModelSet) -> Result<(), RunError> {
    for name in &meta.models {
        let model = models.resolve(name)?;
        if model.name() != name {
            return Err(RunError::ResumeMismatch {
                run: meta.run_id.clone(),
                reason: format!(
                    "model `{name}` is now configured with mode = \"agent\" (its attempts would be recorded as `{}`), but this run's attempts of `{name}` answered one prompt; restore the entry's mode or start a new run",
                    model.name()
                ),
            });
        }
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

#[cfg(test)]
mod tests {
    use super::new_run_id;

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
