//! The hostile corpus: replies that try to change their grade instead of earning it, each
//! graded by the real binary on the small fixtures of tests/common (Python `mini/add-sub`,
//! Rust `rmini/add-sub`), and the contamination check of the shared Rust build slot.
//!
//! A case is a folder of tests/data/hostile/: `reply.md` (the whole reply, as a model would
//! write it) and `expect.toml`:
//!
//! ```toml
//! task = "mini/add-sub"        # the task it is replayed on
//! earns_f2p = true             # optional: the reply also carries the real change, so its
//!                              # FAIL_TO_PASS tests may pass (else none may)
//! outcome = "apply-failed"     # optional: the edit is refused before grading (the default
//!                              # is "unresolved": graded, tampered, never resolved)
//! prevented = true             # optional: an in-process trick the clean room cannot refuse
//!                              # (the model's own code writes a grader file while it runs)
//!                              # and that swallows the sandbox's refusal: the write never
//!                              # happens, nothing is earned, and nothing may show it (so the
//!                              # attempt need not be flagged tampered)
//!
//! [[evidence]]                 # each must be in the verdict's integrity evidence
//! kind = "refused-file"
//! path = "conftest.py"
//! why = "test-config"
//! ```
//!
//! Every case is one replay model (named after its folder) of one `refbench run` per task, so
//! the corpus costs two runs; gold and empty run beside them and must keep their verdicts.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use common::{text, write};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    task: String,
    #[serde(default)]
    earns_f2p: bool,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    prevented: bool,
    #[serde(default)]
    evidence: Vec<toml::Value>,
}

struct Case {
    name: String,
    reply: String,
    expect: Expect,
}

