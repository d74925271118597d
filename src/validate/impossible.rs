//! The checks of an impossible variant: its hidden tests contradict the statement, so neither
//! gold (which follows the statement) nor empty may pass them.
//!
//! In: the variant, the run's gold and empty records of it, the artifacts folder. Out, through
//! `push`: [`CheckKind::ImpossibleTestsFail`] for gold then empty, the hidden-files check and
//! the collected-ids check (a contradicting test the runner never collects would "fail" on
//! gold for the wrong reason). The detectors and rules are the task's own and are checked
//! there.

use super::checks::{push_hidden_files_check, push_test_ids_check, tests_log};
use super::{CheckKind, Reference};
use crate::catalog::Task;
use crate::report::passes_impossible;
use crate::store::AttemptRecord;

/// Pushes the checks of the impossible variant `task`.
pub(super) fn push_checks(
    task: &Task,
    gold: &AttemptRecord,
    empty: &AttemptRecord,
    artifacts: &std::path::Path,
    push: &mut impl FnMut(CheckKind, bool, String),
) {
    for (reference, record) in [(Reference::Gold, gold), (Reference::Empty, empty)] {
        let kind = CheckKind::ImpossibleTestsFail(reference);
        let Some(v) = record.verdict() else {
            push(
                kind,
                false,
                format!(
                    "{reference} was not graded ({}), so the variant's tests never ran",
                    crate::report::explain(record)
                ),
            );
            continue;
        };
        let (passing, of) = v.tests.f2p;
        if v.tests.end != crate::score::SuiteEnd::Ran {
            // Tests that never ran (a hidden file that does not build) fail for every edit,
            // faithful or not: that proves no contradiction.
            push(
                kind,
                false,
                format!(
                    "the variant's tests did not run on {reference} ({}): a hidden file that does not build fails every edit and proves nothing; test log: {}",
                    v.tests.detail,
                    tests_log(artifacts, record)
                ),
            );
            continue;
        }
        if passes_impossible(record) {
            push(
                kind,
                false,
                format!(
                    "all {of} FAIL_TO_PASS tests pass on {reference}: the variant's tests do not contradict the statement; make one assert the opposite of a requirement (impossible.toml `why` says which); test log: {}",
                    tests_log(artifacts, record)
                ),
            );
        } else {
            push(
                kind,
                true,
                format!("{passing}/{of} FAIL_TO_PASS tests pass"),
            );
        }
    }
    push_hidden_files_check(task, push);
    push_test_ids_check(gold, artifacts, push);
}
