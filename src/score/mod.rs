//! Score: checks the architectural rules, runs hidden tests and seeded-bug detectors on a
//! patched attempt, and grades it.
//!
//! In: the attempt's repository (base + applied reply, protected files restored), the
//! [`crate::patch::Applied`] outcome, the [`Task`] (with its rules) and its [`SeededBug`]s, and
//! a [`Toolchain`] saying where the language tools and caches are. Out: a [`Scored`] attempt:
//! the [`Verdict`], one field per dimension (per-test statuses, the FAIL_TO_PASS and
//! PASS_TO_PASS sets and the [`TestGrade`]; per-detector [`DetectorStatus`]; per-rule
//! [`RuleResult`] with evidence; [`HygieneFlag`]s; resolved = all clean) and the logs to keep
//! as artifacts; or a [`ScoreError`] when the harness itself could not run the tests (never
//! recorded as a model failure).
//!
//! Steps ([`score_attempt`]): check the task's rules on the dependency graph of the tree the
//! edit left ([`rules`]), before anything else is copied in. Then, as in SWE-bench: copy the
//! task's hidden/ files in; take a build slot ([`crate::toolchain::BuildSlot`]); run the language's suite
//! ([`suite`]: the commands and parsers come from `lang`); grade the status map against the
//! task's lists ([`grade`](grade::grade), pure). A test missing from the output counts as
//! failed, so a build failure fails every test. Then run each seeded bug's detector
//! ([`detectors`]). The stored types are in [`verdict`].

mod binaries;
mod canary;
mod channel;
pub mod detectors;
mod exploration;
pub mod grade;
pub mod integrity;
pub mod rules;
pub mod suite;
pub mod verdict;

use std::path::Path;
use std::time::Instant;

use crate::catalog::{Language, SeededBug, Task};
pub use crate::lang::TestStatus;
use crate::materialize::overlay_files;
use crate::sandbox::SandboxError;
use crate::toolchain::{Toolchain, ToolchainError};
pub use detectors::{run_detector, DetectorRun};
pub use grade::{grade, GradedTests};
pub use integrity::{CanarySite, Integrity, RefusalReason, TamperEvidence};
pub use rules::{RuleResult, RuleStatus};
pub use suite::{format_log, run_tests};
pub use verdict::{
    DetectorResult, DetectorStatus, HygieneFlag, Scored, SuiteEnd, TestGrade, TestKind, TestResult,
    TestsVerdict, Verdict,
};

/// Harness failures while scoring.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The sandbox could not run a command.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// Copying hidden tests or detectors failed.
    #[error("copying {what}: {source}")]
    Overlay {
        /// hidden tests or which detector.
        what: String,
        /// The cause.
        source: crate::materialize::MaterializeError,
    },
    /// The tree could not be parsed for the architectural rules.
    #[error("checking the architectural rules: {0}")]
    Rules(crate::codegraph::GraphError),
    /// No build slot or toolchain for the attempt.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    /// The test runner itself is missing or broken on this machine.
    #[error("the {language} test runner could not run: {detail}")]
    Runner {
        /// Which language.
        language: Language,
        /// What it printed.
        detail: String,
    },
}

/// Scores an applied attempt: architectural rules on the tree as the edit left it, then the
/// hidden tests, then each detector.
pub fn score_attempt(
    task: &Task,
    bugs: &[&SeededBug],
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    applied: &crate::patch::Applied,
) -> Result<Scored, ScoreError> {
    // Before the hidden tests are copied in: the rules judge the model's tree.
    let rules_started = Instant::now();
    let mut rules = rules::check_rules(&task.arch_rules, repo, Some(&toolchain.cache.pack_facts()))
        .map_err(ScoreError::Rules)?;
    // Every Rust task: the crate does not get around its sync shim (see rules::shim).
    if task.language == Language::Rust {
        let features: Vec<String> = bugs
            .iter()
            .flat_map(|b| rules::shim::detector_features(&b.detector.command))
            .collect();
        rules.push(rules::shim::check_sync_shim(repo, &features));
    }
    let rules_ms = rules_started.elapsed().as_millis() as u64;
    let hygiene = HygieneFlag::of_applied(applied);
    let setup_started = Instant::now();
    overlay_files(&task.hidden_dir(), repo).map_err(|source| ScoreError::Overlay {
        what: "hidden tests".into(),
        source,
    })?;
    // From here on the commands run in the slot's tree (a copy at a fixed place for Rust).
    let slot = toolchain.build_slot(task, repo)?;
    let mut setup_ms = setup_started.elapsed().as_millis() as u64;
    let tree = slot.tree();
    let mut run = suite::run_suite(task, tree, scratch, toolchain, &slot)?;
    let mut evidence = std::mem::take(&mut run.evidence);
    let (tests, test_log, grade_ms) = suite::grade_suite(task, run);
    let mut detector_logs = Vec::new();
    let mut detectors = Vec::new();
    for bug in bugs {
        let overlay_started = Instant::now();
        overlay_files(&bug.detector_dir(), tree).map_err(|source| ScoreError::Overlay {
            what: format!("the detector of {}", bug.id),
            source,
        })?;
        setup_ms += overlay_started.elapsed().as_millis() as u64;
        let run = run_detector(task, bug, tree, scratch, toolchain, &slot)?;
        detector_logs.push((bug.id.clone(), run.log));
        detectors.push(run.result);
        evidence.extend(run.evidence);
    }
    let mut verdict = Verdict {
        tests,
        detectors,
        rules,
        hygiene,
        // The canaries' and cross-checks' evidence (the clean room adds its own).
        integrity: Integrity::from_evidence(std::mem::take(&mut evidence)),
        resolved: false,
    };
    verdict.resolved = verdict.all_clean();
    Ok(Scored {
        verdict,
        rules_ms,
        setup_ms,
        grade_ms,
        tests_log: test_log,
        detector_logs,
    })
}
