//! The worker pool: runs the planned attempts on `--jobs` threads.
//!
//! In: the attempts to run, the models, the toolchain and the reporters. Out: every attempt
//! handed to the reporters as a [`RunEvent::AttemptFinished`], in the order they finish. The
//! calling thread is the only one that reports: workers send each finished attempt over a
//! channel, and the store sink (the first reporter) records it durably before any other
//! reporter hears of it, so an interrupted run resumes exactly where it stopped. A reporter
//! that fails stops the workers after their current attempt.
//!
//! On a signal ([`super::StopFlag`]) workers start nothing new and drop the attempt they are
//! running (its sandboxed commands were killed); attempts that finished before are recorded.
//!
//! Finished attempts' folders are removed on a thread of their own (deleting a few hundred
//! files can take half a second on a slow disk), after that thread first removes what killed
//! runs left behind.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};

use super::attempt::{run_attempt, Bases, Finished, Worker, ATTEMPT_PREFIX};
use super::events::{Reporters, RunEvent};
use super::RunError;
use crate::attempt::{AttemptKey, HarnessError};
use crate::cache::CacheLayout;
use crate::catalog::{Catalog, TaskId};
use crate::materialize::{materialize_base, Base};
use crate::model::ModelSet;
use crate::toolchain::Toolchain;

/// What a worker tells the reporting thread.
enum WorkerMessage<'k> {
    Started(&'k AttemptKey),
    Finished(Box<Finished>),
    Failed(RunError),
}

/// Everything the pool's workers share.
pub(super) struct Pool<'a> {
    /// Tasks and bugs.
    pub catalog: &'a Catalog,
    /// Models by name.
    pub models: &'a ModelSet,
    /// The toolchain each worker copies (and gives its own slot index).
    pub toolchain: &'a Toolchain,
    /// The run's cache folder.
    pub cache: &'a CacheLayout,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Set by a signal: start nothing new and drop the attempts in flight.
    pub stop: &'a super::StopFlag,
}

impl Pool<'_> {
    /// Runs `todo`, reporting each attempt to `reporters` in order. Returns how many attempts
    /// were recorded.
    pub(super) fn run(
        &self,
        todo: &[&AttemptKey],
        reporters: &mut Reporters<'_, '_>,
    ) -> Result<usize, RunError> {
        let jobs = self.jobs.clamp(1, todo.len().max(1));
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        // One base per task for the whole pool: the first worker to need it materializes it,
        // the others wait for it instead of building the same base at the same time.
        type SharedBase = Arc<OnceLock<Result<Base, HarnessError>>>;
        let shared_bases: Mutex<HashMap<TaskId, SharedBase>> = Mutex::new(HashMap::new());
        let (tx, rx) = mpsc::channel::<WorkerMessage<'_>>();
        std::thread::scope(|scope| -> Result<usize, RunError> {
            let (reap_tx, reap_rx) = mpsc::channel::<tempfile::TempDir>();
            scope.spawn(move || {
                for dir in stale_attempt_dirs(&std::env::temp_dir()) {
                    let _ = crate::fsutil::remove_all(&dir);
                }
                for work in reap_rx {
                    let _ = crate::fsutil::remove_all(&work.keep());
                }
            });
            for index in 0..jobs {
                let tx = tx.clone();
                let reap_tx = reap_tx.clone();
                let (next, stop, shared_bases) = (&next, &stop, &shared_bases);
                let mut toolchain = self.toolchain.clone();
                // Each worker starts its build-slot search at its own index; a fixture keeps
                // one build cache per worker.
                toolchain.worker = index;
                toolchain.slots = jobs;
                scope.spawn(move || {
                    let worker = Worker {
                        catalog: self.catalog,
                        toolchain: &toolchain,
                        cache: self.cache,
                    };
                    let mut bases = Bases::new();
                    while !stop.load(Ordering::SeqCst) && !self.stop.is_set() {
                        let Some(key) = todo.get(next.fetch_add(1, Ordering::SeqCst)).copied()
                        else {
                            break;
                        };
                        if tx.send(WorkerMessage::Started(key)).is_err() {
                            break;
                        }
                        let task = &self.catalog.tasks[&key.task];
                        let model = match self.models.resolve(&key.model) {
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
                                materialize_base(task, &self.catalog.bugs_of(task), self.cache)
                                    .map_err(|e| HarnessError::materialize(&e))
                            });
                            bases.insert(task.id.clone(), base.clone());
                        }
                        let mut finished =
                            run_attempt(&worker, task, &model, key.sample, &mut bases);
                        if let Some(work) = finished.work.take() {
                            // If the reaper is gone the directory is removed here instead.
                            let _ = reap_tx.send(work);
                        }
                        if self.stop.is_set() {
                            // Interrupted while it ran: its commands were killed, so its
                            // result is not one; resume runs it again.
                            break;
                        }
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
            let mut recorded = 0;
            for message in rx {
                if failure.is_some() {
                    continue;
                }
                let outcome = match message {
                    WorkerMessage::Started(key) => reporters
                        .report(&RunEvent::AttemptStarted { key })
                        .map_err(RunError::from),
                    WorkerMessage::Finished(finished) => {
                        let event = RunEvent::AttemptFinished {
                            record: &finished.record,
                            artifacts: &finished.artifacts,
                        };
                        let reported = reporters.report(&event).map_err(RunError::from);
                        recorded += usize::from(reported.is_ok());
                        reported
                    }
                    WorkerMessage::Failed(e) => Err(e),
                };
                if let Err(e) = outcome {
                    stop.store(true, Ordering::SeqCst);
                    failure = Some(e);
                }
            }
            failure.map_or(Ok(recorded), Err)
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::{stale_attempt_dirs, stale_attempt_dirs_after, ATTEMPT_PREFIX};

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
}
