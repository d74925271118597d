//! The mutation check: its verdict on each detector outcome, and putting a bug back into a
//! real gold tree with inject.patch or gold_inject.

use super::*;
use crate::catalog::{BugId, Catalog};

/// The fixture: a counter whose increment holds the lock.
const FIXTURE: &str = "import threading\n\nlock = threading.Lock()\ncount = 0\n\n\ndef bump():\n    global count\n    with lock:\n        count += 1\n\n\ndef reset():\n    global count\n    count = 0\n";

/// The bug: the increment leaves the lock.
const INJECT: &str = "diff --git a/app/a.py b/app/a.py\n--- a/app/a.py\n+++ b/app/a.py\n@@ -6,8 +6,7 @@ count = 0\n \n def bump():\n     global count\n-    with lock:\n-        count += 1\n+    count += 1\n \n \n def reset():\n";

/// Gold that fixes the bump as the fixture had it and adds `value` (inject.patch applies).
const GOLD_KEEPS: &str = "diff --git a/app/a.py b/app/a.py\n--- a/app/a.py\n+++ b/app/a.py\n@@ -6,9 +6,14 @@ count = 0\n \n def bump():\n     global count\n-    count += 1\n+    with lock:\n+        count += 1\n \n \n def reset():\n     global count\n     count = 0\n+\n+\n+def value():\n+    return count\n";

/// Gold that rewrites the increment as a method of its own (inject.patch cannot apply).
const GOLD_MOVES: &str = "diff --git a/app/a.py b/app/a.py\n--- a/app/a.py\n+++ b/app/a.py\n@@ -5,8 +5,13 @@ count = 0\n \n \n def bump():\n+    _bump_locked()\n+\n+\n+def _bump_locked():\n     global count\n-    count += 1\n+    with lock:\n+        count = count + 1\n \n \n def reset():\n";

/// The bug put back into the moved code.
const GOLD_INJECT: &str = "diff --git a/app/a.py b/app/a.py\n--- a/app/a.py\n+++ b/app/a.py\n@@ -10,8 +10,7 @@ def bump():\n \n def _bump_locked():\n     global count\n-    with lock:\n-        count = count + 1\n+    count = count + 1\n \n \n def reset():\n";

const TASK_TOML: &str = r#"id = "t"
fixture = "f"
language = "python"
title = "Expose the count"
statement = "Expose the count."
requirements = ["The counter keeps counting."]
interface = "def value() -> int"
seeded_bugs = ["f/race"]
fail_to_pass = ["tests/test_a.py::test_new"]
pass_to_pass = []
protected = ["tests/**"]
"#;

const BUG_TOML: &str = "id = \"race\"\nfixture = \"f\"\nkind = \"lost-update\"\nfile = \"app/a.py\"\ndescription = \"The increment leaves the lock.\"\n\n[detector]\ncommand = [\"true\"]\ntimeout = 5\n";

