//! Checks derived from gold and empty records on a small catalog loaded from disk.

use std::path::Path;

use super::*;
use crate::catalog::{BugKind, Catalog};
use crate::store::{AttemptKey, AttemptOutcome, AttemptRecord};

const INJECT: &str = "diff --git a/app/a.py b/app/a.py\n--- a/app/a.py\n+++ b/app/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n";

fn bug_toml(id: &str) -> String {
    format!(
        "id = \"{id}\"\nfixture = \"f\"\nkind = \"lost-update\"\nfile = \"app/a.py\"\n\
         description = \"The counter drops its lock.\"\n\n[detector]\ncommand = [\"true\"]\ntimeout = 5\n"
    )
}

const TASK_TOML: &str = r#"id = "t"
fixture = "f"
language = "python"
title = "Rename the counter"
statement = "Rename the counter."
requirements = ["The counter keeps counting."]
interface = "def count() -> int"
# "f/race" first: the old substring match gave every check naming "f/race-two" to it.
seeded_bugs = ["f/race", "f/race-two"]
fail_to_pass = ["tests/test_a.py::test_new"]
pass_to_pass = ["tests/test_a.py::test_old"]
protected = ["tests/**"]

[[arch_rules]]
id = "no-legacy"
kind = "symbol-absent"
symbol = "app.a.legacy"
description = "legacy is gone"
"#;

/// A project with fixture `f`, task `f/t` and bugs `f/race` and `f/race-two`.
fn project() -> tempfile::TempDir {
    let mut files = vec![
        ("repos-fixtures/f/repo/app/a.py", "x = 1\n".to_string()),
        ("repos-fixtures/f/tasks/t/task.toml", TASK_TOML.to_string()),
        ("repos-fixtures/f/tasks/t/gold.patch", INJECT.to_string()),
    ];
    for (toml, inject, detector, id) in [
        (
            "seeded-bugs/f/race/bug.toml",
            "seeded-bugs/f/race/inject.patch",
            "seeded-bugs/f/race/detector/d.py",
            "race",
        ),
        (
            "seeded-bugs/f/race-two/bug.toml",
            "seeded-bugs/f/race-two/inject.patch",
            "seeded-bugs/f/race-two/detector/d.py",
            "race-two",
        ),
    ] {
        files.push((toml, bug_toml(id)));
        files.push((inject, INJECT.to_string()));
        files.push((detector, String::new()));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    crate::test_support::tree(&refs)
}

fn catalog(root: &Path) -> Catalog {
    crate::lang::load_catalog(root).unwrap_or_else(|e| panic!("{e:?}"))
}

/// A record of `model` on `f/t` whose verdict has the given test grade, F2P status, detector
/// statuses (f/race, f/race-two) and rule status.
fn record(
    model: &str,
    outcome: AttemptOutcome,
    f2p: &str,
    detectors: [&str; 2],
    rule: &str,
) -> AttemptRecord {
    let grade = if f2p == "passed" { "FULL" } else { "NO" };
    let passing = usize::from(f2p == "passed");
    let verdict = serde_json::json!({
        "tests": {
            "grade": grade,
            "tests": [
                {"id": "tests/test_a.py::test_new", "kind": "FAIL_TO_PASS", "status": f2p},
                {"id": "tests/test_a.py::test_old", "kind": "PASS_TO_PASS", "status": "passed"},
            ],
            "f2p": [passing, 1], "p2p": [1, 1],
            "build_failed": false, "timed_out": false, "detail": "exit 0",
            "duration_ms": 1, "build_ms": null,
        },
        "detectors": [
            {"bug": "f/race", "status": detectors[0], "detail": "exit 0", "duration_ms": 5, "build_ms": null},
            {"bug": "f/race-two", "status": detectors[1], "detail": "exit 1", "duration_ms": 7, "build_ms": null},
        ],
        "rules": [{"id": "no-legacy", "kind": "symbol-absent", "description": "legacy is gone",
                   "status": rule, "evidence": [], "more_evidence": 0}],
        "hygiene": [],
        "resolved": outcome == AttemptOutcome::Resolved,
    });
    let key = AttemptKey {
        task: TaskId("f/t".into()),
        model: model.into(),
        sample: 0,
    };
    let end = match crate::attempt::test_end(outcome) {
        crate::attempt::AttemptEnd::Graded { apply, .. } => crate::attempt::AttemptEnd::Graded {
            apply,
            verdict: Box::new(serde_json::from_value(verdict).unwrap()),
        },
        other => other,
    };
    AttemptRecord::new(key, end)
}

/// Empty on the base as it should be: hidden test failing, both races found, the rule broken.
fn base_record() -> AttemptRecord {
    record(
        "empty",
        AttemptOutcome::Unresolved,
        "failed",
        ["failed", "failed"],
        "broken",
    )
}

fn run_checks(root: &Path, records: &[AttemptRecord]) -> (Catalog, Vec<Check>) {
    let catalog = catalog(root);
    let checks = checks(
        &catalog,
        &[TaskId("f/t".into())],
        records,
        Path::new("/runs/r/artifacts"),
    );
    (catalog, checks)
}

#[test]
fn a_sound_task_passes_every_check_in_order() {
    let dir = project();
    let gold = record(
        "gold",
        AttemptOutcome::Resolved,
        "passed",
        ["passed", "passed"],
        "holds",
    );
    let empty = base_record();
    let (_, checks) = run_checks(dir.path(), &[gold, empty]);
    let race = BugId("f/race".into());
    let race_two = BugId("f/race-two".into());
    let kinds: Vec<&CheckKind> = checks.iter().map(|c| &c.kind).collect();
    assert_eq!(
        kinds,
        [
            &CheckKind::GoldResolves,
            &CheckKind::EmptyDoesNotResolve,
            &CheckKind::HiddenFilesReplaceOnlyTests,
            &CheckKind::TestIdsCollected,
            &CheckKind::HiddenFailOnBase,
            &CheckKind::VisiblePassOnBase,
            &CheckKind::RuleHoldsOnGold(RuleId("no-legacy".into())),
            &CheckKind::DetectorFindsBug(race.clone()),
            &CheckKind::DetectorPassesOnGold(race),
            &CheckKind::DetectorFindsBug(race_two.clone()),
            &CheckKind::DetectorPassesOnGold(race_two),
        ]
    );
    assert!(checks.iter().all(|c| c.outcome.passed()), "{checks:#?}");
    let lines: Vec<String> = checks.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        lines[4],
        "ok   f/t: every FAIL_TO_PASS test fails on the base (1 hidden tests fail)"
    );
    assert_eq!(
        lines[6],
        "ok   f/t: rule no-legacy holds on gold (legacy is gone)"
    );
    assert_eq!(
        lines[9],
        "ok   f/t: detector of f/race-two fails on the base (failed: exit 1, 7 ms)"
    );
}

