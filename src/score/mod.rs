//! Score: builds the clean room, checks the architectural rules, runs hidden tests and
//! seeded-bug detectors in it, and grades the attempt.
//!
//! In: the [`AttemptDirs`] (the base, the tree the edit left, where to build the room and
//! scratch space), the [`crate::patch::Applied`] outcome, the [`Task`] (with its rules) and
//! its [`SeededBug`]s, and a [`Toolchain`] saying where the language tools and caches are. Out:
//! a [`Scored`] attempt: the [`Verdict`], one field per dimension (per-test statuses, the
//! FAIL_TO_PASS and PASS_TO_PASS sets and the [`TestGrade`]; per-detector
//! [`DetectorStatus`]; per-rule [`RuleResult`] with evidence; [`HygieneFlag`]s; the
//! [`Integrity`] with its [`TamperEvidence`]; resolved = all clean) and the logs to keep as
//! artifacts; or a [`ScoreError`] when the harness itself could not run the tests (never
//! recorded as a model failure).
//!
//! Steps ([`score_attempt`]): take a build slot ([`crate::toolchain::BuildSlot`]); build the
//! clean room in its place ([`room`]: the base plus only the changes the model may make; what
//! it refused is the first integrity evidence). Check the task's rules on the dependency graph
//! of the room ([`rules`]), before anything else is copied in. Then, as in SWE-bench: copy the
//! task's hidden/ files in; run the language's suite ([`suite`]: the commands and
//! parsers come from `lang`); grade the status map against the task's lists
//! ([`grade`](grade::grade), pure). A test missing from the output counts as failed, so a build
//! failure fails every test. Then run each seeded bug's detector ([`detectors`]). The suite and
//! the detectors add what they find to the one list of evidence [`score_attempt`] keeps. The
//! stored types are in [`verdict`] and [`integrity`].

mod binaries;
mod canary;
mod channel;
mod compiled_detector;
pub mod detectors;
mod exploration;
pub mod grade;
pub mod integrity;
pub mod room;
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
    /// The clean room could not be built.
    #[error(transparent)]
    Room(#[from] room::RoomError),
    /// The test runner itself is missing or broken on this machine.
    #[error("the {language} test runner could not run: {detail}")]
    Runner {
        /// Which language.
        language: Language,
        /// What it printed.
        detail: String,
    },
}

/// The folders of one attempt's grading.
#[derive(Debug, Clone, Copy)]
pub struct AttemptDirs<'a> {
    /// The base: the cache's committed checkout the edit is compared with.
    pub base: &'a Path,
    /// The attempt's tree after the edit (never graded itself).
    pub edited: &'a Path,
    /// Where the clean room is built (replaced if it exists) for languages without a build
    /// slot; grading runs there. A Rust room is built at its slot's fixed place.
    pub room: &'a Path,
    /// Who made the edited tree (a reply applied by refbench may be moved into the room).
    pub origin: room::EditOrigin,
    /// Scratch space for the runners' reports.
    pub scratch: &'a Path,
}

