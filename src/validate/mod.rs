//! Validation of tasks and seeded bugs: the checks that make a task trustworthy.
//!
//! In: the catalog (already statically valid: every file parsed, statements checked for naming
//! bug files), the attempts of a run of the references `gold` and `empty` on the selected
//! tasks, and, for `--repeat N`, the cache folder and sandbox mode to run the detectors again.
//! Out: one typed [`Check`] per property, each [`CheckOutcome::Passed`] or
//! [`CheckOutcome::Failed`] with its detail, and for repeated runs the [`DetectorStats`] table.
//!
//! What is checked ([`CheckKind`] has one variant each):
//! - the base builds: every seeded bug's inject.patch applies (a harness error otherwise);
//! - gold resolves the task; empty does not;
//! - on the base (empty), every FAIL_TO_PASS test fails and every PASS_TO_PASS test passes, so
//!   the hidden tests test the change and the seeded bug is silent to the visible tests;
//! - each seeded bug's detector fails on the base and passes on gold, and with `--repeat N` it
//!   detects in N runs of N on the base with no false alarm in N runs on gold;
//! - each architectural rule holds on gold (on the base it may hold or not: a rule such as
//!   "this import is forbidden" can hold before the refactor);
//! - the mutation check: gold with each seeded bug put back fails that bug's detector
//!   (`mutation.rs`; it runs the detectors, like `--repeat`, after the run);
//! - for an impossible variant (`FIXTURE/ID~impossible`), instead of the above: neither gold
//!   nor empty passes its FAIL_TO_PASS tests, its hidden files replace only tests, and every
//!   id is collected (`impossible.rs`).
//!
//! A check is about a task, and within it about the task itself, one seeded bug or one rule
//! ([`Subject`]). The subject is derived from the kind, which carries the bug or rule id, so a
//! check cannot name one bug in its kind and another as its subject; [`Check::annotation`]
//! uses it to point a failed check at the file to fix (the bug's `[detector]` table or the
//! task.toml).
//!
//! Files: `checks.rs` derives the checks from a run's records (`impossible.rs` those of an
//! impossible variant), `mutation.rs` puts each bug back into gold, `repeat.rs` runs detectors again
//! (preparing the toolchain as a run does) and draws the detector table.

mod checks;
mod impossible;
mod mutation;
mod repeat;

use std::fmt;
use std::path::PathBuf;

use crate::catalog::{BugId, Catalog, RuleId, TaskId, TaskVariant};

pub use checks::checks;
pub use mutation::{mutation_check, mutation_checks, put_bug_back, InjectSource, MutantRun};
pub use repeat::{
    render_detector_table, repeat_all_detectors, repeat_checks, repeat_detectors, DetectorStats,
    RepeatError, Repeated,
};

/// The built-in reference models validation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The task's gold patch.
    Gold,
    /// No change at all: the base as it is.
    Empty,
}

impl Reference {
    /// Both references, in the order a validation run lists them.
    pub const ALL: [Reference; 2] = [Reference::Gold, Reference::Empty];

    /// The model name a run records for it.
    pub fn model(self) -> &'static str {
        match self {
            Reference::Gold => "gold",
            Reference::Empty => "empty",
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.model())
    }
}

