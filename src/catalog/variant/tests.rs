//! Loading impossible variants from a small project on disk.

use super::*;

const TASK_TOML: &str = r#"id = "t"
fixture = "f"
language = "python"
title = "Rename the counter"
statement = "Rename the counter."
requirements = ["count() returns the number of calls."]
interface = "def count() -> int"
seeded_bugs = []
fail_to_pass = ["tests/test_a.py::test_new"]
pass_to_pass = ["tests/test_a.py::test_old"]
protected = ["tests/**"]
"#;

const GOLD: &str =
    "diff --git a/app/a.py b/app/a.py\n--- a/app/a.py\n+++ b/app/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n";

const VARIANT: &str = r#"why = "test_new asserts count() returns 0 after one call; the requirement says it returns the number of calls."
fail_to_pass = ["tests/test_a.py::test_new", "tests/test_a.py::test_other"]
"#;

/// A project with task `f/t` and, when `variant` is given, its impossible.toml.
fn project(variant: Option<&str>) -> tempfile::TempDir {
    let mut files = vec![
        ("repos-fixtures/f/repo/app/a.py", "x = 1\n"),
        ("repos-fixtures/f/tasks/t/task.toml", TASK_TOML),
        ("repos-fixtures/f/tasks/t/gold.patch", GOLD),
        (
            "repos-fixtures/f/tasks/t/hidden/tests/test_a.py",
            "def test_new(): assert True\n",
        ),
        (
            "repos-fixtures/f/tasks/t/impossible/hidden/tests/test_a.py",
            "def test_new(): assert False\ndef test_other(): pass\n",
        ),
    ];
    if let Some(text) = variant {
        files.push(("repos-fixtures/f/tasks/t/impossible/impossible.toml", text));
    }
    crate::test_support::tree(&files)
}

/// Every test id is well formed here (the language's syntax is `lang`'s to check).
fn any_id(_: crate::catalog::Language, _: &str) -> Result<(), crate::catalog::TestIdError> {
    Ok(())
}

fn load(root: &Path) -> Result<Catalog, Vec<FileError>> {
    Catalog::load(root, any_id)
}

#[test]
fn a_variant_loads_as_its_own_task_marked_impossible() {
    let dir = project(Some(VARIANT));
    let catalog = load(dir.path()).unwrap_or_else(|e| panic!("{e:?}"));
    let ids: Vec<&str> = catalog.tasks.keys().map(|t| t.0.as_str()).collect();
    assert_eq!(ids, ["f/t", "f/t~impossible"]);
    let task = &catalog.tasks[&TaskId("f/t".into())];
    let variant = &catalog.tasks[&TaskId("f/t~impossible".into())];
    assert!(!task.is_impossible());
    assert!(variant.is_impossible());
    let TaskVariant::Impossible(v) = &variant.variant else {
        unreachable!("checked above")
    };
    assert_eq!(v.of, task.id);
    assert!(v.why.starts_with("test_new asserts"), "{}", v.why);
    // Its own FAIL_TO_PASS; the rest (statement, P2P, gold) is the task's.
    assert_eq!(variant.fail_to_pass.len(), 2);
    assert_eq!(variant.pass_to_pass, task.pass_to_pass);
    assert_eq!(variant.statement, task.statement);
    assert_eq!(variant.gold_patch, task.gold_patch);
    // Its hidden files go over the task's.
    assert_eq!(task.hidden_dirs(), [task.dir.join("hidden")]);
    assert_eq!(
        variant.hidden_dirs(),
        [task.dir.join("hidden"), task.dir.join("impossible/hidden")]
    );
}

#[test]
fn a_malformed_variant_is_refused_naming_the_file_and_key() {
    let cases = [
        (
            "fail_to_pass = [\"tests/test_a.py::test_new\"]\n",
            "",
            "required key `why` is missing",
        ),
        (
            "why = \"TODO: say why\"\nfail_to_pass = [\"tests/test_a.py::test_new\"]\n",
            "why",
            "expected the requirement the hidden tests contradict",
        ),
        (
            "why = \"w\"\nfail_to_pass = []\n",
            "fail_to_pass",
            "at least one",
        ),
        (
            "why = \"w\"\nfail_to_pass = [\"tests/test_b.py::test_x\"]\n",
            "fail_to_pass[0]",
            "expected a test in one of the hidden files (tests/test_a.py)",
        ),
        (
            "why = \"w\"\nfail_to_pass = [\"tests/test_a.py::test_old\"]\n",
            "fail_to_pass",
            "is a PASS_TO_PASS test",
        ),
        (
            "why = \"w\"\nfail_to_pass = [\"tests/test_a.py::test_new\"]\nwhy_not = 1\n",
            "why_not",
            "unknown",
        ),
    ];
    for (text, key, message) in cases {
        let dir = project(Some(text));
        let errors = load(dir.path()).expect_err(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert!(
            e.path.ends_with("tasks/t/impossible/impossible.toml"),
            "{}",
            e.path.display()
        );
        assert_eq!(e.key, key, "{e}");
        assert!(e.to_string().contains(message), "{text}: {e}");
    }
    // The folder without its impossible.toml is named too; the task itself still loads.
    let dir = project(None);
    let (catalog, errors) = Catalog::load_partial(dir.path(), any_id);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].path.ends_with("tasks/t/impossible"),
        "{}",
        errors[0]
    );
    assert!(errors[0].message.contains("expected impossible.toml"));
    assert!(catalog.tasks.contains_key(&TaskId("f/t".into())));
}

#[test]
fn selection_takes_variants_as_asked() {
    let dir = project(Some(VARIANT));
    let catalog = load(dir.path()).unwrap();
    let ids = |patterns: &[&str], which| -> Result<Vec<String>, String> {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        Ok(catalog
            .select_tasks(&patterns, which)
            .map_err(|e| e.to_string())?
            .iter()
            .map(|t| t.id.0.clone())
            .collect())
    };
    use ImpossibleSelection::*;
    assert_eq!(ids(&[], Exclude).unwrap(), ["f/t"]);
    assert_eq!(ids(&["f"], Include).unwrap(), ["f/t", "f/t~impossible"]);
    assert_eq!(ids(&[], Only).unwrap(), ["f/t~impossible"]);
    // Named exactly, a variant runs without the flag; a glob reaching only it says why not.
    assert_eq!(
        ids(&["f/t~impossible"], Exclude).unwrap(),
        ["f/t~impossible"]
    );
    let err = ids(&["f/*~*"], Exclude).unwrap_err();
    assert!(err.contains("--impossible include"), "{err}");
    let err = ids(&["f/t"], Only).unwrap_err();
    assert!(err.contains("no impossible variant"), "{err}");
}