/// A project whose task's gold is `gold`, its bug with `gold_inject/t.patch` when given.
fn project(gold: &str, gold_inject: Option<&str>) -> (tempfile::TempDir, Catalog) {
    let mut files = vec![
        ("repos-fixtures/f/repo/app/a.py", FIXTURE),
        ("repos-fixtures/f/tasks/t/task.toml", TASK_TOML),
        ("repos-fixtures/f/tasks/t/gold.patch", gold),
        ("seeded-bugs/f/race/bug.toml", BUG_TOML),
        ("seeded-bugs/f/race/inject.patch", INJECT),
        ("seeded-bugs/f/race/detector/detectors/d.py", ""),
    ];
    if let Some(patch) = gold_inject {
        files.push(("seeded-bugs/f/race/gold_inject/t.patch", patch));
    }
    let dir = crate::test_support::tree(&files);
    let catalog = crate::lang::load_catalog(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    (dir, catalog)
}

/// Gold's tree of the project's task with its bug put back; the file afterwards.
fn put_back(
    dir: &Path,
    catalog: &Catalog,
) -> (Result<InjectSource, (InjectSource, String)>, String) {
    let task = &catalog.tasks[&TaskId("f/t".into())];
    let bug = &catalog.bugs[&BugId("f/race".into())];
    let cache = CacheLayout::new(dir.join("cache"));
    let base = materialize_base(task, &[bug], &cache).unwrap();
    let tree = dir.join("gold");
    checkout_gold(&base, task, &tree).unwrap();
    let result = put_bug_back(&tree, task, bug).unwrap();
    (
        result,
        std::fs::read_to_string(tree.join("app/a.py")).unwrap(),
    )
}

#[test]
fn the_bug_goes_back_into_gold_with_inject_patch_when_gold_kept_the_code() {
    let (dir, catalog) = project(GOLD_KEEPS, None);
    let (result, file) = put_back(dir.path(), &catalog);
    assert_eq!(result, Ok(InjectSource::InjectPatch));
    assert!(
        file.contains("def value():") && !file.contains("with lock:"),
        "{file}"
    );
}

#[test]
fn where_gold_moved_the_code_the_check_fails_naming_the_bug_unless_gold_inject_is_given() {
    let (dir, catalog) = project(GOLD_MOVES, None);
    let (result, _) = put_back(dir.path(), &catalog);
    let (source, reason) = result.unwrap_err();
    assert_eq!(source, InjectSource::InjectPatch);
    let bug = &catalog.bugs[&BugId("f/race".into())];
    let check = mutation_check(
        &TaskId("f/t".into()),
        bug,
        &MutantRun::DoesNotApply { source, reason },
    );
    assert!(!check.outcome.passed());
    let line = check.to_string();
    assert!(
        line.contains("cannot put f/race back into gold: its inject.patch does not apply")
            && line.contains("gold_inject/t.patch"),
        "{line}"
    );

    let (dir, catalog) = project(GOLD_MOVES, Some(GOLD_INJECT));
    let (result, file) = put_back(dir.path(), &catalog);
    assert_eq!(result, Ok(InjectSource::GoldInject));
    assert!(
        file.contains("def _bump_locked():\n    global count\n    count = count + 1\n"),
        "{file}"
    );
}

#[test]
fn the_check_fails_when_the_detector_does_not_notice_the_bug_put_back() {
    let (_dir, catalog) = project(GOLD_KEEPS, None);
    let bug = &catalog.bugs[&BugId("f/race".into())];
    let task = TaskId("f/t".into());
    let ran = |status| MutantRun::Ran {
        source: InjectSource::InjectPatch,
        status,
        detail: "exit 0".into(),
        duration_ms: 12,
        log: Some("/runs/r/mutation-logs/f__t__f__race__mutant.log".into()),
    };
    let missed = mutation_check(&task, bug, &ran(DetectorStatus::Passed));
    assert_eq!(missed.kind, CheckKind::MutantFailsDetector(bug.id.clone()));
    assert!(!missed.outcome.passed());
    let line = missed.to_string();
    assert!(
        line.starts_with("FAIL f/t: detector of f/race fails on gold with the bug put back (mutation check) (bug put back with inject.patch; passed: exit 0, 12 ms; the detector does not notice f/race in gold's tree")
            && line.ends_with("log: /runs/r/mutation-logs/f__t__f__race__mutant.log)"),
        "{line}"
    );
    // A crash is never a detection.
    assert!(!mutation_check(&task, bug, &ran(DetectorStatus::Error))
        .outcome
        .passed());
    for found in [DetectorStatus::Failed, DetectorStatus::TimedOut] {
        assert!(mutation_check(&task, bug, &ran(found)).outcome.passed());
    }
}

#[test]
fn a_gold_inject_file_with_a_wrong_name_is_refused_on_load() {
    let (dir, _) = project(GOLD_KEEPS, None);
    let bad = dir.path().join("seeded-bugs/f/race/gold_inject/T x.diff");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, GOLD_INJECT).unwrap();
    let errors = crate::lang::load_catalog(dir.path()).unwrap_err();
    assert_eq!(errors[0].path, bad);
    assert!(
        errors[0].message.contains("expected TASK.patch"),
        "{}",
        errors[0]
    );
}