/// What a check checks. Its `Display` is the sentence `refbench validate` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// The run recorded both a gold and an empty attempt of the task.
    AttemptsRecorded,
    /// The reference's attempt ended without a harness error (a base that cannot be built, a
    /// missing runner); when it did not, no other check of the task means anything.
    AttemptRuns(Reference),
    /// Gold resolves the task.
    GoldResolves,
    /// Empty does not resolve the task.
    EmptyDoesNotResolve,
    /// Every FAIL_TO_PASS test fails on the base.
    HiddenFailOnBase,
    /// Every PASS_TO_PASS test passes on the base (the seeded bug is silent to them).
    VisiblePassOnBase,
    /// Every FAIL_TO_PASS and PASS_TO_PASS id is one the test runner collected on gold (an id
    /// it never reports is a typo or a renamed test, and would count as failed forever).
    TestIdsCollected,
    /// The task's hidden files replace no visible file other than a declared test file (a
    /// hidden/README.md would silently replace the fixture's README.md).
    HiddenFilesReplaceOnlyTests,
    /// The architectural rule holds on gold.
    RuleHoldsOnGold(RuleId),
    /// The bug's detector fails on the base: it finds the bug.
    DetectorFindsBug(BugId),
    /// The bug's detector passes on gold: gold fixes the race and the detector accepts
    /// correct code.
    DetectorPassesOnGold(BugId),
    /// The task's detectors could be run `runs` times at all (materialized, gold applied,
    /// built).
    DetectorsRepeat {
        /// Runs asked for per tree.
        runs: u32,
    },
    /// In every repeated run on the base, the bug's detector found the bug.
    DetectorAlwaysFindsBug(BugId),
    /// In no repeated run on gold did the bug's detector report a bug.
    DetectorNoFalseAlarm(BugId),
    /// Gold with the bug put back (its inject.patch, or its `gold_inject/TASK.patch` where
    /// gold moved the code) fails the bug's detector: the detector sees this bug, not some
    /// other difference between the base and gold.
    MutantFailsDetector(BugId),
    /// The reference does not pass every FAIL_TO_PASS test of an impossible variant (its
    /// tests contradict the statement that gold follows).
    ImpossibleTestsFail(Reference),
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckKind::AttemptsRecorded => write!(f, "gold and empty attempts recorded"),
            CheckKind::AttemptRuns(reference) => write!(f, "{reference} attempt runs"),
            CheckKind::GoldResolves => write!(f, "gold resolves the task"),
            CheckKind::EmptyDoesNotResolve => write!(f, "empty does not resolve the task"),
            CheckKind::HiddenFailOnBase => {
                write!(f, "every FAIL_TO_PASS test fails on the base")
            }
            CheckKind::VisiblePassOnBase => write!(
                f,
                "every PASS_TO_PASS test passes on the base (the bug is silent)"
            ),
            CheckKind::TestIdsCollected => write!(
                f,
                "every FAIL_TO_PASS and PASS_TO_PASS id is collected by the runner"
            ),
            CheckKind::HiddenFilesReplaceOnlyTests => write!(
                f,
                "hidden files add files or replace declared test files only"
            ),
            CheckKind::RuleHoldsOnGold(rule) => write!(f, "rule {rule} holds on gold"),
            CheckKind::DetectorFindsBug(bug) => write!(f, "detector of {bug} fails on the base"),
            CheckKind::DetectorPassesOnGold(bug) => write!(f, "detector of {bug} passes on gold"),
            CheckKind::DetectorsRepeat { runs } => write!(f, "detectors run {runs} times"),
            CheckKind::DetectorAlwaysFindsBug(bug) => write!(
                f,
                "detector of {bug} detects the bug in every run on the base"
            ),
            CheckKind::DetectorNoFalseAlarm(bug) => {
                write!(f, "detector of {bug} raises no false alarm on gold")
            }
            CheckKind::MutantFailsDetector(bug) => write!(
                f,
                "detector of {bug} fails on gold with the bug put back (mutation check)"
            ),
            CheckKind::ImpossibleTestsFail(reference) => write!(
                f,
                "{reference} does not pass the impossible variant's tests"
            ),
        }
    }
}

/// What a check is about, within its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// The task as a whole (its tests, its gold patch).
    Task,
    /// One seeded bug of the task (its detector).
    Bug(&'a BugId),
    /// One architectural rule of the task.
    Rule(&'a RuleId),
}

/// Whether a check holds, with what was seen either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// It holds.
    Passed {
        /// A short confirmation (`10 hidden tests fail`).
        detail: String,
    },
    /// It does not.
    Failed {
        /// Why, and the log to read when there is one.
        detail: String,
    },
}

