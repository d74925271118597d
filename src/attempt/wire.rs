//! The stored form of an [`AttemptRecord`]: the flat JSON shape refbench has always written,
//! read back with a check that its fields agree with its outcome.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{
    AttemptEnd, AttemptKey, AttemptOutcome, AttemptRecord, HarnessError, HarnessErrorKind, Stage,
    Timing,
};
use crate::model::{AskInfo, Usage};
use crate::patch::Applied;
use crate::score::Verdict;

/// Field order is the stored order: records written before the typed [`AttemptEnd`] had the
/// same fields, so they read unchanged and graded records serialise byte for byte as before.
#[derive(Serialize, Deserialize)]
pub(super) struct RecordWire {
    key: AttemptKey,
    outcome: AttemptOutcome,
    apply: Option<Applied>,
    verdict: Option<Verdict>,
    usage: Option<Usage>,
    #[serde(default)]
    ask: Option<AskInfo>,
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_stage: Option<Stage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_kind: Option<HarnessErrorKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_path: Option<PathBuf>,
    base_fingerprint: Option<String>,
    timing: Timing,
    finished_at: String,
}

impl From<AttemptRecord> for RecordWire {
    fn from(r: AttemptRecord) -> RecordWire {
        let outcome = r.outcome();
        let (apply, verdict, error, stage, kind, path) = match r.end {
            AttemptEnd::Graded { apply, verdict } => {
                (Some(*apply), Some(*verdict), None, None, None, None)
            }
            AttemptEnd::ApplyFailed { apply } => (Some(*apply), None, None, None, None, None),
            AttemptEnd::ModelError { message } => (None, None, Some(message), None, None, None),
            AttemptEnd::HarnessError { error, apply } => (
                apply.map(|a| *a),
                None,
                Some(error.message),
                error.stage,
                error.kind,
                error.path,
            ),
        };
        RecordWire {
            key: r.key,
            outcome,
            apply,
            verdict,
            usage: r.usage,
            ask: r.ask,
            error,
            error_stage: stage,
            error_kind: kind,
            error_path: path,
            base_fingerprint: r.base_fingerprint,
            timing: r.timing,
            finished_at: r.finished_at,
        }
    }
}

impl TryFrom<RecordWire> for AttemptRecord {
    type Error = String;

    fn try_from(w: RecordWire) -> Result<AttemptRecord, String> {
        let id = w.key.id();
        let bad = |what: &str| {
            format!(
                "attempt {id}: outcome `{}` but {what}; the record was damaged or edited by hand",
                w.outcome
            )
        };
        let end = match w.outcome {
            AttemptOutcome::Resolved | AttemptOutcome::Unresolved => {
                let (Some(apply), Some(verdict)) = (w.apply.clone(), w.verdict.clone()) else {
                    return Err(bad("no apply outcome or no verdict"));
                };
                if verdict.resolved != (w.outcome == AttemptOutcome::Resolved) {
                    return Err(bad("the verdict says otherwise"));
                }
                AttemptEnd::Graded {
                    apply: Box::new(apply),
                    verdict: Box::new(verdict),
                }
            }
            AttemptOutcome::ApplyFailed => {
                let Some(apply) = w.apply.clone() else {
                    return Err(bad("no apply outcome"));
                };
                if w.verdict.is_some() {
                    return Err(bad("a verdict"));
                }
                AttemptEnd::ApplyFailed {
                    apply: Box::new(apply),
                }
            }
            AttemptOutcome::ModelError => AttemptEnd::ModelError {
                message: w.error.clone().ok_or_else(|| bad("no error message"))?,
            },
            AttemptOutcome::Error => AttemptEnd::HarnessError {
                error: HarnessError {
                    stage: w.error_stage,
                    kind: w.error_kind,
                    path: w.error_path.clone(),
                    message: w.error.clone().ok_or_else(|| bad("no error message"))?,
                },
                apply: w.apply.clone().map(Box::new),
            },
        };
        Ok(AttemptRecord {
            key: w.key,
            end,
            usage: w.usage,
            ask: w.ask,
            base_fingerprint: w.base_fingerprint,
            timing: w.timing,
            finished_at: w.finished_at,
        })
    }
}
