//! Attempt: one task tried by one model once, as a typed value.
//!
//! In: what the stages report about an attempt (the apply outcome, the verdict, usage, a
//! model error or a harness error naming its [`Stage`]). Out: an [`AttemptRecord`], the unit
//! the run loop hands to the store and every report reads, keyed by its [`AttemptKey`], whose
//! [`AttemptEnd`] can only hold the combinations that happen (a graded attempt has its apply
//! outcome and verdict; an edit that did not apply has no verdict; an error says which stage
//! failed). [`Artifact`] names the files kept beside a record.
//!
//! Stored form: records are kept as JSON in run stores, in the flat shape refbench has always
//! written (`outcome`, `apply`, `verdict`, `error` side by side), plus `error_stage`,
//! `error_kind` and `error_path` for harness errors. Reading checks that the fields agree with
//! the outcome, so a damaged or hand-edited record is a clear error, never a wrong verdict.

mod artifact;
mod wire;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use artifact::Artifact;

use crate::catalog::TaskId;
use crate::model::Usage;
use crate::patch::Applied;
use crate::score::Verdict;

use crate::materialize::MaterializeError;
use crate::pack::PackError;
use crate::patch::PatchError;
use crate::score::ScoreError;

/// Identity of an attempt within a run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AttemptKey {
    /// The task.
    pub task: TaskId,
    /// The model name.
    pub model: String,
    /// The sample index, from 0.
    pub sample: u32,
}

impl AttemptKey {
    /// A file-name-safe id: `FIXTURE__TASK__MODEL__sN`.
    pub fn id(&self) -> String {
        format!(
            "{}__{}__s{}",
            self.task.0.replace('/', "__"),
            self.model.replace('/', "_"),
            self.sample
        )
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttemptOutcome {
    /// Tests FULL and every detector passed.
    Resolved,
    /// Scored, not resolved.
    Unresolved,
    /// The reply's edit could not be applied (nothing was scored).
    ApplyFailed,
    /// The harness failed (infrastructure, not the model's fault); reported apart.
    Error,
    /// The model gave no usable reply (provider error after retries, 401, quota, malformed
    /// response, timeout); reported apart like `Error` and retried by `--retry-errors`.
    ModelError,
}

impl AttemptOutcome {
    /// Harness errors and model (provider) errors say nothing about the model's skill: they are
    /// left out of rates and can be retried.
    pub fn is_error(self) -> bool {
        matches!(self, AttemptOutcome::Error | AttemptOutcome::ModelError)
    }
}

impl std::fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AttemptOutcome::Resolved => "resolved",
            AttemptOutcome::Unresolved => "unresolved",
            AttemptOutcome::ApplyFailed => "apply-failed",
            AttemptOutcome::Error => "error",
            AttemptOutcome::ModelError => "model-error",
        })
    }
}

/// Milliseconds spent per stage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timing {
    /// Base materialization and checkout.
    pub materialize_ms: u64,
    /// Model call.
    pub ask_ms: u64,
    /// Applying the edit.
    pub apply_ms: u64,
    /// Test command, build included.
    pub tests_ms: u64,
    /// The build parts of the test and detector commands, as cargo reports them (Rust; 0
    /// otherwise).
    #[serde(default)]
    pub build_ms: u64,
    /// Parsing the patched tree and checking the architectural rules.
    #[serde(default)]
    pub rules_ms: u64,
    /// Putting the hidden tests and detectors in place and taking the build slot (for Rust,
    /// copying the tree to the slot's place).
    #[serde(default)]
    pub setup_ms: u64,
    /// Detector commands.
    pub detectors_ms: u64,
    /// Parsing the test runner's report and grading it.
    #[serde(default)]
    pub grade_ms: u64,
    /// Whole attempt.
    pub total_ms: u64,
}

/// The stage of an attempt that failed, for harness errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Building the task's base or checking it out for the attempt.
    Materialize,
    /// Packing the repository into the model's context.
    Pack,
    /// Asking the model (harness side: writing the prompt, the cache).
    Ask,
    /// Applying the reply's edit.
    Apply,
    /// Grading: rules, hidden tests, detectors.
    Score,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Materialize => "materialize",
            Stage::Pack => "pack",
            Stage::Ask => "ask",
            Stage::Apply => "apply",
            Stage::Score => "score",
        })
    }
}

