//! The files kept beside an attempt's record, in `artifacts/ATTEMPT_ID/` of its run: the one
//! place their names are spelled.

use crate::catalog::BugId;

/// One file kept for an attempt.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Artifact {
    /// The prompt sent to the model (provider models).
    Prompt,
    /// The model's reply as it came.
    Reply,
    /// The edit extracted from the reply, as a unified diff.
    ModelPatch,
    /// The error that ended the attempt (model or harness).
    Error,
    /// The hidden tests' log: the command, its output between markers, how it ended.
    TestsLog,
    /// One detector's log.
    DetectorLog(BugId),
    /// Agent mode: every step of the loop, as ATIF JSON.
    Trajectory,
}

impl Artifact {
    /// Its file name in the attempt's artifact folder.
    pub fn file_name(&self) -> String {
        match self {
            Artifact::Prompt => "prompt.txt".into(),
            Artifact::Reply => "reply.txt".into(),
            Artifact::ModelPatch => "model.patch".into(),
            Artifact::Error => "error.txt".into(),
            Artifact::TestsLog => "tests.log".into(),
            Artifact::Trajectory => "trajectory.json".into(),
            Artifact::DetectorLog(bug) => format!("detector-{}.log", bug.0.replace('/', "__")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable() {
        assert_eq!(Artifact::ModelPatch.file_name(), "model.patch");
        assert_eq!(
            Artifact::DetectorLog(BugId("pyauth/x-y".into())).file_name(),
            "detector-pyauth__x-y.log"
        );
    }
}