impl CheckOutcome {
    /// `Passed` when `holds`, else `Failed`, with `detail` either way.
    fn new(holds: bool, detail: String) -> CheckOutcome {
        if holds {
            CheckOutcome::Passed { detail }
        } else {
            CheckOutcome::Failed { detail }
        }
    }

    /// Whether the check holds.
    pub fn passed(&self) -> bool {
        matches!(self, CheckOutcome::Passed { .. })
    }

    /// The detail, passed or failed.
    pub fn detail(&self) -> &str {
        match self {
            CheckOutcome::Passed { detail } | CheckOutcome::Failed { detail } => detail,
        }
    }
}

/// One validation check of one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// The task checked.
    pub task: TaskId,
    /// What is checked.
    pub kind: CheckKind,
    /// Whether it holds.
    pub outcome: CheckOutcome,
}

/// Where a failed check should be fixed, and what to say there (a GitHub annotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// The task.toml or bug.toml to fix.
    pub file: PathBuf,
    /// The line in it, when known.
    pub line: Option<usize>,
    /// The message.
    pub message: String,
}

impl Check {
    fn new(task: &TaskId, kind: CheckKind, holds: bool, detail: String) -> Check {
        Check {
            task: task.clone(),
            kind,
            outcome: CheckOutcome::new(holds, detail),
        }
    }

    /// What the check is about within its task.
    pub fn subject(&self) -> Subject<'_> {
        match &self.kind {
            CheckKind::DetectorFindsBug(bug)
            | CheckKind::DetectorPassesOnGold(bug)
            | CheckKind::DetectorAlwaysFindsBug(bug)
            | CheckKind::DetectorNoFalseAlarm(bug)
            | CheckKind::MutantFailsDetector(bug) => Subject::Bug(bug),
            CheckKind::RuleHoldsOnGold(rule) => Subject::Rule(rule),
            CheckKind::AttemptsRecorded
            | CheckKind::AttemptRuns(_)
            | CheckKind::GoldResolves
            | CheckKind::EmptyDoesNotResolve
            | CheckKind::HiddenFailOnBase
            | CheckKind::VisiblePassOnBase
            | CheckKind::TestIdsCollected
            | CheckKind::HiddenFilesReplaceOnlyTests
            | CheckKind::ImpossibleTestsFail(_)
            | CheckKind::DetectorsRepeat { .. } => Subject::Task,
        }
    }

    /// Where to fix the check: a detector check points at its bug's `[detector]` table in
    /// bug.toml, every other check at the first line of the task's task.toml.
    pub fn annotation(&self, catalog: &Catalog) -> Annotation {
        let detail = self.outcome.detail();
        if let Subject::Bug(id) = self.subject() {
            if let Some(bug) = catalog.bugs.get(id) {
                let text = std::fs::read_to_string(&bug.file_path).unwrap_or_default();
                let line = text
                    .lines()
                    .position(|l| l.trim() == "[detector]")
                    .map(|i| i + 1);
                return Annotation {
                    file: bug.file_path.clone(),
                    line,
                    message: format!("{}: {}: {detail}", self.task, self.kind),
                };
            }
        }
        // An impossible variant's checks are about its impossible.toml and hidden files.
        let file = catalog.tasks.get(&self.task).map_or_else(
            || catalog.root.clone(),
            |t| match &t.variant {
                TaskVariant::Impossible(v) => v.file.clone(),
                TaskVariant::Standard => t.file.clone(),
            },
        );
        Annotation {
            file,
            line: Some(1),
            message: format!("{}: {detail}", self.kind),
        }
    }
}

/// One line: `ok   TASK: CHECK (DETAIL)` or `FAIL TASK: CHECK (DETAIL)`.
impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {} ({})",
            if self.outcome.passed() {
                "ok  "
            } else {
                "FAIL"
            },
            self.task,
            self.kind,
            self.outcome.detail()
        )
    }
}

#[cfg(test)]
mod tests;