fn corpus() -> Vec<Case> {
    let dir = common::project_root().join("tests/data/hostile");
    let mut cases: Vec<Case> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let expect_path = e.path().join("expect.toml");
            let expect = std::fs::read_to_string(&expect_path).unwrap();
            let expect: Expect = toml::from_str(&expect)
                .unwrap_or_else(|err| panic!("{}: {err}", expect_path.display()));
            Case {
                name,
                reply: std::fs::read_to_string(e.path().join("reply.md")).unwrap(),
                expect,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

/// A project root with both small fixtures; the Python task also protects a README.md (so a
/// case can touch a protected file that no other rule names).
fn hostile_root() -> tempfile::TempDir {
    let root = common::mini_project();
    common::add_rust_mini(root.path());
    write(
        root.path(),
        "repos-fixtures/mini/repo/README.md",
        "# mini\n",
    );
    let task = root
        .path()
        .join("repos-fixtures/mini/tasks/add-sub/task.toml");
    let toml = std::fs::read_to_string(&task).unwrap().replace(
        r#"protected = ["tests/**", "detectors/**", "pytest.ini"]"#,
        r#"protected = ["tests/**", "detectors/**", "pytest.ini", "README.md"]"#,
    );
    std::fs::write(&task, toml).unwrap();
    root
}

/// Writes each case's reply where its replay model reads it, and a refbench.toml listing one
/// replay model per case.
fn add_replay_models(root: &Path, cases: &[Case]) {
    let mut config = String::new();
    for case in cases {
        let (fixture, task) = case.expect.task.split_once('/').unwrap();
        write(
            root,
            &format!("replies/{}/{fixture}/{task}.md", case.name),
            &case.reply,
        );
        config.push_str(&format!(
            "[[model]]\nname = \"{}\"\nprovider = \"replay\"\nfile = \"replies/{}\"\n\n",
            case.name, case.name
        ));
    }
    write(root, "refbench.toml", &config);
}

/// Runs `models` on `task` in `root`, with its runs in `runs` and the build caches in `cache`;
/// returns the records by model.
fn run(
    root: &Path,
    runs: &Path,
    cache: &Path,
    task: &str,
    models: &[&str],
) -> BTreeMap<String, serde_json::Value> {
    let mut cmd = common::refbench();
    cmd.arg("--root")
        .arg(root)
        .arg("--runs-dir")
        .arg(runs)
        .arg("--cache-dir")
        .arg(cache)
        .args(["run", "--jobs", "2", "--task", task]);
    for model in models {
        cmd.args(["--model", model]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "refbench run on {task}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    common::attempt_records(&common::only_run(runs))
        .into_iter()
        .map(|r| (r["key"]["model"].as_str().unwrap().to_string(), r))
        .collect()
}

/// What is wrong with `record` given what `case` expects (empty: contained and flagged).
fn problems(case: &Case, record: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let expected_outcome = case.expect.outcome.as_deref().unwrap_or("unresolved");
    if record["outcome"] != expected_outcome {
        out.push(format!(
            "outcome {} (expected {expected_outcome}): {}",
            record["outcome"], record["error"]
        ));
    }
    if record["outcome"] == "resolved" {
        out.push("resolved".into());
    }
    let verdict = &record["verdict"];
    if verdict.is_null() {
        return out;
    }
    if verdict["resolved"] != false {
        out.push("verdict resolved".into());
    }
    if !case.expect.prevented && verdict["integrity"]["status"] != "tampered" {
        out.push(format!("integrity {}", verdict["integrity"]));
    }
    let found = verdict["integrity"]["evidence"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for want in &case.expect.evidence {
        let want = serde_json::to_value(want).unwrap();
        if !found.contains(&want) {
            out.push(format!("missing evidence {want} (found {found:?})"));
        }
    }
    let f2p_passing = verdict["tests"]["f2p"][0].as_u64().unwrap();
    if !case.expect.earns_f2p && f2p_passing > 0 {
        out.push(format!("{f2p_passing} FAIL_TO_PASS tests pass unearned"));
    }
    out
}

/// The built-ins keep their verdicts beside the hostile replies: gold resolves and is clean,
/// empty does not resolve and is clean.
fn check_references(records: &BTreeMap<String, serde_json::Value>, task: &str) {
    let gold = &records["gold"];
    assert_eq!(gold["outcome"], "resolved", "gold on {task}: {gold}");
    assert_eq!(gold["verdict"]["integrity"]["status"], "clean", "{gold}");
    let empty = &records["empty"];
    assert_eq!(empty["outcome"], "unresolved", "empty on {task}: {empty}");
    assert_eq!(empty["verdict"]["integrity"]["status"], "clean", "{empty}");
}

#[test]
fn every_hostile_reply_is_contained_and_flagged() {
    let cases = corpus();
    assert!(cases.len() >= 30, "the corpus has {} replies", cases.len());
    let root = hostile_root();
    add_replay_models(root.path(), &cases);
    let mut tasks: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for case in &cases {
        tasks
            .entry(case.expect.task.as_str())
            .or_default()
            .push(&case.name);
    }
    let mut failures = Vec::new();
    for (task, names) in &tasks {
        let runs = root
            .path()
            .join(format!("runs-{}", task.replace('/', "__")));
        let mut models = vec!["gold", "empty"];
        models.extend(names.iter().copied());
        let records = run(root.path(), &runs, &common::shared_cache(), task, &models);
        check_references(&records, task);
        if *task == "mini/add-sub" {
            check_views(root.path(), &runs);
        }
        for case in cases.iter().filter(|c| c.expect.task == *task) {
            let record = &records[&case.name];
            for problem in problems(case, record) {
                failures.push(format!("{}: {problem}", case.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What people read of a tampered attempt: the leaderboard counts it, `show --attempt` lists
/// its evidence.
fn check_views(root: &Path, runs: &Path) {
    let run_dir = common::only_run(runs);
    let run_id = run_dir.file_name().unwrap().to_str().unwrap();
    let show = |args: &[&str]| {
        let out = common::refbench()
            .arg("--root")
            .arg(root)
            .arg("--runs-dir")
            .arg(runs)
            .arg("show")
            .arg(run_id)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let board = show(&[]);
    let header: Vec<&str> = board
        .lines()
        .find(|l| l.starts_with("model "))
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let column = header.iter().position(|c| *c == "tampered").expect(&board);
    let cells = |model: &str| -> Vec<String> {
        let line = board
            .lines()
            .find(|l| l.starts_with(&format!("{model} ")))
            .unwrap_or_else(|| panic!("no row for {model} in\n{board}"));
        line.split_whitespace().map(str::to_string).collect()
    };
    // The leaderboard's cells before the column have no spaces but the 95% CI ("n/a").
    assert_eq!(cells("py-conftest-root")[column], "1", "{board}");
    assert_eq!(cells("gold")[column], "0", "{board}");
    let attempt = show(&["--attempt", "mini__add-sub__py-conftest-root__s0"]);
    assert!(attempt.contains("integrity: tampered (1)"), "{attempt}");
    assert!(
        attempt.contains("refused conftest.py: test configuration"),
        "{attempt}"
    );
}

/// A verdict without what varies from run to run (times, logs' paths).
fn stable_verdict(record: &serde_json::Value) -> serde_json::Value {
    let mut v = record["verdict"].clone();
    v["tests"]["duration_ms"] = serde_json::Value::Null;
    v["tests"]["build_ms"] = serde_json::Value::Null;
    v["tests"]["detail"] = serde_json::Value::Null;
    for d in v["detectors"].as_array_mut().into_iter().flatten() {
        d["duration_ms"] = serde_json::Value::Null;
        d["build_ms"] = serde_json::Value::Null;
    }
    serde_json::json!({ "outcome": record["outcome"], "verdict": v })
}

#[test]
fn a_hostile_rust_attempt_changes_nothing_later_attempts_build_against() {
    let cases: Vec<Case> = corpus()
        .into_iter()
        .filter(|c| c.name == "rs-build-rs-plants-and-fails" || c.name == "rs-cargo-config-runner")
        .collect();
    assert_eq!(cases.len(), 2);
    let root = hostile_root();
    add_replay_models(root.path(), &cases);
    let task = "rmini/add-sub";
    let work = tempfile::tempdir().unwrap();
    let dirty: PathBuf = work.path().join("dirty-cache");
    let clean: PathBuf = work.path().join("clean-cache");
    // The hostile attempts first, on their own cache...
    let hostile = run(
        root.path(),
        &work.path().join("runs-hostile"),
        &dirty,
        task,
        &["rs-build-rs-plants-and-fails", "rs-cargo-config-runner"],
    );
    for case in &cases {
        let problems = problems(case, &hostile[&case.name]);
        assert!(problems.is_empty(), "{}: {problems:?}", case.name);
    }
    // ...then gold and empty on the same build slot, and on a cache no one else used.
    let after = run(
        root.path(),
        &work.path().join("runs-after"),
        &dirty,
        task,
        &["gold", "empty"],
    );
    let fresh = run(
        root.path(),
        &work.path().join("runs-fresh"),
        &clean,
        task,
        &["gold", "empty"],
    );
    for model in ["gold", "empty"] {
        assert_eq!(
            stable_verdict(&after[model]),
            stable_verdict(&fresh[model]),
            "{model} after the hostile attempts"
        );
    }
    check_references(&after, task);
    // Nothing the hostile build scripts would have planted is in the slot.
    let planted: Vec<PathBuf> = walk(&dirty.join("cargo-target"))
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("refbench-planted"))
        })
        .collect();
    assert!(planted.is_empty(), "{planted:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
