//! The README's first command on the real fixtures: gold resolves every task, empty none, and
//! `refbench validate` holds for every task and seeded bug.

mod common;

use common::{project_root, refbench, shared_cache, text};

#[test]
fn default_run_and_validate_on_every_fixture_task() {
    let runs = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        refbench()
            .arg("--root")
            .arg(project_root())
            .arg("--runs-dir")
            .arg(runs.path())
            .arg("--cache-dir")
            .arg(shared_cache())
            .args(args)
            .output()
            .unwrap()
    };
    let list = run(&["list"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let tasks = text(&list.stdout).lines().count();
    assert!(tasks >= 2, "expected the starter fixtures' tasks");

    let out = run(&["run"]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    let row = |model: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{model} ")))
            .unwrap_or_else(|| panic!("no {model} row in\n{stdout}"))
            .to_string()
    };
    let gold: Vec<String> = row("gold").split_whitespace().map(str::to_string).collect();
    let empty: Vec<String> = row("empty")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    // model attempts resolved rate ...
    assert_eq!(gold[1], tasks.to_string());
    assert_eq!(
        gold[2],
        tasks.to_string(),
        "gold must resolve every task:\n{stdout}"
    );
    assert_eq!(gold[3], "100.0%");
    assert_eq!(empty[2], "0", "empty must resolve nothing:\n{stdout}");
    assert_eq!(empty[3], "0.0%");
    assert!(stdout.contains("run directory: "));

    let out = run(&["validate"]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(!stdout.contains("FAIL "), "{stdout}");
    assert!(stdout.contains(", 0 failed;"), "{stdout}");
}
