//! Seeded-bug detectors: one bug's detector command (its files already copied into the tree)
//! in, run in the sandbox in the attempt's build slot; a [`DetectorResult`] and its log out.
//!
//! The exit protocol (`detector_status`, docs/grading.md): exit 0 within the limit is no
//! race; a failure the detector reports (libtest's 101, pytest's or a script's 1, a signal
//! from a Rust model checker) or a hang is the race found; anything else (a build that fails,
//! a file that is not there, an import error, a Python traceback outside an exploration) is an
//! [`DetectorStatus::Error`], never a detection. A Python detector that uses `refbench_race`
//! must also deliver its exploration report (`score/exploration.rs`): whether a race was
//! found is read from it, and what it says about the run (a canary race not found, tracing
//! removed, nothing explored in the bug's package, no report at all) is [`TamperEvidence`].
//!
//! A detector whose command builds test targets first (a `cargo test --test NAME`, as the
//! language says) runs in two phases like the tests (`score/compiled_detector.rs`): the build,
//! with harness canaries in the target, then each test executable directly, its result read
//! per test rather than from its exit; whatever its run changed in the build cache taints it.
//! Any other command on a build cache taints it if it changed anything there at all.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::compiled_detector::run_compiled_detector;
use super::exploration::{explorer_env, judge_exploration, uses_explorer};
use super::suite::{format_log, AttemptCommands};
use super::{DetectorResult, DetectorStatus, ScoreError, TamperEvidence};
use crate::catalog::{Language, SeededBug, Task};
use crate::sandbox::CommandOutput;
use crate::toolchain::{BuildSlot, Toolchain};

/// One detector run: the result, its log, and what it showed about the run's integrity.
#[derive(Debug, Clone)]
pub struct DetectorRun {
    /// What the detector found.
    pub result: DetectorResult,
    /// Its log.
    pub log: String,
    /// Evidence that the tested code interfered with the detector.
    pub evidence: Vec<TamperEvidence>,
}

/// The status an ended detector command means by its exit alone (see the module doc).
pub(super) fn detector_status(language: Language, out: &CommandOutput) -> DetectorStatus {
    if out.timed_out() {
        return DetectorStatus::TimedOut;
    }
    let traceback = out.stdout.contains("Traceback (most recent call last)");
    match (language, out.exit_code()) {
        (_, Some(0)) => DetectorStatus::Passed,
        (Language::Rust, Some(101)) => DetectorStatus::Failed,
        // A model checker aborts the process on a deadlock (loom).
        (Language::Rust, None) => DetectorStatus::Failed,
        (Language::Python, Some(1)) if !traceback => DetectorStatus::Failed,
        _ => DetectorStatus::Error,
    }
}

/// The first line of `output` that names why a command could not run, if any.
pub(super) fn cause_of(output: &str) -> Option<String> {
    const CAUSES: &[&str] = &[
        "ModuleNotFoundError",
        "ImportError",
        "file or directory not found",
        "can't open file",
        "No such file or directory",
        "SyntaxError",
        "error[E",
        "error: no test target named",
        "error: could not compile",
    ];
    output
        .lines()
        .find(|l| CAUSES.iter().any(|c| l.contains(c)))
        .map(|l| l.trim().chars().take(200).collect())
}

/// The artifact name of a bug's detector log, and its scratch folder's name without `.log`.
pub(super) fn detector_name(bug: &SeededBug) -> String {
    format!("detector-{}", bug.id.0.replace('/', "__"))
}

/// Runs one seeded bug's detector (its files already in place in `repo`); what shows the run
/// was tampered with is in the returned [`DetectorRun`]'s evidence. `read_only` (relative to
/// `repo`: the grader's files, when the code is graded; none for trusted code such as gold or a
/// seeded mutant) stays as it is while the detector runs (under the full sandbox).
pub fn run_detector(
    task: &Task,
    bug: &SeededBug,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
    read_only: &[std::path::PathBuf],
) -> Result<DetectorRun, ScoreError> {
    let commands = AttemptCommands {
        task,
        repo,
        toolchain,
        slot,
        read_only,
    };
    let language = crate::lang::support(task.language);
    let limit = Duration::from_secs(bug.detector.timeout.min(task.timeouts.detector));
    let scratch = scratch.join(detector_name(bug));
    let started = Instant::now();
    let argv = &bug.detector.command;
    let mut log = String::new();
    if slot.target_dir.is_some() {
        if let Some(why) = crate::toolchain::tree_steers_the_build(repo) {
            slot.taint(why, &mut log);
        }
    }
    if let Some(plan) = language.compiled_detector(argv) {
        let run = run_compiled_detector(&commands, bug, &plan, &scratch, limit)?;
        log.push_str(&run.log);
        commands.check_run_left_cache_alone(run.built_at, &mut log);
        return Ok(DetectorRun {
            result: run.result,
            log,
            evidence: run.evidence,
        });
    }
    // When the command started (what changed in the build cache after this taints it; the
    // mark waits for the inode clock to tick, so it is taken only where it is needed).
    let since = if slot.target_dir.is_some() {
        crate::toolchain::clock_mark(&scratch)
    } else {
        SystemTime::now()
    };
    let remaining = limit.saturating_sub(started.elapsed());
    let explorer = (task.language == Language::Python && uses_explorer(&bug.detector_dir()))
        .then(|| explorer_env(bug, repo, &scratch));
    let env = explorer
        .as_ref()
        .map(|(env, _)| env.clone())
        .unwrap_or_default();
    let out = commands.run_env(&scratch, argv, remaining, &env)?;
    log.push_str(&format_log(argv, &out));
    slot.check_untouched_since(since, &mut log);
    let mut status = if remaining.is_zero() {
        DetectorStatus::TimedOut
    } else {
        detector_status(task.language, &out)
    };
    let mut detail = out.describe();
    let mut evidence = Vec::new();
    if let Some((_, report)) = &explorer {
        let judged = judge_exploration(bug, &out, report, status);
        log.push_str(&judged.note);
        status = judged.status;
        evidence = judged.evidence;
        if let Some(why) = judged.detail {
            detail = why;
        }
    }
    if status == DetectorStatus::Error {
        if let Some(cause) = cause_of(&out.stdout) {
            detail = format!("{detail}: {cause}");
        }
    }
    Ok(DetectorRun {
        result: DetectorResult {
            bug: bug.id.clone(),
            status,
            detail,
            duration_ms: out.duration_ms,
            build_ms: language.build_ms(&out.stdout),
        },
        log,
        evidence,
    })
}
