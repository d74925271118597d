//! Test statuses as runners report them: what every language's parsers produce and grading
//! reads. A status map in, never raw runner output.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::TestId;

/// Status of one test, as its runner reported it (or did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestStatus {
    /// Ran and passed.
    Passed,
    /// Ran and failed an assertion.
    Failed,
    /// Errored (setup/teardown/collection in pytest).
    Error,
    /// Skipped or ignored.
    Skipped,
    /// Not in the runner's output at all (build failure, crash, timeout, renamed away).
    Missing,
}

impl TestStatus {
    /// Only `Passed` counts as passing; a skipped test required by the task is not a pass.
    pub fn is_pass(self) -> bool {
        self == TestStatus::Passed
    }

    /// The worse of two outcomes of one test (a case reported twice keeps the worst).
    pub fn worse(self, other: TestStatus) -> TestStatus {
        let rank = |s: TestStatus| match s {
            TestStatus::Passed => 0,
            TestStatus::Skipped => 1,
            TestStatus::Failed => 2,
            TestStatus::Error => 3,
            TestStatus::Missing => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl std::fmt::Display for TestStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TestStatus::Passed => "passed",
            TestStatus::Failed => "failed",
            TestStatus::Error => "error",
            TestStatus::Skipped => "skipped",
            TestStatus::Missing => "missing",
        })
    }
}

/// Statuses by test id.
pub type StatusMap = BTreeMap<TestId, TestStatus>;

/// Records `status` for `id`, keeping the worse when it was already reported.
pub(crate) fn record(out: &mut StatusMap, id: TestId, status: TestStatus) {
    let entry = out.entry(id).or_insert(status);
    *entry = entry.worse(status);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_reported_twice_keeps_its_worse_outcome() {
        let mut map = StatusMap::new();
        let id = TestId("a.py::t".into());
        record(&mut map, id.clone(), TestStatus::Passed);
        record(&mut map, id.clone(), TestStatus::Error);
        record(&mut map, id.clone(), TestStatus::Failed);
        assert_eq!(map[&id], TestStatus::Error);
        assert!(!TestStatus::Skipped.is_pass());
    }
}
