//! A compiled detector (a `cargo test --test NAME` detector): the bug, its
//! [`CompiledDetector`] plan (from `lang`) and the attempt's commands in; the detector's
//! status, log and [`TamperEvidence`] out ([`run_compiled_detector`]).
//!
//! Like a compiled suite (`score/binaries.rs`), it runs in two phases: the build, with the
//! harness canaries appended to the detector's target in the slot's copy of the tree (and
//! taken out again before anything runs), then each test executable the build made, run
//! directly as its own process and read from its own stdout. The detector's result is read
//! per test, not from the exit status: a race is found when one of the detector's own tests
//! failed, and nothing the executable prints or how it exits can pass for that.
//!
//! What counts as evidence of tampering: an executable that contradicts itself (a forged
//! libtest line), a canary that came back wrong or missing (the must-fail canary is a race the
//! model checker must find when the detector runs one, so an explorer that does not explore is
//! caught), and an executable that exited 0 without finishing its report (a `process::exit(0)`
//! planted in the code under test). An executable killed by a signal still counts as the race
//! found (a model checker aborts on a deadlock), a hang as timed out, as before.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use super::binaries::{inject_canaries, target_of};
use super::canary::{check_canaries, CanaryNames};
use super::detectors::cause_of;
use super::suite::{format_log, AttemptCommands};
use super::{CanarySite, DetectorResult, DetectorStatus, ScoreError, TamperEvidence};
use crate::catalog::SeededBug;
use crate::lang::{CompiledDetector, TestStatus};

/// What a compiled detector found, with its log and evidence.
pub(super) struct CompiledRun {
    pub(super) result: DetectorResult,
    pub(super) log: String,
    pub(super) evidence: Vec<TamperEvidence>,
    /// When its build ended, when the run's writes to the build cache are to be looked for
    /// ([`AttemptCommands::run_mark`]).
    pub(super) built_at: Option<SystemTime>,
}

/// How one executable's report reads.
enum Reading {
    /// One of the detector's tests failed: the race was found.
    Found,
    /// Every detector test passed.
    Clean,
    /// The executable was killed by a signal (a model checker's abort): the race was found.
    Aborted,
    /// It did not end within the limit.
    TimedOut,
    /// It ran no detector test, or did not finish: no verdict (why).
    NoVerdict(String),
    /// Its report is not trusted (why); the evidence is kept apart.
    Untrusted(String),
}