#[test]
fn a_failed_detector_check_points_at_its_own_bug() {
    let dir = project();
    // Gold leaves the race of f/race-two in place; the rule breaks too.
    let gold = record(
        "gold",
        AttemptOutcome::Unresolved,
        "passed",
        ["passed", "failed"],
        "broken",
    );
    let empty = base_record();
    let (catalog, checks) = run_checks(dir.path(), &[gold, empty]);
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.outcome.passed()).collect();
    let kinds: Vec<&CheckKind> = failed.iter().map(|c| &c.kind).collect();
    let race_two = BugId("f/race-two".into());
    assert_eq!(
        kinds,
        [
            &CheckKind::GoldResolves,
            &CheckKind::RuleHoldsOnGold(RuleId("no-legacy".into())),
            &CheckKind::DetectorPassesOnGold(race_two.clone()),
        ]
    );
    let detector = failed[2];
    assert_eq!(detector.subject(), Subject::Bug(&race_two));
    let at = detector.annotation(&catalog);
    assert_eq!(at.file, dir.path().join("seeded-bugs/f/race-two/bug.toml"));
    assert_eq!(at.line, Some(7), "the [detector] line");
    assert!(
        at.message.starts_with(
            "f/t: detector of f/race-two passes on gold: failed: exit 1, 7 ms; either gold"
        ),
        "{}",
        at.message
    );
    assert!(
        at.message
            .ends_with("log: /runs/r/artifacts/f__t__gold__s0/detector-f__race-two.log"),
        "{}",
        at.message
    );
    let rule = failed[1];
    assert_eq!(rule.subject(), Subject::Rule(&RuleId("no-legacy".into())));
    let at = rule.annotation(&catalog);
    assert_eq!(
        at.file,
        dir.path().join("repos-fixtures/f/tasks/t/task.toml")
    );
    assert_eq!(at.line, Some(1));
    assert_eq!(at.message, "rule no-legacy holds on gold: legacy is gone");
    assert!(failed[0]
        .to_string()
        .starts_with("FAIL f/t: gold resolves the task ("));
}

