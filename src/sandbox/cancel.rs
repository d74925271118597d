//! Ending every sandboxed command at once, when the run is interrupted.
//!
//! In: the process group of each command [`super::run_command`] starts, and one call to
//! [`cancel_all`] (from the run's SIGINT/SIGTERM handler). Out: every running group killed,
//! and every command from then on refused with [`super::SandboxError::Cancelled`], so an
//! interrupted attempt ends in an error (dropped and redone on resume), never in a verdict
//! graded on killed tests.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static CANCELLED: AtomicBool = AtomicBool::new(false);
static RUNNING: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Kills every running sandboxed command's process group and refuses new ones, for the rest
/// of the process's life.
pub fn cancel_all() {
    CANCELLED.store(true, Ordering::SeqCst);
    let groups = RUNNING.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for pgid in groups {
        super::kill_group(pgid);
    }
}

/// Whether [`cancel_all`] was called.
pub fn cancelled() -> bool {
    CANCELLED.load(Ordering::SeqCst)
}

/// A started command's process group, registered until dropped.
pub(super) struct Registered(i32);

impl Registered {
    /// Registers `pgid`; if the run was cancelled meanwhile, kills it at once.
    pub(super) fn new(pgid: i32) -> Registered {
        RUNNING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(pgid);
        // cancel_all may have taken its list just before the insert.
        if cancelled() {
            super::kill_group(pgid);
        }
        Registered(pgid)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        RUNNING
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}
