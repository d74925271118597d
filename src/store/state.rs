//! Whether a run is complete, incomplete or still running.
//!
//! In: a [`RunStore`] (its metadata says what was planned, its attempt table what is recorded)
//! and the run's lock file. Out: a [`RunState`] every view prints, so an interrupted run never
//! passes for a finished one; and the [`RunLock`] a running `refbench run` holds.
//!
//! The lock is `runs/RUN_ID/run.lock`, locked exclusively (an OS file lock, released when the
//! process ends, however it ends) for as long as a `refbench run` works on the run. A view that
//! cannot take it shared knows the run is still going.

use std::fs::{File, OpenOptions};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::path::{Path, PathBuf};

use super::{RunStore, StoreError};

/// The lock file's name in a run directory.
const LOCK_FILE: &str = "run.lock";

/// How far a run got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Every planned attempt is recorded.
    Complete {
        /// Attempts recorded (= planned).
        recorded: usize,
    },
    /// The run stopped before recording every planned attempt (interrupted, killed, or a
    /// harness failure); `refbench run --resume` finishes it.
    Incomplete {
        /// Attempts recorded.
        recorded: usize,
        /// Attempts planned.
        planned: usize,
    },
    /// A `refbench run` is working on it now.
    Running {
        /// Attempts recorded so far.
        recorded: usize,
        /// Attempts planned.
        planned: usize,
    },
}

impl RunState {
    /// Every planned attempt is recorded.
    pub fn is_complete(self) -> bool {
        matches!(self, RunState::Complete { .. })
    }

    /// `complete`, `incomplete` or `running`.
    pub fn label(self) -> &'static str {
        match self {
            RunState::Complete { .. } => "complete",
            RunState::Incomplete { .. } => "incomplete",
            RunState::Running { .. } => "running",
        }
    }

    /// Attempts recorded and planned.
    pub fn counts(self) -> (usize, usize) {
        match self {
            RunState::Complete { recorded } => (recorded, recorded),
            RunState::Incomplete { recorded, planned }
            | RunState::Running { recorded, planned } => (recorded, planned),
        }
    }

    /// One sentence for the top of a view of run `run_id`, or `None` when the run is complete:
    /// `run X is incomplete: 6 of 24 planned attempts recorded; rates cover only those.
    /// Resume with: refbench run --resume X`.
    pub fn warning(self, run_id: &str) -> Option<String> {
        let (recorded, planned) = self.counts();
        match self {
            RunState::Complete { .. } => None,
            RunState::Incomplete { .. } => Some(format!(
                "run {run_id} is incomplete: {recorded} of {planned} planned attempts recorded; rates cover only those. Resume with: refbench run --resume {run_id}"
            )),
            RunState::Running { .. } => Some(format!(
                "run {run_id} is still running: {recorded} of {planned} planned attempts recorded so far"
            )),
        }
    }
}

impl std::fmt::Display for RunState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunState::Complete { .. } => f.write_str("complete"),
            RunState::Incomplete { recorded, planned } => {
                write!(f, "incomplete ({recorded}/{planned})")
            }
            RunState::Running { recorded, planned } => write!(f, "running ({recorded}/{planned})"),
        }
    }
}

/// Held by the `refbench run` working on a run; released on drop or when the process ends.
#[derive(Debug)]
pub struct RunLock {
    _lock: Flock<File>,
}

/// How long taking a run's lock waits for a holder that is going away (see
/// [`RunStore::lock_for_run`]).
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

fn lock_path(dir: &Path) -> PathBuf {
    dir.join(LOCK_FILE)
}

impl RunStore {
    /// Takes the run's lock for a `refbench run`. Fails with [`StoreError::Running`] when
    /// another process still holds it after two seconds: a process killed a moment ago
    /// releases it only when the last of its children forked before an `exec` has gone.
    pub fn lock_for_run(&self) -> Result<RunLock, StoreError> {
        let path = lock_path(self.dir());
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| StoreError::Io {
                action: "opening",
                path: path.clone(),
                source,
            })?;
        let started = std::time::Instant::now();
        loop {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Err((back, Errno::EWOULDBLOCK)) if started.elapsed() < LOCK_GRACE => {
                    file = back;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return self.lock_result(other, path),
            }
        }
    }

    fn lock_result(
        &self,
        locked: Result<Flock<File>, (File, Errno)>,
        path: PathBuf,
    ) -> Result<RunLock, StoreError> {
        match locked {
            Ok(lock) => Ok(RunLock { _lock: lock }),
            Err((_, Errno::EWOULDBLOCK)) => Err(StoreError::Running {
                run: self
                    .dir()
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            }),
            Err((_, errno)) => Err(StoreError::Io {
                action: "locking",
                path,
                source: errno.into(),
            }),
        }
    }

    /// Whether another process is running this run now (its lock is held).
    pub(super) fn is_running(&self) -> bool {
        let Ok(file) = File::open(lock_path(self.dir())) else {
            return false;
        };
        matches!(
            Flock::lock(file, FlockArg::LockSharedNonblock),
            Err((_, Errno::EWOULDBLOCK))
        )
    }

    /// How far the run got: planned attempts from its metadata, recorded ones from the
    /// attempt table, running from its lock.
    pub fn state(&self) -> Result<RunState, StoreError> {
        let meta = self.meta()?;
        let planned_keys = meta.planned();
        let finished = self.finished(true)?;
        let recorded = planned_keys.iter().filter(|k| finished.contains(k)).count();
        let planned = planned_keys.len();
        Ok(if self.is_running() {
            RunState::Running { recorded, planned }
        } else if recorded < planned {
            RunState::Incomplete { recorded, planned }
        } else {
            RunState::Complete { recorded }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_as_sentences() {
        assert_eq!(RunState::Complete { recorded: 4 }.warning("r"), None);
        let incomplete = RunState::Incomplete {
            recorded: 6,
            planned: 24,
        };
        assert_eq!(
            incomplete.warning("r").unwrap(),
            "run r is incomplete: 6 of 24 planned attempts recorded; rates cover only those. Resume with: refbench run --resume r"
        );
        assert_eq!(incomplete.to_string(), "incomplete (6/24)");
        assert!(!incomplete.is_complete());
    }
}