#[test]
fn a_harness_error_or_a_missing_attempt_is_one_failed_check() {
    let dir = project();
    let gold = AttemptRecord::new(
        AttemptKey {
            task: TaskId("f/t".into()),
            model: "gold".into(),
            sample: 0,
        },
        crate::attempt::AttemptEnd::HarnessError {
            error: crate::attempt::HarnessError {
                stage: Some(crate::attempt::Stage::Materialize),
                kind: Some(crate::attempt::HarnessErrorKind::Io),
                path: None,
                message: "materializing the base: boom".into(),
            },
            apply: None,
        },
    );
    let empty = base_record();
    let (_, checks) = run_checks(dir.path(), &[gold, empty.clone()]);
    assert_eq!(checks.len(), 1, "{checks:#?}");
    assert_eq!(checks[0].kind, CheckKind::AttemptRuns(Reference::Gold));
    assert_eq!(
        checks[0].to_string(),
        "FAIL f/t: gold attempt runs (harness error: materializing the base: boom)"
    );
    let (_, checks) = run_checks(dir.path(), &[empty]);
    assert_eq!(
        checks[0].to_string(),
        "FAIL f/t: gold and empty attempts recorded (missing from the run)"
    );
    assert_eq!(checks[0].subject(), Subject::Task);
}

#[test]
fn repeated_runs_become_checks_and_a_table() {
    let stats = DetectorStats {
        task: TaskId("f/t".into()),
        bug: BugId("f/race".into()),
        kind: BugKind::LostUpdate,
        runs: 20,
        detected: 19,
        false_alarms: 0,
        max_ms: 1530,
        median_ms: 1510,
        warmup_ms: 1800,
    };
    let checks = repeat_checks(std::slice::from_ref(&stats));
    let lines: Vec<String> = checks.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        lines,
        [
            "FAIL f/t: detector of f/race detects the bug in every run on the base (19/20 runs; logs of misses under repeat-logs/ in the run)",
            "ok   f/t: detector of f/race raises no false alarm on gold (0/20 false alarms)",
        ]
    );
    assert_eq!(checks[0].subject(), Subject::Bug(&stats.bug));
    assert_eq!(
        render_detector_table(&[stats]),
        "| task | bug | kind | detection rate (base) | false alarms (gold) | median | max | first run (build) |\n\
         |---|---|---|---|---|---|---|---|\n\
         | f/t | f/race | lost-update | 19/20 | 0/20 | 1.51 s | 1.53 s | 1.8 s |\n"
    );
}

#[test]
fn an_id_the_runner_never_reports_is_named_as_unknown() {
    let dir = project();
    let mut gold = record(
        "gold",
        AttemptOutcome::Unresolved,
        "missing",
        ["passed", "passed"],
        "holds",
    );
    gold.end = match gold.end {
        crate::attempt::AttemptEnd::Graded { apply, verdict } => {
            assert_eq!(verdict.tests.end, crate::score::SuiteEnd::Ran);
            crate::attempt::AttemptEnd::Graded { apply, verdict }
        }
        other => other,
    };
    let (_, checks) = run_checks(dir.path(), &[gold, base_record()]);
    let check = checks
        .iter()
        .find(|c| c.kind == CheckKind::TestIdsCollected)
        .expect("the check");
    assert!(!check.outcome.passed());
    let line = check.to_string();
    assert!(
        line.contains("unknown (the runner never reported them on gold")
            && line.contains("tests/test_a.py::test_new"),
        "{line}"
    );
}

#[test]
fn a_hidden_file_that_replaces_a_visible_non_test_file_fails_validation() {
    let dir = project();
    let root = dir.path();
    for (rel, text) in [
        ("repos-fixtures/f/repo/README.md", "the fixture's readme\n"),
        ("repos-fixtures/f/tasks/t/hidden/README.md", "notes\n"),
        // A declared test file may replace its visible version; a new file may be added.
        (
            "repos-fixtures/f/repo/tests/test_a.py",
            "def test_old(): pass\n",
        ),
        (
            "repos-fixtures/f/tasks/t/hidden/tests/test_a.py",
            "def test_new(): pass\n",
        ),
        (
            "repos-fixtures/f/tasks/t/hidden/tests/test_b.py",
            "def test_b(): pass\n",
        ),
    ] {
        std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
        std::fs::write(root.join(rel), text).unwrap();
    }
    let gold = record(
        "gold",
        AttemptOutcome::Resolved,
        "passed",
        ["passed", "passed"],
        "holds",
    );
    let (_, checks) = run_checks(root, &[gold, base_record()]);
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| !c.outcome.passed())
        .map(|c| c.to_string())
        .collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0].contains("hidden/README.md would replace the fixture's own file")
            && !failed[0].contains("test_a.py"),
        "{failed:#?}"
    );
}

