//! Grading, SWE-bench style: a status map (test id -> [`TestStatus`], from the language's
//! parser) and the task's FAIL_TO_PASS and PASS_TO_PASS lists in, a [`GradedTests`] out.
//! Pure: it never looks at runner output, so a new language needs a parser, nothing here.

use super::{TestGrade, TestKind, TestResult};
use crate::catalog::{Task, TestId};
use crate::lang::{StatusMap, TestStatus};

/// The task's tests, graded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradedTests {
    /// FULL / PARTIAL / NO.
    pub grade: TestGrade,
    /// Every test of both lists with its status, FAIL_TO_PASS first, each list in task order.
    pub tests: Vec<TestResult>,
    /// FAIL_TO_PASS passing / total.
    pub f2p: (usize, usize),
    /// PASS_TO_PASS passing / total.
    pub p2p: (usize, usize),
}

/// Grades `statuses` against `task`'s lists. A test the runner did not report is
/// [`TestStatus::Missing`], which is not a pass; nor is a skipped test.
pub fn grade(task: &Task, statuses: &StatusMap) -> GradedTests {
    let lookup = |id: &TestId| statuses.get(id).copied().unwrap_or(TestStatus::Missing);
    let listed = |ids: &[TestId], kind: TestKind| {
        ids.iter()
            .map(|id| TestResult {
                id: id.clone(),
                kind,
                status: lookup(id),
            })
            .collect::<Vec<_>>()
    };
    let mut tests = listed(&task.fail_to_pass, TestKind::FailToPass);
    tests.extend(listed(&task.pass_to_pass, TestKind::PassToPass));
    let count = |kind: TestKind| {
        let of_kind = tests.iter().filter(|t| t.kind == kind);
        let total = of_kind.clone().count();
        let passed = of_kind.filter(|t| t.status.is_pass()).count();
        (passed, total)
    };
    let f2p = count(TestKind::FailToPass);
    let p2p = count(TestKind::PassToPass);
    let grade = if f2p.0 == f2p.1 && p2p.0 == p2p.1 {
        TestGrade::Full
    } else if f2p.0 > 0 && p2p.0 == p2p.1 {
        TestGrade::Partial
    } else {
        TestGrade::No
    };
    GradedTests {
        grade,
        tests,
        f2p,
        p2p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Language;
    use crate::lang::testing::task;

    fn statuses(pairs: &[(&str, TestStatus)]) -> StatusMap {
        pairs
            .iter()
            .map(|(k, v)| (TestId(k.to_string()), *v))
            .collect()
    }

    #[test]
    fn grading_follows_swe_bench() {
        let t = task(Language::Python, &["a::f1", "a::f2"], &["a::p1"]);
        use TestStatus::*;
        let full = statuses(&[("a::f1", Passed), ("a::f2", Passed), ("a::p1", Passed)]);
        assert_eq!(grade(&t, &full).grade, TestGrade::Full);
        let partial = statuses(&[("a::f1", Passed), ("a::f2", Failed), ("a::p1", Passed)]);
        assert_eq!(grade(&t, &partial).grade, TestGrade::Partial);
        let p2p_broken = statuses(&[("a::f1", Passed), ("a::f2", Passed), ("a::p1", Failed)]);
        assert_eq!(grade(&t, &p2p_broken).grade, TestGrade::No);
        let none = statuses(&[("a::f1", Failed), ("a::f2", Skipped), ("a::p1", Passed)]);
        assert_eq!(grade(&t, &none).grade, TestGrade::No);
    }

    #[test]
    fn a_missing_test_counts_as_failed() {
        let t = task(Language::Python, &["a::f1"], &["a::p1"]);
        let graded = grade(&t, &statuses(&[("a::f1", TestStatus::Passed)]));
        assert_eq!(graded.grade, TestGrade::No);
        assert_eq!(graded.tests[1].status, TestStatus::Missing);
        assert_eq!(graded.tests[1].kind, TestKind::PassToPass);
        assert_eq!((graded.f2p, graded.p2p), ((1, 1), (0, 1)));
    }

    #[test]
    fn a_skipped_required_test_is_not_a_pass() {
        let t = task(Language::Python, &["a::f1"], &[]);
        let graded = grade(&t, &statuses(&[("a::f1", TestStatus::Skipped)]));
        assert_eq!(graded.grade, TestGrade::No);
    }
}
