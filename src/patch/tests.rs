use super::*;

fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = crate::test_support::tree(files);
    let repo = git2::Repository::init(dir.path()).unwrap();
    crate::materialize::commit_all(&repo, "base").unwrap();
    dir
}

const PATCH: &str = "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\ndiff --git a/tests/t.py b/tests/t.py\n--- a/tests/t.py\n+++ b/tests/t.py\n@@ -1 +1 @@\n-assert False\n+assert True\n";

fn protected(p: &str) -> bool {
    p.starts_with("tests/")
}

#[test]
fn applies_and_restores_protected_files() {
    let dir = repo_with(&[
        ("src/a.py", "x = 1\ny = 2\n"),
        ("tests/t.py", "assert False\n"),
    ]);
    let applied = apply_reply(dir.path(), PATCH, &protected).unwrap();
    assert_eq!(applied.status, ApplyStatus::Exact);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/a.py")).unwrap(),
        "x = 1\ny = 3\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("tests/t.py")).unwrap(),
        "assert False\n"
    );
    assert_eq!(applied.protected_touched, vec!["tests/t.py".to_string()]);
    // Protected files are restored, so they count in protected_touched, not in hygiene.
    assert_eq!(applied.hygiene.lines_added, 1);
    assert_eq!(applied.hygiene.files_touched, 1);
}

#[test]
fn a_patch_that_does_not_apply_is_an_outcome_and_changes_nothing() {
    let dir = repo_with(&[
        ("src/a.py", "x = 1\ny = 5\n"),
        ("tests/t.py", "assert False\n"),
    ]);
    let applied = apply_reply(dir.path(), PATCH, &protected).unwrap();
    assert_eq!(applied.status, ApplyStatus::Failed);
    let reason = applied.reason.unwrap();
    assert!(
        reason.contains("src/a.py") && reason.contains("not found"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/a.py")).unwrap(),
        "x = 1\ny = 5\n"
    );
}

#[test]
fn empty_reply_is_empty() {
    let dir = repo_with(&[("a.txt", "a\n")]);
    let applied = apply_reply(dir.path(), "I could not do it.", &protected).unwrap();
    assert_eq!(applied.status, ApplyStatus::Empty);
}

#[test]
fn unsafe_paths_are_refused() {
    let dir = repo_with(&[("a.txt", "a\n")]);
    for path in ["../outside.txt", ".git/hooks/pre-commit"] {
        let patch = format!("--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+evil\n");
        let applied = apply_reply(dir.path(), &patch, &protected).unwrap();
        assert_eq!(applied.status, ApplyStatus::Failed, "{path}: {applied:?}");
        let reason = applied.reason.unwrap();
        // libgit2 itself rejects some of these at parse time; either way nothing is written.
        assert!(reason.contains("unsafe"), "{path}: {reason}");
    }
    assert!(!dir.path().parent().unwrap().join("outside.txt").exists());
}

#[test]
fn symlinked_directories_are_refused() {
    let dir = repo_with(&[("a.txt", "a\n")]);
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
    let patch = "--- /dev/null\n+++ b/link/x.txt\n@@ -0,0 +1 @@\n+evil\n";
    let applied = apply_reply(dir.path(), patch, &protected).unwrap();
    assert_eq!(applied.status, ApplyStatus::Failed);
    assert!(!outside.path().join("x.txt").exists());
}

#[test]
fn extracts_fenced_diff() {
    let reply = "Here you go:\n```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n```\nDone.";
    let (fmt, edits) = extract(reply, EditFormat::Auto);
    assert_eq!(fmt, EditFormat::Diff);
    assert_eq!(edits.len(), 1);
    assert!(extract("no diff here", EditFormat::Auto).1.is_empty());
}

#[test]
fn each_file_outcome_says_how_the_file_changed() {
    let dir = repo_with(&[
        ("a.py", "a = 1\n"),
        ("b.py", "b = 1\n"),
        ("c.py", "c = 1\n"),
    ]);
    let reply = "--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n\
                 --- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+n = 1\n\
                 --- a/b.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-b = 1\n\
                 diff --git a/c.py b/d.py\nsimilarity index 100%\nrename from c.py\nrename to d.py\n";
    let applied = apply_reply(dir.path(), reply, &protected).unwrap();
    assert_eq!(applied.status, ApplyStatus::Exact, "{applied:?}");
    let changes: Vec<(&str, FileChange)> = applied
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.change))
        .collect();
    assert_eq!(
        changes,
        [
            ("a.py", FileChange::Modified),
            ("new.py", FileChange::Added),
            ("b.py", FileChange::Deleted),
            ("d.py", FileChange::Renamed),
        ]
    );
    assert!(!dir.path().join("b.py").exists() && !dir.path().join("c.py").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("d.py")).unwrap(),
        "c = 1\n"
    );
}