/// `record` moved to the impossible variant `f/t~impossible`.
fn on_variant(mut r: AttemptRecord) -> AttemptRecord {
    r.key.task = TaskId("f/t~impossible".into());
    r
}

/// The checks of the impossible variant of `f/t`, given gold's F2P status on it.
fn variant_checks(gold_f2p: &str) -> (tempfile::TempDir, Catalog, Vec<Check>) {
    variant_checks_with(gold_f2p, crate::score::SuiteEnd::Ran)
}

/// [`variant_checks`] with gold's suite ending as `end`.
fn variant_checks_with(
    gold_f2p: &str,
    end: crate::score::SuiteEnd,
) -> (tempfile::TempDir, Catalog, Vec<Check>) {
    let dir = project();
    let root = dir.path();
    for (rel, text) in [
        (
            "repos-fixtures/f/tasks/t/hidden/tests/test_a.py",
            "def test_new(): pass\n",
        ),
        (
            "repos-fixtures/f/tasks/t/impossible/hidden/tests/test_a.py",
            "def test_new(): assert False\n",
        ),
        (
            "repos-fixtures/f/tasks/t/impossible/impossible.toml",
            "why = \"test_new asserts the counter never counts\"\nfail_to_pass = [\"tests/test_a.py::test_new\"]\n",
        ),
    ] {
        std::fs::create_dir_all(root.join(rel).parent().unwrap()).unwrap();
        std::fs::write(root.join(rel), text).unwrap();
    }
    let gold = record(
        "gold",
        AttemptOutcome::Unresolved,
        gold_f2p,
        ["passed", "passed"],
        "holds",
    );
    let mut gold = gold;
    if let crate::attempt::AttemptEnd::Graded { verdict, .. } = &mut gold.end {
        verdict.tests.end = end;
    }
    let catalog = catalog(root);
    let id = TaskId("f/t~impossible".into());
    assert!(catalog.tasks[&id].is_impossible());
    let checks = checks(
        &catalog,
        &[id],
        &[on_variant(gold), on_variant(base_record())],
        Path::new("/runs/r/artifacts"),
    );
    (dir, catalog, checks)
}

#[test]
fn an_impossible_variant_needs_gold_and_empty_to_fail_its_tests() {
    let (_dir, _, checks) = variant_checks("failed");
    let kinds: Vec<&CheckKind> = checks.iter().map(|c| &c.kind).collect();
    assert_eq!(
        kinds,
        [
            &CheckKind::ImpossibleTestsFail(Reference::Gold),
            &CheckKind::ImpossibleTestsFail(Reference::Empty),
            &CheckKind::HiddenFilesReplaceOnlyTests,
            &CheckKind::TestIdsCollected,
        ]
    );
    assert!(checks.iter().all(|c| c.outcome.passed()), "{checks:#?}");
    assert_eq!(
        checks[0].to_string(),
        "ok   f/t~impossible: gold does not pass the impossible variant's tests (0/1 FAIL_TO_PASS tests pass)"
    );
}

#[test]
fn an_impossible_variant_whose_tests_gold_passes_is_flagged() {
    let (_dir, catalog, checks) = variant_checks("passed");
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.outcome.passed()).collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(
        failed[0].kind,
        CheckKind::ImpossibleTestsFail(Reference::Gold)
    );
    let line = failed[0].to_string();
    assert!(
        line.starts_with("FAIL f/t~impossible: gold does not pass the impossible variant's tests (all 1 FAIL_TO_PASS tests pass on gold: the variant's tests do not contradict the statement"),
        "{line}"
    );
    // The annotation points at the variant's impossible.toml, not the task's task.toml.
    let at = failed[0].annotation(&catalog);
    assert!(
        at.file.ends_with("tasks/t/impossible/impossible.toml"),
        "{}",
        at.file.display()
    );
}

#[test]
fn an_impossible_variant_whose_tests_do_not_build_on_gold_proves_nothing() {
    let (_dir, _, checks) = variant_checks_with("failed", crate::score::SuiteEnd::BuildFailed);
    let gold = &checks[0];
    assert_eq!(gold.kind, CheckKind::ImpossibleTestsFail(Reference::Gold));
    assert!(!gold.outcome.passed());
    assert!(
        gold.outcome
            .detail()
            .starts_with("the variant's tests did not run on gold"),
        "{gold}"
    );
}
