//! `refbench apply` end to end: the per-hunk report, the change on disk, the exit codes.

use std::path::Path;

use assert_cmd::Command;
use predicates::str::contains;

fn repo_from_base(dir: &Path) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/replies/_bases/inventory");
    for rel in [
        "inventory/__init__.py",
        "inventory/stock.py",
        "inventory/pricing.py",
    ] {
        let dest = dir.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(base.join(rel), dest).unwrap();
    }
    let repo = git2::Repository::init(dir).unwrap();
    refbench::materialize::commit_all(&repo, "base").unwrap();
}

fn reply(case: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/replies")
        .join(case)
        .join("reply.md")
}

#[test]
fn apply_prints_per_hunk_outcomes_and_changes_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    repo_from_base(dir.path());
    Command::cargo_bin("refbench")
        .unwrap()
        .arg("apply")
        .arg(reply("diff_wrong_line_numbers"))
        .arg("--repo")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(contains("status: offset"))
        .stdout(contains("inventory/stock.py  modified  offset"))
        .stdout(contains("offset -7"));
    let stock = std::fs::read_to_string(dir.path().join("inventory/stock.py")).unwrap();
    assert!(stock.contains("            available = self._levels.get(sku, 0)\n"));
}

#[test]
fn apply_exits_1_on_a_refused_reply_and_2_on_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    repo_from_base(dir.path());
    Command::cargo_bin("refbench")
        .unwrap()
        .arg("apply")
        .arg(reply("sr_search_absent"))
        .args(["--format", "search-replace", "--repo"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(contains("search/replace 1  failed: search text not found"));
    Command::cargo_bin("refbench")
        .unwrap()
        .args(["apply", "/nonexistent/reply.md", "--repo"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("reading the reply"));
}

#[test]
fn apply_exits_1_when_the_reply_holds_no_edit() {
    let dir = tempfile::tempdir().unwrap();
    repo_from_base(dir.path());
    let reply = dir.path().join("reply.md");
    std::fs::write(&reply, "I looked at the code and it is fine as it is.\n").unwrap();
    Command::cargo_bin("refbench")
        .unwrap()
        .arg("apply")
        .arg(&reply)
        .arg("--repo")
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(contains("status: empty"))
        .stderr(contains("the reply holds no edit"));
}
