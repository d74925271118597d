//! The README's first command on the real fixtures: gold resolves every task, empty none, and
//! `refbench validate` holds for every task and seeded bug, on the fixed sample of tasks in
//! tests/data/ci-sample.txt (the whole corpus with REFBENCH_FULL_CORPUS=1; the scheduled
//! workflow runs it).

mod common;

use common::{project_root, refbench, shared_cache, text};

/// `--task ID` for every task of the sample (nothing: the whole corpus).
fn sample_args() -> Vec<String> {
    if std::env::var_os("REFBENCH_FULL_CORPUS").is_some() {
        return Vec::new();
    }
    let list = std::fs::read_to_string(project_root().join("tests/data/ci-sample.txt")).unwrap();
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .flat_map(|id| ["--task".to_string(), id.to_string()])
        .collect()
}

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
    let sample = sample_args();
    let sample: Vec<&str> = sample.iter().map(String::as_str).collect();
    let list = run(&["list", "tasks"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    let tasks = if sample.is_empty() {
        // `run` leaves impossible variants out by default; `validate` checks them too.
        listed
            .lines()
            .filter(|l| {
                let id = l.split('\t').next().unwrap_or_default();
                !id.ends_with(refbench::catalog::IMPOSSIBLE_SUFFIX)
            })
            .count()
    } else {
        for id in sample.iter().filter(|a| **a != "--task") {
            assert!(
                listed.lines().any(|l| l.split('\t').next() == Some(*id)),
                "tests/data/ci-sample.txt names {id}, which `list tasks` does not show"
            );
        }
        sample.len() / 2
    };
    assert!(tasks >= 2, "expected the starter fixtures' tasks");

    let out = run(&[&["run"][..], &sample].concat());
    let stdout = text(&out.stdout);
    let run_stderr = text(&out.stderr);
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

    // The same suite as 4 shards in parallel processes, merged: identical verdicts and
    // leaderboard, every attempt exactly once.
    let full_tsv = text(&run(&["show", "latest", "--format", "tsv"]).stdout);
    let shard_runs = tempfile::tempdir().unwrap();
    let children: Vec<_> = (1..=4)
        .map(|i| {
            refbench()
                .arg("--root")
                .arg(project_root())
                .arg("--runs-dir")
                .arg(shard_runs.path().join(format!("s{i}")))
                .arg("--cache-dir")
                .arg(shared_cache())
                .args(["run", "--jobs", "1", "--shard", &format!("{i}/4")])
                .args(&sample)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut pieces = Vec::new();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "shard {}: {}",
            i + 1,
            text(&out.stderr)
        );
        let dir = shard_runs.path().join(format!("s{}", i + 1));
        let run_dir = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .next()
            .unwrap()
            .path();
        pieces.push(run_dir);
    }
    let merged_dir = shard_runs.path().join("merged");
    let mut merge = refbench();
    merge.arg("merge").args(&pieces).arg("-o").arg(&merged_dir);
    let out = merge.output().unwrap();
    let merged_stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let merged_tsv = text(
        &refbench()
            .arg("--runs-dir")
            .arg(shard_runs.path())
            .args(["show", "merged", "--format", "tsv"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(merged_tsv, full_tsv);
    let board = |s: &str| {
        s.lines()
            .skip(1)
            .take_while(|l| !l.starts_with("run directory"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(board(&merged_stdout), board(&stdout));
    let jsonl = std::fs::read_to_string(merged_dir.join("attempts.jsonl")).unwrap();
    // gold, empty and the hand-written examples (refbench.toml configures them), once each;
    // a task without a hand-written reply is skipped by examples, and said so.
    let skipped = run_stderr
        .lines()
        .filter(|l| l.starts_with("skipped: examples on "))
        .count();
    assert_eq!(jsonl.lines().count(), 3 * tasks - skipped);
    // Merging a shard twice is refused.
    let out = refbench()
        .arg("merge")
        .arg(&pieces[0])
        .arg(&pieces[0])
        .arg("-o")
        .arg(shard_runs.path().join("again"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let mut sample_ids: Vec<&str> = sample.iter().copied().filter(|a| *a != "--task").collect();
    if !sample_ids.is_empty() {
        // One impossible variant: gold must not pass its contradicting tests.
        sample_ids.push("pyauth/extract-token-service~impossible");
    }
    let out = run(&[&["validate"][..], &sample_ids].concat());
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(!stdout.contains("FAIL "), "{stdout}");
    assert!(stdout.contains(", 0 failed;"), "{stdout}");
}
