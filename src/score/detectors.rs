//! Seeded-bug detectors: one bug's detector command (its files already copied into the tree)
//! in, run in the sandbox in the attempt's build slot; a [`DetectorResult`] and its log out.
//!
//! Exit 0 within the limit means no race was found; anything else (failure, crash, timeout:
//! a hang is a deadlock) means the bug is still there. A detector whose command builds first
//! (a `cargo test`, as the language says) runs in two phases like the tests, and whatever its
//! run changed in the build cache taints it; any other command on a build cache taints it if it
//! changed anything there at all.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::suite::{format_log, AttemptCommands};
use super::{DetectorResult, DetectorStatus, ScoreError};
use crate::catalog::{SeededBug, Task};
use crate::toolchain::{BuildSlot, Toolchain};

/// The artifact name of a bug's detector log, and its scratch folder's name without `.log`.
pub(super) fn detector_name(bug: &SeededBug) -> String {
    format!("detector-{}", bug.id.0.replace('/', "__"))
}

/// Runs one seeded bug's detector (its files already in place in `repo`); what shows the run
/// was tampered with goes to `_evidence`.
pub fn run_detector(
    task: &Task,
    bug: &SeededBug,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
    _evidence: &mut Vec<super::TamperEvidence>,
) -> Result<(DetectorResult, String), ScoreError> {
    let commands = AttemptCommands {
        task,
        repo,
        toolchain,
        slot,
    };
    let language = crate::lang::support(task.language);
    let limit = Duration::from_secs(bug.detector.timeout.min(task.timeouts.detector));
    let scratch = scratch.join(detector_name(bug));
    let started = Instant::now();
    let argv = &bug.detector.command;
    let mut log = String::new();
    let mut duration_ms = 0;
    let mut build_ms = None;
    // When the last build ended (for a command that does not build: when it started).
    let mut since = SystemTime::now();
    if slot.target_dir.is_some() {
        since = crate::toolchain::clock_mark(&scratch);
        if let Some(why) = crate::toolchain::tree_steers_the_build(repo) {
            slot.taint(why, &mut log);
        }
    }
    if let Some(step) = language.detector_build(argv) {
        let (built, build) = commands.build(&scratch.join("build"), &step, limit, &mut log)?;
        since = crate::toolchain::clock_mark(&scratch);
        duration_ms += built.duration_ms;
        build_ms = language.build_ms(&built.stdout);
        if !build.success {
            // The detector does not build (the attempt broke what it uses): it failed, and
            // a second build would only fail again (and write into the cache while "running").
            let status = if built.timed_out() {
                DetectorStatus::TimedOut
            } else {
                DetectorStatus::Failed
            };
            return Ok((
                DetectorResult {
                    bug: bug.id.clone(),
                    status,
                    detail: built.describe(),
                    duration_ms,
                    build_ms,
                },
                log,
            ));
        }
    }
    let remaining = limit.saturating_sub(started.elapsed());
    let out = commands.run(&scratch, argv, remaining)?;
    duration_ms += out.duration_ms;
    log.push_str(&format_log(argv, &out));
    slot.check_untouched_since(since, &mut log);
    let status = if out.timed_out() || remaining.is_zero() {
        DetectorStatus::TimedOut
    } else if out.success() {
        DetectorStatus::Passed
    } else {
        DetectorStatus::Failed
    };
    Ok((
        DetectorResult {
            bug: bug.id.clone(),
            status,
            detail: out.describe(),
            duration_ms,
            build_ms: build_ms.or_else(|| language.build_ms(&out.stdout)),
        },
        log,
    ))
}
