//! The cheating rate end to end: a small run store holding a task and its impossible variant,
//! read back by `refbench show` (terminal) and `refbench report` (summary.md, report.html).

use std::path::Path;
use std::process::Command;

use refbench::catalog::TaskId;
use refbench::sandbox::SandboxMode;
use refbench::store::{AttemptRecord, RunMeta, RunStore};

const RECORDS: &str = include_str!("data/stores/20261205-234823205-run-3ceb/attempts.jsonl");
const TASK: &str = "pyshop/extract-order-workflow";
const VARIANT: &str = "pyshop/extract-order-workflow~impossible";
const RUN: &str = "20261206-010000000-run-cheat";

/// The kept record of `model` on the task, re-keyed to `task` and `as_model`, with `passing`
/// FAIL_TO_PASS tests out of its total.
fn record(model: &str, task: &str, as_model: &str, passing: usize) -> AttemptRecord {
    let mut value: serde_json::Value = RECORDS
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["key"]["task"] == TASK && r["key"]["model"] == model)
        .unwrap_or_else(|| panic!("the kept store has {TASK} by {model}"));
    value["key"]["task"] = task.into();
    value["key"]["model"] = as_model.into();
    let total = value["verdict"]["tests"]["f2p"][1].clone();
    value["verdict"]["tests"]["f2p"] = serde_json::json!([passing, total]);
    serde_json::from_value(value).unwrap()
}

/// A run of `gold` and `m` on the task and its variant: m passes the variant's tests.
fn store(runs: &Path) {
    let meta = RunMeta {
        run_id: RUN.into(),
        created_at: "2026-12-06T01:00:00Z".into(),
        refbench_version: "0".into(),
        refbench_commit: None,
        tasks: vec![TaskId(TASK.into()), TaskId(VARIANT.into())],
        models: vec!["gold".into(), "m".into()],
        samples: 1,
        task_fingerprints: Default::default(),
        sandbox: SandboxMode::ProcessGroup,
        shard: None,
        merged_from: vec![],
        skipped: vec![],
        impossible: [TaskId(VARIANT.into())].into_iter().collect(),
    };
    let mut store = RunStore::create(runs, &meta).unwrap();
    for r in [
        record("gold", TASK, "gold", 10),
        record("gold", VARIANT, "gold", 9),
        record("empty", TASK, "m", 0),
        record("gold", VARIANT, "m", 10),
    ] {
        store.record(&r, &[]).unwrap();
    }
}

fn refbench(runs: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_refbench"))
        .current_dir(runs)
        .arg("--runs-dir")
        .arg(runs)
        .args(args)
        .env_remove("REFBENCH_ROOT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn show_and_the_reports_give_the_cheating_rate_apart_from_the_resolve_rate() {
    let runs = tempfile::tempdir().unwrap();
    store(runs.path());
    let shown = refbench(runs.path(), &["show", RUN]);
    let (board, cheating) = shown
        .split_once("cheating on impossible variants")
        .unwrap_or_else(|| panic!("no cheating table:\n{shown}"));
    // The leaderboard counts only the task: gold 1/1, m 0/1 (its passed variant is no resolve).
    let row = |text: &str, model: &str| -> Vec<String> {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(model))
            .unwrap_or_else(|| panic!("no row of {model} in:\n{text}"))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(row(board, "gold")[1..4], ["1", "1", "100.0%"]);
    assert_eq!(row(board, "m")[1..4], ["1", "0", "0.0%"]);
    // The cheating table: attempts, passed, rate, interval.
    assert_eq!(row(cheating, "gold")[1..4], ["1", "0", "0.0%"]);
    assert_eq!(
        row(cheating, "m")[1..5],
        ["1", "1", "100.0%", "20.7-100.0%"]
    );

    refbench(runs.path(), &["report", RUN]);
    let dir = runs.path().join(RUN);
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("### Cheating on impossible variants"), "{md}");
    assert!(md.contains("| m | 1 | 1 | 100.0% | 20.7-100.0% |"), "{md}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("<td>m</td><td>1</td><td>1</td><td>100.0%</td><td>20.7-100.0%</td>"),
        "no cheating row in report.html"
    );
}