/// What kind of trouble a harness error was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HarnessErrorKind {
    /// Reading or writing files.
    Io,
    /// A git (libgit2) operation.
    Git,
    /// A seeded bug's inject.patch did not apply.
    Inject,
    /// Fetching dependencies from a registry.
    Fetch,
    /// The sandbox could not run a command.
    Sandbox,
    /// The language toolchain or a build slot.
    Toolchain,
    /// The test runner could not run.
    TestRunner,
    /// The tree could not be parsed.
    Parse,
}

impl std::fmt::Display for HarnessErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HarnessErrorKind::Io => "io",
            HarnessErrorKind::Git => "git",
            HarnessErrorKind::Inject => "inject",
            HarnessErrorKind::Fetch => "fetch",
            HarnessErrorKind::Sandbox => "sandbox",
            HarnessErrorKind::Toolchain => "toolchain",
            HarnessErrorKind::TestRunner => "test-runner",
            HarnessErrorKind::Parse => "parse",
        })
    }
}

/// A failure of the harness during an attempt: infrastructure, not the model's doing. It is
/// reported apart and retried by `--retry-errors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessError {
    /// Which stage failed (`None` in records written before refbench recorded it).
    pub stage: Option<Stage>,
    /// What kind of trouble (`None` in records written before refbench recorded it).
    pub kind: Option<HarnessErrorKind>,
    /// The file or folder involved, when one was.
    pub path: Option<PathBuf>,
    /// The whole message, for people.
    pub message: String,
}

impl HarnessError {
    fn new(stage: Stage, kind: HarnessErrorKind, path: Option<PathBuf>, message: String) -> Self {
        HarnessError {
            stage: Some(stage),
            kind: Some(kind),
            path,
            message,
        }
    }

    /// Materializing the base failed.
    pub fn materialize(e: &MaterializeError) -> HarnessError {
        let (kind, path) = match e {
            MaterializeError::Io { path, .. } => (HarnessErrorKind::Io, Some(path.clone())),
            MaterializeError::Git { .. } => (HarnessErrorKind::Git, None),
            MaterializeError::InjectFailed { .. } => (HarnessErrorKind::Inject, None),
            MaterializeError::Fetch { .. } => (HarnessErrorKind::Fetch, None),
        };
        HarnessError::new(
            Stage::Materialize,
            kind,
            path,
            format!("materializing the base: {e}"),
        )
    }

    /// Checking the base out into the attempt folder failed.
    pub fn checkout(e: &MaterializeError) -> HarnessError {
        HarnessError {
            message: format!("checking out the base: {e}"),
            ..HarnessError::materialize(e)
        }
    }

    /// The attempt folder could not be made.
    pub fn attempt_dir(e: &std::io::Error) -> HarnessError {
        HarnessError::new(
            Stage::Materialize,
            HarnessErrorKind::Io,
            Some(std::env::temp_dir()),
            format!("creating the attempt directory: {e}"),
        )
    }

    /// Packing the context failed.
    pub fn pack(e: &PackError) -> HarnessError {
        let path = match e {
            PackError::Graph(crate::codegraph::GraphError::NotADirectory { path })
            | PackError::Graph(crate::codegraph::GraphError::Walk { path, .. }) => {
                Some(path.clone())
            }
        };
        HarnessError::new(
            Stage::Pack,
            HarnessErrorKind::Io,
            path,
            format!("packing the repository for the context: {e}"),
        )
    }

    /// Applying the edit failed on the harness side.
    pub fn apply(e: &PatchError) -> HarnessError {
        let (kind, path) = match e {
            PatchError::Git { .. } => (HarnessErrorKind::Git, None),
            PatchError::Io { path, .. } => (HarnessErrorKind::Io, Some(PathBuf::from(path))),
        };
        HarnessError::new(Stage::Apply, kind, path, e.to_string())
    }

    /// Grading failed on the harness side.
    pub fn score(e: &ScoreError) -> HarnessError {
        let kind = match e {
            ScoreError::Sandbox(_) => HarnessErrorKind::Sandbox,
            ScoreError::Overlay { .. } | ScoreError::Room(_) => HarnessErrorKind::Io,
            ScoreError::Rules(_) => HarnessErrorKind::Parse,
            ScoreError::Toolchain(_) => HarnessErrorKind::Toolchain,
            ScoreError::Runner { .. } => HarnessErrorKind::TestRunner,
        };
        HarnessError::new(Stage::Score, kind, None, e.to_string())
    }
}

