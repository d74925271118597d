//! Harness canaries: tests the harness adds to the graded copy of a suite, with names drawn
//! at random for each attempt, one that must pass and one that must fail.
//!
//! In: nothing (the names are drawn here), then the statuses the runner reported for them.
//! Out: [`CanaryNames`] (what to inject) and, from [`check_canaries`], the
//! [`TamperEvidence::CanaryLied`] of a canary that came back wrong or missing. A run whose
//! results were rewritten, whose exit status was forced, or whose runner was replaced cannot
//! know in advance which names to keep failing, so a canary that lies means the run's other
//! results are not trusted either.

use rand::Rng;

use super::{CanarySite, TamperEvidence};
use crate::lang::TestStatus;

/// The names of one attempt's canaries: a module (Rust) or file stem (Python) and two tests.
/// Each is a fresh random identifier, valid in both languages and collected by pytest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CanaryNames {
    /// Rust: the module appended to a test target. Python: the test file's stem.
    pub(crate) module: String,
    /// The test that must pass.
    pub(crate) pass: String,
    /// The test that must fail.
    pub(crate) fail: String,
}

impl CanaryNames {
    /// Fresh names (64 random bits each).
    pub(crate) fn random() -> CanaryNames {
        let mut rng = rand::thread_rng();
        let mut name = || format!("test_{:016x}", rng.gen::<u64>());
        CanaryNames {
            module: name(),
            pass: name(),
            fail: name(),
        }
    }

    /// Whether a test name (as the runner names it inside a file or binary) is a canary's.
    pub(crate) fn owns(&self, name: &str) -> bool {
        name == self.pass
            || name == self.fail
            || name.starts_with(&format!("{}::", self.module))
            || name.ends_with(&format!("::{}", self.pass))
            || name.ends_with(&format!("::{}", self.fail))
    }
}

impl CanaryNames {
    /// The statuses an executable's report (statuses by test name as it names them) gives
    /// the canary that must pass and the one that must fail.
    pub(crate) fn reported(
        &self,
        statuses: &std::collections::BTreeMap<String, TestStatus>,
    ) -> (Option<TestStatus>, Option<TestStatus>) {
        let status = |name: &str| {
            statuses
                .iter()
                .find(|(n, _)| n.rsplit("::").next() == Some(name) && self.owns(n))
                .map(|(_, s)| *s)
        };
        (status(&self.pass), status(&self.fail))
    }
}

/// What the canaries of one site came back as: `pass` and `fail` are the statuses reported
/// for the canary that must pass and the one that must fail (`None`: not reported).
pub(crate) fn check_canaries(
    site: &CanarySite,
    pass: Option<TestStatus>,
    fail: Option<TestStatus>,
) -> Vec<TamperEvidence> {
    let got = |s: Option<TestStatus>| s.map_or("missing".to_string(), |s| s.to_string());
    let mut evidence = Vec::new();
    if pass != Some(TestStatus::Passed) {
        evidence.push(TamperEvidence::CanaryLied {
            site: site.clone(),
            expected: "passed".into(),
            got: got(pass),
        });
    }
    if fail != Some(TestStatus::Failed) {
        evidence.push(TamperEvidence::CanaryLied {
            site: site.clone(),
            expected: "failed".into(),
            got: got(fail),
        });
    }
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_fresh_and_a_wrong_canary_is_evidence() {
        let a = CanaryNames::random();
        let b = CanaryNames::random();
        assert_ne!(a, b);
        assert!(a.owns(&format!("{}::{}", a.module, a.fail)));
        assert!(a.owns(&format!("tests/x.py::{}", a.pass)));
        assert!(!a.owns("tests::unit"));
        let site = CanarySite::Tests {
            runner: "tests/a.rs".into(),
        };
        let ok = check_canaries(&site, Some(TestStatus::Passed), Some(TestStatus::Failed));
        assert!(ok.is_empty());
        let lied = check_canaries(&site, Some(TestStatus::Passed), Some(TestStatus::Passed));
        assert_eq!(
            lied[0].to_string(),
            "canary in the tests (tests/a.rs) came back passed, expected failed"
        );
        assert_eq!(check_canaries(&site, None, None).len(), 2);
    }
}