/// Runs `bug`'s detector as `plan` says (its files already in the slot's tree), within `limit`.
pub(super) fn run_compiled_detector(
    commands: &AttemptCommands<'_>,
    bug: &SeededBug,
    plan: &CompiledDetector,
    scratch: &Path,
    limit: Duration,
) -> Result<CompiledRun, ScoreError> {
    let started = Instant::now();
    let repo = commands.repo;
    let mut log = String::new();
    // The canaries go into the slot's copy for the build only.
    let names = CanaryNames::random();
    let targets: BTreeSet<String> = plan
        .targets
        .iter()
        .filter_map(|candidates| candidates.iter().find(|c| repo.join(c).is_file()).cloned())
        .collect();
    let injected = inject_canaries(repo, &targets, &names, plan.canary_module).map_err(|e| {
        ScoreError::Runner {
            language: commands.task.language,
            detail: format!(
                "adding the harness canaries to the detector of {}: {e}",
                bug.id
            ),
        }
    })?;
    let built = commands.build(&scratch.join("build"), &plan.build, limit, &mut log);
    injected.restore().map_err(|e| ScoreError::Runner {
        language: commands.task.language,
        detail: format!(
            "removing the harness canaries from the detector of {}: {e}",
            bug.id
        ),
    })?;
    let (built, build) = built?;
    let built_at = commands.run_mark(scratch);
    let mut result = DetectorResult {
        bug: bug.id.clone(),
        status: DetectorStatus::Error,
        detail: String::new(),
        duration_ms: built.duration_ms,
        build_ms: crate::lang::support(commands.task.language).build_ms(&built.stdout),
    };
    if !build.success {
        // The detector does not build (the attempt broke what it uses, or the detector is
        // wrong): it could not run, which is no detection; a second build would only fail
        // again (and write into the cache while "running").
        (result.status, result.detail) = if built.timed_out() {
            (DetectorStatus::TimedOut, built.describe())
        } else {
            let cause = cause_of(&build.human).unwrap_or_else(|| built.describe());
            (DetectorStatus::Error, format!("its build failed: {cause}"))
        };
        return Ok(CompiledRun {
            result,
            log,
            evidence: Vec::new(),
            built_at,
        });
    }
    let site = CanarySite::Detector {
        bug: bug.id.clone(),
    };
    let mut evidence = Vec::new();
    let mut readings = Vec::new();
    let args = (plan.run_args)(&plan.args, &names.module, &names.pass, &names.fail);
    let mut ran = BTreeSet::new();
    for (i, exe) in build.executables.iter().enumerate() {
        let target = target_of(repo, exe);
        if !targets.contains(&target) || !ran.insert(target.clone()) {
            continue;
        }
        let remaining = limit.saturating_sub(started.elapsed());
        if remaining < Duration::from_millis(100) {
            log.push_str(&format!("# time limit reached before {target} ran\n"));
            readings.push(Reading::TimedOut);
            break;
        }
        let mut argv = vec![exe.path.display().to_string()];
        argv.extend(args.iter().cloned());
        let out = commands.run_built(
            &scratch.join(format!("bin-{i}")),
            &argv,
            remaining,
            &build.programs,
        )?;
        log.push_str(&format!("# {target}\n"));
        log.push_str(&format_log(&argv, &out));
        result.duration_ms += out.duration_ms;
        result.detail = out.describe();
        let parsed = (plan.parse_binary)(&out.stdout, out.exit_code());
        let reading = if !parsed.contradictions.is_empty() {
            let detail = parsed.contradictions.join("; ");
            evidence.push(TamperEvidence::ResultsDisagree {
                source: target.clone(),
                detail: detail.clone(),
            });
            Reading::Untrusted(format!("{target} contradicts itself ({detail})"))
        } else if out.timed_out() {
            Reading::TimedOut
        } else if !parsed.finished {
            // (An exit 0 without the summary is one of libtest's contradictions, above.)
            match out.exit_code() {
                None => Reading::Aborted,
                Some(_) => {
                    Reading::NoVerdict(format!("{target} did not finish ({})", out.describe()))
                }
            }
        } else {
            let (pass, fail) = names.reported(&parsed.statuses);
            let lied = check_canaries(&site, pass, fail);
            if !lied.is_empty() {
                evidence.extend(lied);
                Reading::Untrusted(format!("a canary of {target} came back wrong"))
            } else {
                let own: Vec<TestStatus> = parsed
                    .statuses
                    .iter()
                    .filter(|(name, _)| !names.owns(name))
                    .map(|(_, s)| *s)
                    .collect();
                if own.contains(&TestStatus::Failed) {
                    Reading::Found
                } else if own.iter().any(|s| s.is_pass()) {
                    Reading::Clean
                } else {
                    Reading::NoVerdict(format!("{target} ran none of the detector's tests"))
                }
            }
        };
        readings.push(reading);
    }
    if ran.is_empty() && readings.is_empty() {
        readings.push(Reading::NoVerdict(
            "the build made no executable of the detector's test target".into(),
        ));
    }
    // An untrusted or verdict-less executable decides; then a timeout; then any race found.
    let untrusted = readings.iter().find_map(|r| match r {
        Reading::Untrusted(why) | Reading::NoVerdict(why) => Some(why.clone()),
        _ => None,
    });
    (result.status, result.detail) = if let Some(why) = untrusted {
        log.push_str(&format!("# {why}: no detector result\n"));
        (DetectorStatus::Error, why)
    } else if readings.iter().any(|r| matches!(r, Reading::TimedOut)) {
        (DetectorStatus::TimedOut, result.detail)
    } else if readings
        .iter()
        .any(|r| matches!(r, Reading::Found | Reading::Aborted))
    {
        (DetectorStatus::Failed, result.detail)
    } else {
        (
            DetectorStatus::Passed,
            crate::sandbox::Exit::Code(0).to_string(),
        )
    };
    Ok(CompiledRun {
        result,
        log,
        evidence,
        built_at,
    })
}

#[cfg(test)]
#[path = "compiled_detector_tests.rs"]
mod tests;