impl std::fmt::Display for HarnessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How an attempt ended, with what each ending has (and only that).
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptEnd {
    /// The edit applied and was graded.
    Graded {
        /// The apply stage's result (patch text kept as an artifact, not here).
        apply: Box<Applied>,
        /// The score stage's result.
        verdict: Box<Verdict>,
    },
    /// The reply's edit could not be applied; nothing was graded.
    ApplyFailed {
        /// Why, file by file.
        apply: Box<Applied>,
    },
    /// The model gave no usable reply (provider error after retries, 401, quota, malformed
    /// response, timeout).
    ModelError {
        /// What the provider or the client said.
        message: String,
    },
    /// The harness failed.
    HarnessError {
        /// Which stage, what kind, where.
        error: HarnessError,
        /// The apply stage's result when the failure came after it.
        apply: Option<Box<Applied>>,
    },
}

/// Everything recorded about one finished attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "wire::RecordWire", try_from = "wire::RecordWire")]
pub struct AttemptRecord {
    /// Identity.
    pub key: AttemptKey,
    /// How it ended.
    pub end: AttemptEnd,
    /// Usage and cost, when the model reported them.
    pub usage: Option<Usage>,
    /// How the reply was obtained: prompt template hash, stop reason, HTTP requests, cache.
    pub ask: Option<crate::model::AskInfo>,
    /// Fingerprint of the base the attempt ran on.
    pub base_fingerprint: Option<String>,
    /// Stage timings.
    pub timing: Timing,
    /// RFC 3339 UTC time it finished.
    pub finished_at: String,
}

impl AttemptRecord {
    /// A record of `key` that ended as `end`, with nothing else known yet.
    pub fn new(key: AttemptKey, end: AttemptEnd) -> AttemptRecord {
        AttemptRecord {
            key,
            end,
            usage: None,
            ask: None,
            base_fingerprint: None,
            timing: Timing::default(),
            finished_at: String::new(),
        }
    }

    /// The outcome, as reports count it.
    pub fn outcome(&self) -> AttemptOutcome {
        match &self.end {
            AttemptEnd::Graded { verdict, .. } if verdict.resolved => AttemptOutcome::Resolved,
            AttemptEnd::Graded { .. } => AttemptOutcome::Unresolved,
            AttemptEnd::ApplyFailed { .. } => AttemptOutcome::ApplyFailed,
            AttemptEnd::ModelError { .. } => AttemptOutcome::ModelError,
            AttemptEnd::HarnessError { .. } => AttemptOutcome::Error,
        }
    }

    /// The apply stage's result, when the attempt got that far.
    pub fn apply(&self) -> Option<&Applied> {
        match &self.end {
            AttemptEnd::Graded { apply, .. } | AttemptEnd::ApplyFailed { apply } => Some(apply),
            AttemptEnd::HarnessError { apply, .. } => apply.as_deref(),
            AttemptEnd::ModelError { .. } => None,
        }
    }

    /// The verdict, for graded attempts.
    pub fn verdict(&self) -> Option<&Verdict> {
        match &self.end {
            AttemptEnd::Graded { verdict, .. } => Some(verdict),
            _ => None,
        }
    }

    /// The model's or the harness's error message, for attempts that ended in one.
    pub fn error(&self) -> Option<&str> {
        match &self.end {
            AttemptEnd::ModelError { message } => Some(message),
            AttemptEnd::HarnessError { error, .. } => Some(&error.message),
            _ => None,
        }
    }

    /// The harness error, for attempts that ended in one.
    pub fn harness_error(&self) -> Option<&HarnessError> {
        match &self.end {
            AttemptEnd::HarnessError { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// A coherent ending with `outcome`, for tests of what reads records: graded, apply-failed and
/// their verdicts come from real records (the store kept in tests/data/stores/).
#[cfg(test)]
pub(crate) fn test_end(outcome: AttemptOutcome) -> AttemptEnd {
    const RECORDS: &str =
        include_str!("../../tests/data/stores/20261205-234823205-run-3ceb/attempts.jsonl");
    match outcome {
        AttemptOutcome::ModelError => AttemptEnd::ModelError {
            message: "the provider answered 500 three times".into(),
        },
        AttemptOutcome::Error => AttemptEnd::HarnessError {
            error: HarnessError {
                stage: Some(Stage::Score),
                kind: Some(HarnessErrorKind::TestRunner),
                path: None,
                message: "the python test runner could not run".into(),
            },
            apply: None,
        },
        _ => {
            let stored = outcome.to_string();
            let line = RECORDS
                .lines()
                .find(|l| l.contains(&format!("\"outcome\":\"{stored}\"")))
                .expect("the kept store has every graded outcome");
            serde_json::from_str::<AttemptRecord>(line)
                .expect("a kept record reads")
                .end
        }
    }
}