/// Scores an applied attempt: the clean room is built from the base and the edit's allowed
/// changes; the architectural rules are checked on it, then the hidden tests and each detector
/// run in it. The integrity of the verdict is what the room refused plus what the suite's and
/// detectors' own checks found.
pub fn score_attempt(
    task: &Task,
    bugs: &[&SeededBug],
    dirs: &AttemptDirs<'_>,
    toolchain: &Toolchain,
    applied: &crate::patch::Applied,
) -> Result<Scored, ScoreError> {
    let setup_started = Instant::now();
    // The slot first: the room is built in its place (for Rust, the slot's fixed tree), so
    // that every file of it is newer than the slot's last build.
    let slot = toolchain.take_slot(task, dirs.room)?;
    let phase = PhaseClock::new();
    phase.done("build slot taken", setup_started);
    let room =
        room::build_clean_room(task, bugs, dirs.base, dirs.edited, slot.tree(), dirs.origin)?;
    phase.lap("clean room built");
    let mut setup_ms = setup_started.elapsed().as_millis() as u64;
    let repo = room.dir.as_path();
    // The one place evidence is collected: the room's refusals first, then what the suite and
    // the detectors find, in the order found.
    let mut evidence: Vec<TamperEvidence> = room.refused;
    // Before the hidden tests are copied in: the rules judge the graded code as the model
    // wrote it.
    let rules_started = Instant::now();
    let mut rules = rules::check_rules(&task.arch_rules, repo, Some(&toolchain.cache.pack_facts()))
        .map_err(ScoreError::Rules)?;
    // Every Rust task whose fixture has a sync shim: the crate does not get around it (see
    // rules::shim). Whether there is one is the fixture's (its visible repo), not the edit's:
    // deleting the shim does not switch the rule off.
    phase.lap("architectural rules checked");
    if task.language == Language::Rust && rules::shim::has_shim(&task.repo_dir) {
        let features: Vec<String> = bugs
            .iter()
            .flat_map(|b| rules::shim::detector_features(&b.detector.command))
            .collect();
        rules.push(rules::shim::check_sync_shim(repo, &features));
    }
    let rules_ms = rules_started.elapsed().as_millis() as u64;
    phase.lap("sync shim rule checked");
    let hygiene = HygieneFlag::of_applied(applied);
    let overlay_started = Instant::now();
    // An impossible variant's hidden files come last: they replace the task's.
    for hidden in task.hidden_dirs() {
        overlay_files(&hidden, repo).map_err(|source| ScoreError::Overlay {
            what: "hidden tests".into(),
            source,
        })?;
    }
    phase.lap("hidden tests copied");
    let tree = slot.tree();
    // The grader's files as the harness put them: what graded code changes among them while
    // it runs is evidence too (detected here; the sandbox's write rules are what prevent it).
    let watch = room::GraderWatch::new(task, bugs)?;
    let before = watch.snapshot(tree)?;
    setup_ms += overlay_started.elapsed().as_millis() as u64;
    phase.lap("grader files snapshot");
    // The grader's files stay as they are while graded code runs (the full sandbox refuses
    // writes to them); the watch still checks them after.
    let read_only = before.paths();
    let mut run = suite::run_suite(task, tree, dirs.scratch, toolchain, &slot, &read_only)?;
    phase.lap_besides("suite", run.duration_ms);
    // The suite's canaries and cross-checks.
    evidence.append(&mut run.evidence);
    evidence.extend(watch.changes(&before, tree)?);
    let (tests, test_log, grade_ms) = suite::grade_suite(task, run);
    evidence.extend(integrity::denied_writes(&test_log, tree, &read_only));
    phase.lap("suite checked and graded");
    let mut detector_logs = Vec::new();
    let mut detectors = Vec::new();
    for bug in bugs {
        let overlay_started = Instant::now();
        overlay_files(&bug.detector_dir(), tree).map_err(|source| ScoreError::Overlay {
            what: format!("the detector of {}", bug.id),
            source,
        })?;
        let before = watch.snapshot(tree)?;
        setup_ms += overlay_started.elapsed().as_millis() as u64;
        let read_only = before.paths();
        phase.lap("detector files copied and snapshot");
        let run = run_detector(task, bug, tree, dirs.scratch, toolchain, &slot, &read_only)?;
        phase.lap_besides("detector", run.result.duration_ms);
        // The detector's canary race and exploration report.
        evidence.extend(run.evidence);
        evidence.extend(integrity::denied_writes(&run.log, tree, &read_only));
        evidence.extend(watch.changes(&before, tree)?);
        detector_logs.push((bug.id.clone(), run.log));
        detectors.push(run.result);
        phase.lap("detector checked");
    }
    drop(slot);
    phase.lap("build slot given back");
    // One piece of evidence once (a file changed under the suite and again under a detector).
    let mut seen = Vec::new();
    evidence.retain(|e| {
        let new = !seen.contains(e);
        if new {
            seen.push(e.clone());
        }
        new
    });
    let mut verdict = Verdict {
        tests,
        detectors,
        rules,
        hygiene,
        integrity: Integrity::from_evidence(evidence),
        ignored_files: room.ignored,
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

/// Debug-level timings of the score stage's steps (`REFBENCH_LOG=refbench::score=debug`):
/// where an attempt's time goes besides its commands.
struct PhaseClock {
    last: std::cell::Cell<Instant>,
}

impl PhaseClock {
    fn new() -> PhaseClock {
        PhaseClock {
            last: std::cell::Cell::new(Instant::now()),
        }
    }

    /// Logs the step that started at `since` and ended now.
    fn done(&self, step: &str, since: Instant) {
        tracing::debug!(ms = since.elapsed().as_millis() as u64, "{step}");
        self.last.set(Instant::now());
    }

    /// Logs the step since the last one.
    fn lap(&self, step: &str) {
        self.done(step, self.last.get());
    }

    /// Logs the step since the last one apart from `commands_ms` its commands took.
    fn lap_besides(&self, step: &str, commands_ms: u64) {
        let ms = self.last.get().elapsed().as_millis() as u64;
        tracing::debug!(
            besides_commands_ms = ms.saturating_sub(commands_ms),
            commands_ms,
            "{step}"
        );
        self.last.set(Instant::now());
    }
}
