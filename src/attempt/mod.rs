//! Attempt: one task tried by one model once, as a typed value.
//!
//! In: what the stages report about an attempt (the apply outcome, the verdict, usage, the
//! error). Out: an [`AttemptRecord`], the unit the run loop hands to the store and every report
//! reads, keyed by its [`AttemptKey`].

use serde::{Deserialize, Serialize};

use crate::catalog::TaskId;
use crate::model::Usage;
use crate::patch::Applied;
use crate::score::Verdict;

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

/// Everything recorded about one finished attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// Identity.
    pub key: AttemptKey,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// The apply stage's result (patch text kept as an artifact, not here).
    pub apply: Option<Applied>,
    /// The score stage's result.
    pub verdict: Option<Verdict>,
    /// Usage and cost, when the model reported them.
    pub usage: Option<Usage>,
    /// How the reply was obtained: prompt template hash, stop reason, HTTP requests, cache.
    #[serde(default)]
    pub ask: Option<crate::model::AskInfo>,
    /// The harness error, for `Error` outcomes.
    pub error: Option<String>,
    /// Fingerprint of the base the attempt ran on.
    pub base_fingerprint: Option<String>,
    /// Stage timings.
    pub timing: Timing,
    /// RFC 3339 UTC time it finished.
    pub finished_at: String,
}

impl AttemptRecord {
    /// A record of `key` with nothing known yet: the `Error` outcome until a stage says
    /// otherwise, so an attempt that stops early is never mistaken for a graded one.
    pub fn new(key: AttemptKey, outcome: AttemptOutcome) -> AttemptRecord {
        AttemptRecord {
            key,
            outcome,
            apply: None,
            verdict: None,
            usage: None,
            ask: None,
            error: None,
            base_fingerprint: None,
            timing: Timing::default(),
            finished_at: String::new(),
        }
    }
}
