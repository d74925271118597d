//! The one sandboxed command spec of an attempt: what the hidden tests, the detectors and an
//! agent's shell commands all run under.
//!
//! In: the task, the attempt's build slot, the folder the command runs in, its scratch folder,
//! the argv and the wall-clock limit. Out: a [`CommandSpec`] with the toolchain's environment,
//! the slot's writable places, what it may read ([`Toolchain::read_scope`]: never gold patches,
//! hidden tests or runs), the default resource limits for that time with the task's disk quota,
//! and the run's containment. Callers set only what is theirs (the output cap, extra writable places); the
//! containment itself is decided here once, so an agent's shell can do no more than graded
//! code can.

use std::path::Path;
use std::time::Duration;

use super::{BuildSlot, Toolchain};
use crate::catalog::Task;
use crate::sandbox::{CommandSpec, Limits};

/// Bytes kept of a command's output unless the caller says otherwise.
const DEFAULT_OUTPUT_CAP: usize = 256 * 1024;

impl Toolchain {
    /// The spec of `argv` run for `task` in `cwd` (the attempt's tree, or the slot's copy of
    /// it), with `scratch` as HOME and TMPDIR, for at most `timeout`.
    pub fn attempt_command(
        &self,
        task: &Task,
        slot: &BuildSlot,
        cwd: &Path,
        scratch: &Path,
        argv: Vec<String>,
        timeout: Duration,
    ) -> CommandSpec {
        CommandSpec {
            argv,
            cwd: cwd.to_path_buf(),
            scratch: scratch.to_path_buf(),
            env: self.env(task, slot),
            timeout,
            output_cap: DEFAULT_OUTPUT_CAP,
            merge_output: true,
            writable: slot.writable(),
            read_only: Vec::new(),
            readable: self.read_scope(task, slot),
            limits: Limits::for_timeout(timeout)
                .with_disk_quota(task.limits.disk_bytes(), Some(slot.taken_at())),
            sandbox: self.sandbox,
        }
    }
}
