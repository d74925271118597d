//! `refbench pack --query / --query-file` end to end: any text ranks any repository, and
//! bad arguments get clear errors.

mod common;

use std::process::Output;

fn pack(args: &[&str]) -> Output {
    let cache = tempfile::tempdir().unwrap();
    common::refbench()
        .arg("--cache-dir")
        .arg(cache.path())
        .arg("pack")
        .args(args)
        .current_dir(common::project_root())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The paths of the three best-ranked files (files are listed full ones first).
fn top3(out: &Output) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rank"].as_u64().unwrap() <= 3)
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_query_or_a_query_file_ranks_any_repository() {
    let out = pack(&[
        "repos-fixtures/rsqueue/repo",
        "--query",
        "Dead letters: make the dead-letter queue's retry bookkeeping consistent",
        "--budget",
        "2000",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let top = top3(&out);
    assert!(top.contains(&"src/deadletter.rs".to_string()), "{top:?}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("task.txt");
    std::fs::write(&file, "ledger: reserve stock for an order").unwrap();
    let out = pack(&[
        "repos-fixtures/pyshop/repo",
        "--query-file",
        file.to_str().unwrap(),
        "--budget",
        "3000",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["tokens"].as_u64().unwrap() <= 3000);
    let top = top3(&out);
    assert!(top.iter().any(|p| p.ends_with("ledger.py")), "{top:?}");
}

#[test]
fn an_unreadable_query_file_names_the_file() {
    let out = pack(&[
        "repos-fixtures/pyshop/repo",
        "--query-file",
        "/nonexistent/task.txt",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("--query-file /nonexistent/task.txt") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn query_task_and_query_file_exclude_each_other() {
    for args in [
        &["--query", "a", "--query-file", "b"][..],
        &["--task", "pyshop/extract-order-workflow", "--query", "a"][..],
        &[
            "--task",
            "pyshop/extract-order-workflow",
            "--query-file",
            "b",
        ][..],
    ] {
        let mut all = vec!["repos-fixtures/pyshop/repo"];
        all.extend_from_slice(args);
        let out = pack(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("cannot be used with"),
            "{}",
            stderr(&out)
        );
    }
}
