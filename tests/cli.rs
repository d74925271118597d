//! End-to-end tests of the binary on a small fixture built on the fly: the run, its store,
//! validation, resume after SIGKILL, and the errors users see for broken task files.

mod common;

use common::{mini_project, refbench_in, text, write, BUG_TOML, TASK_TOML};
use std::path::Path;

fn only_run_dir(root: &Path) -> std::path::PathBuf {
    let runs: Vec<_> = std::fs::read_dir(root.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    runs[0].clone()
}

#[test]
fn run_prints_leaderboard_and_records_every_attempt() {
    let project = mini_project();
    let out = refbench_in(project.path(), &["run"]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    let gold = stdout
        .lines()
        .find(|l| l.starts_with("gold "))
        .expect("gold row");
    let empty = stdout
        .lines()
        .find(|l| l.starts_with("empty "))
        .expect("empty row");
    assert!(gold.contains("100.0%"), "{gold}");
    assert!(empty.contains("0.0%"), "{empty}");

    let run = only_run_dir(project.path());
    let jsonl = std::fs::read_to_string(run.join("attempts.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), 2);
    let records: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let gold = records
        .iter()
        .find(|r| r["key"]["model"] == "gold")
        .unwrap();
    assert_eq!(gold["outcome"], "resolved");
    assert_eq!(gold["verdict"]["tests"]["grade"], "FULL");
    assert_eq!(gold["verdict"]["detectors"][0]["status"], "passed");
    // The per-attempt timing breakdown: every stage is recorded, and the stages fit in the
    // whole (they are measured one after another on the worker's thread).
    let timing = &gold["timing"];
    let stages = [
        "materialize_ms",
        "ask_ms",
        "apply_ms",
        "rules_ms",
        "setup_ms",
        "tests_ms",
        "detectors_ms",
        "grade_ms",
    ];
    let mut sum = 0;
    for stage in stages {
        sum += timing[stage]
            .as_u64()
            .unwrap_or_else(|| panic!("timing has no {stage}: {timing}"));
    }
    assert!(timing["tests_ms"].as_u64().unwrap() > 0, "{timing}");
    assert!(sum <= timing["total_ms"].as_u64().unwrap(), "{timing}");
    let empty = records
        .iter()
        .find(|r| r["key"]["model"] == "empty")
        .unwrap();
    assert_eq!(empty["outcome"], "unresolved");
    assert_eq!(empty["verdict"]["tests"]["grade"], "NO");
    assert_eq!(empty["verdict"]["detectors"][0]["status"], "failed");

    let conn = rusqlite::Connection::open(run.join("results.sqlite")).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM attempt", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
    let status: String = conn
        .query_row("SELECT status FROM test_result WHERE attempt_id LIKE '%gold%' AND test_id = 'tests/test_sub.py::test_sub'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(status, "passed");
    let artifacts = run.join("artifacts").join("mini__add-sub__gold__s0");
    for name in [
        "reply.txt",
        "model.patch",
        "tests.log",
        "detector-mini__counter-lost-update.log",
    ] {
        assert!(artifacts.join(name).is_file(), "missing artifact {name}");
    }
    let log = std::fs::read_to_string(artifacts.join("tests.log")).unwrap();
    assert!(
        log.contains(">>>>> Start Test Output")
            && log.contains(">>>>> End Test Output")
            // The harness's must-fail canary makes an honest run exit 1.
            && log.contains("status: exit 1"),
        "{log}"
    );
    assert!(run.join("summary.md").is_file());

    let out = refbench_in(project.path(), &["show", "latest", "--attempt", "gold"]);
    let detail = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(detail.contains("outcome: resolved"), "{detail}");
    assert!(
        detail.contains("F2P passed   tests/test_sub.py::test_sub"),
        "{detail}"
    );
    assert!(
        detail.contains("detector mini/counter-lost-update: passed"),
        "{detail}"
    );
    let out = refbench_in(project.path(), &["show", "latest", "--attempt", "mini"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("matches 2 attempts"));
}

#[test]
fn validate_passes_on_a_sound_task_and_fails_with_a_line_per_broken_check() {
    let project = mini_project();
    let out = refbench_in(project.path(), &["validate"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("ok   mini/add-sub: gold resolves the task"),
        "{stdout}"
    );
    assert!(
        stdout.contains("detector of mini/counter-lost-update fails on the base"),
        "{stdout}"
    );

    // A gold patch that no longer fixes the race: gold must not resolve, and validate says so.
    let gold_path = project
        .path()
        .join("repos-fixtures/mini/tasks/add-sub/gold.patch");
    let gold = std::fs::read_to_string(&gold_path).unwrap();
    let only_ops: String = gold
        .split("diff --git")
        .filter(|part| part.contains("calc/ops.py"))
        .map(|p| format!("diff --git{p}"))
        .collect();
    std::fs::write(&gold_path, only_ops).unwrap();
    let out = refbench_in(project.path(), &["validate"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL mini/add-sub: gold resolves the task"),
        "{stdout}"
    );
    let line = stdout
        .lines()
        .find(|l| {
            l.starts_with("FAIL mini/add-sub: detector of mini/counter-lost-update passes on gold")
        })
        .unwrap_or_else(|| panic!("{stdout}"));
    // The failed check names the log to read, and the log holds the detector's finding.
    let log = line.rsplit("log: ").next().unwrap().trim_end_matches(')');
    assert!(Path::new(log).is_file(), "{line}");
    assert!(
        std::fs::read_to_string(log)
            .unwrap()
            .contains("race: Counter.incr"),
        "{log}"
    );
}

#[test]
fn a_patch_that_does_not_apply_is_an_outcome() {
    let project = mini_project();
    let bad = "diff --git a/calc/ops.py b/calc/ops.py\n--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a - b\n+    return b + a\n";
    write(
        project.path(),
        "repos-fixtures/mini/tasks/add-sub/gold.patch",
        bad,
    );
    let out = refbench_in(project.path(), &["run", "--model", "gold"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = refbench_in(project.path(), &["show", "latest", "--format", "tsv"]);
    let tsv = text(&out.stdout);
    assert!(
        tsv.contains("mini/add-sub\tgold\t0\tapply-failed\t-"),
        "{tsv}"
    );
}

#[test]
fn sigkill_midway_then_resume_matches_an_uninterrupted_run() {
    let project = mini_project();
    let root = project.path();
    let samples = "4";

    let full = refbench_in(root, &["run", "--samples", samples]);
    assert!(full.status.success(), "{}", text(&full.stderr));
    let expected = text(&refbench_in(root, &["show", "latest", "--format", "tsv"]).stdout);
    assert_eq!(expected.lines().count(), 1 + 8);

    // Second run, killed with SIGKILL once at least one attempt is recorded.
    let runs_before: Vec<String> = std::fs::read_dir(root.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut child = common::refbench()
        .arg("--root")
        .arg(root)
        .arg("--runs-dir")
        .arg(root.join("runs"))
        .arg("--cache-dir")
        .arg(common::shared_cache())
        .args(["run", "--samples", samples])
        // A killed run cannot remove its attempt directory: keep it inside the project.
        .env("TMPDIR", {
            let tmp = root.join("tmp");
            std::fs::create_dir_all(&tmp).unwrap();
            tmp
        })
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let run_dir = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no attempt recorded in time"
        );
        let new: Vec<_> = std::fs::read_dir(root.join("runs"))
            .unwrap()
            .flatten()
            .filter(|e| !runs_before.contains(&e.file_name().to_string_lossy().into_owned()))
            .map(|e| e.path())
            .collect();
        if let Some(dir) = new.first() {
            let lines = std::fs::read_to_string(dir.join("attempts.jsonl"))
                .map(|s| s.lines().count())
                .unwrap_or(0);
            if lines >= 1 {
                break dir.clone();
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let run_id = run_dir.file_name().unwrap().to_string_lossy().into_owned();
    let recorded = std::fs::read_to_string(run_dir.join("attempts.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert!(
        recorded < 8,
        "the run finished before it could be killed; nothing was tested"
    );

    let resumed = refbench_in(root, &["run", "--resume", &run_id]);
    let stderr = text(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    assert!(stderr.contains("already recorded"), "{stderr}");
    let got = text(&refbench_in(root, &["show", &run_id, "--format", "tsv"]).stdout);
    assert_eq!(got, expected);

    let jsonl = std::fs::read_to_string(run_dir.join("attempts.jsonl")).unwrap();
    let mut keys: Vec<String> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["key"].to_string())
        .collect();
    assert_eq!(keys.len(), 8);
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 8, "an attempt was recorded twice");
    let conn = rusqlite::Connection::open(run_dir.join("results.sqlite")).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM attempt", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 8);
    let artifacts = std::fs::read_dir(run_dir.join("artifacts"))
        .unwrap()
        .count();
    assert_eq!(artifacts, 8, "leftover or missing artifact folders");

    // Resuming a finished run does nothing and changes nothing.
    let again = refbench_in(root, &["run", "--resume", &run_id]);
    assert!(again.status.success());
    assert!(text(&again.stderr).contains("8 already recorded"));
    assert_eq!(
        text(&refbench_in(root, &["show", &run_id, "--format", "tsv"]).stdout),
        expected
    );
}

#[test]
fn resume_refuses_a_run_whose_task_changed() {
    let project = mini_project();
    let out = refbench_in(project.path(), &["run", "--model", "empty"]);
    assert!(out.status.success());
    let run_id = only_run_dir(project.path())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    write(
        project.path(),
        "repos-fixtures/mini/tasks/add-sub/hidden/tests/test_sub.py",
        "def test_sub():\n    assert True\n",
    );
    let out = refbench_in(project.path(), &["run", "--resume", &run_id]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("changed since the run started"),
        "{}",
        text(&out.stderr)
    );
}

/// Replaces `from` by `to` in a file of a fresh mini project and returns what `refbench list`
/// printed on stderr, asserting the exit code for bad input.
fn broken(file: &str, from: &str, to: &str) -> String {
    let project = mini_project();
    let path = project.path().join(file);
    let content = std::fs::read_to_string(&path).unwrap();
    assert!(content.contains(from), "test setup: {from:?} not in {file}");
    std::fs::write(&path, content.replacen(from, to, 1)).unwrap();
    let out = refbench_in(project.path(), &["list"]);
    assert_eq!(out.status.code(), Some(2), "stdout: {}", text(&out.stdout));
    text(&out.stderr)
}

const TASK: &str = "repos-fixtures/mini/tasks/add-sub/task.toml";
const BUG: &str = "seeded-bugs/mini/counter-lost-update/bug.toml";

#[test]
fn broken_task_files_get_errors_naming_file_line_key_expected_and_found() {
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            TASK,
            "language = \"python\"",
            "language = \"java\"",
            &[
                "task.toml:3: key `language`",
                "expected `python` or `rust`, found `java`",
            ],
        ),
        (
            TASK,
            "title = \"Add subtraction\"\n",
            "",
            &["task.toml", "required key `title` is missing"],
        ),
        (
            TASK,
            "title =",
            "tittle =",
            &["task.toml:4", "unknown key `tittle`"],
        ),
        (
            TASK,
            "fail_to_pass = [\"tests/test_sub.py::test_sub\"]",
            "fail_to_pass = \"tests/test_sub.py::test_sub\"",
            &["key `fail_to_pass`", "expected a sequence, found string"],
        ),
        (
            TASK,
            "tests = 120",
            "tests = 0",
            &[
                "task.toml:14: key `timeouts.tests`",
                "expected a positive number of seconds, found 0",
            ],
        ),
        (
            TASK,
            "tests = 120",
            "tests = \"2m\"",
            &["key `timeouts.tests`", "expected u64, found string \"2m\""],
        ),
        (
            TASK,
            "detector = 60\n",
            "detector = 60\n\n[limits]\ndisk_mb = 0\n",
            &[
                "task.toml:18: key `limits.disk_mb`",
                "expected a positive number of MiB, found 0",
            ],
        ),
        (
            TASK,
            "detector = 60\n",
            "detector = 60\n\n[limits]\ndisk = 5\n",
            &["task.toml:18", "unknown key `disk`"],
        ),
        (
            TASK,
            "Add it.",
            "Add it; see calc/counter.py.",
            &[
                "key `statement`",
                "must not name the seeded bug's file (calc/counter.py)",
            ],
        ),
        (
            TASK,
            "Add it.",
            "Add it next to calc.counter.",
            &["key `statement`", "mentions \"calc.counter\""],
        ),
        (
            TASK,
            "seeded_bugs = [\"mini/counter-lost-update\"]",
            "seeded_bugs = [\"mini/nope\"]",
            &["task.toml:8: key `seeded_bugs[0]`", "found \"mini/nope\""],
        ),
        (
            TASK,
            "fixture = \"mini\"",
            "fixture = \"maxi\"",
            &["key `fixture`", "expected \"mini\"", "found \"maxi\""],
        ),
        (
            TASK,
            "[\"tests/test_sub.py::test_sub\"]",
            "[\"test_sub\"]",
            &[
                "key `fail_to_pass[0]`",
                "expected a test id FILE.py::NAME",
                "found \"test_sub\"",
            ],
        ),
        (
            TASK,
            "protected = [\"tests/**\"",
            "protected = [\"tests/[\"",
            &["key `protected[0]`", "expected a glob"],
        ),
        (
            TASK,
            "id = \"add-sub\"",
            "id = \"other\"",
            &[
                "key `id`",
                "expected the task's folder name \"add-sub\", found \"other\"",
            ],
        ),
        (
            TASK,
            "[timeouts]",
            "[[arch_rules]]\nid = \"r\"\nkind = \"forbid-imports\"\nfrom = \"a/**\"\nto = \"b/**\"\n[timeouts]",
            &[
                "key `arch_rules[0].kind`",
                "expected one of forbid-import, layers",
                "found \"forbid-imports\"",
            ],
        ),
        (
            BUG,
            "kind = \"lost-update\"",
            "kind = \"race\"",
            &["bug.toml:3: key `kind`", "found `race`"],
        ),
        (
            BUG,
            "file = \"calc/counter.py\"",
            "file = \"calc/ops.py\"",
            &["key `file`", "the patch changes only calc/counter.py"],
        ),
        (
            BUG,
            "file = \"calc/counter.py\"",
            "file = \"calc/missing.py\"",
            &["key `file`", "found no calc/missing.py"],
        ),
        (
            BUG,
            "timeout = 30",
            "timeout = -1",
            &["key `detector.timeout`", "expected u64"],
        ),
        (
            BUG,
            "command = [\"python3\", \"detectors/check_counter.py\"]",
            "command = []",
            &["key `detector.command`", "expected a non-empty argv list"],
        ),
    ];
    for (file, from, to, needles) in cases {
        let stderr = broken(file, from, to);
        for needle in *needles {
            assert!(
                stderr.contains(needle),
                "{file}: replacing {from:?} by {to:?}\nexpected {needle:?} in:\n{stderr}"
            );
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn broken_patches_are_named() {
    let project = mini_project();
    write(
        project.path(),
        "repos-fixtures/mini/tasks/add-sub/gold.patch",
        "this is not a diff\n",
    );
    let out = refbench_in(project.path(), &["list"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("add-sub/gold.patch: not a valid patch"),
        "{stderr}"
    );

    let project = mini_project();
    write(
        project.path(),
        "seeded-bugs/mini/counter-lost-update/inject.patch",
        "",
    );
    let stderr = text(&refbench_in(project.path(), &["list"]).stderr);
    assert!(
        stderr.contains("inject.patch: expected a unified diff, found an empty file"),
        "{stderr}"
    );
    // The task naming the broken bug is reported too.
    assert!(stderr.contains("seeded_bugs[0]"), "{stderr}");
}

#[test]
fn unknown_inputs_are_clear_errors() {
    let project = mini_project();
    let out = refbench_in(project.path(), &["run", "--model", "gpt-9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown model `gpt-9`"));
    let out = refbench_in(project.path(), &["run", "--task", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--task nope: no task matches; known tasks: mini/add-sub"));
    let out = refbench_in(project.path(), &["show", "20990101-000000-run-0000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no run `20990101-000000-run-0000`"));
    for (args, what) in [
        (
            &["run", "--jobs", "0"][..],
            "'0' for '--jobs <N>': must be at least 1",
        ),
        (
            &["run", "--samples", "0"][..],
            "'0' for '--samples <SAMPLES>': must be at least 1",
        ),
        (
            &["validate", "--repeat", "0"][..],
            "'0' for '--repeat <N>': must be at least 1",
        ),
        (
            &["run", "--jobs", "two"][..],
            "expected a whole number, at least 1",
        ),
    ] {
        let out = refbench_in(project.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).contains(what),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    // Refused before anything was made.
    let runs = project.path().join("runs");
    let made = std::fs::read_dir(&runs).map(|d| d.count()).unwrap_or(0);
    assert_eq!(made, 0, "run folders made for refused runs");
    let empty = tempfile::tempdir().unwrap();
    let out = refbench_in(empty.path(), &["list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected a folder of fixtures here"));
}

#[test]
fn inject_patch_that_does_not_apply_is_a_harness_error_not_a_model_failure() {
    let project = mini_project();
    // Still a valid diff for the catalog, but its context no longer matches the fixture.
    let path = project
        .path()
        .join("seeded-bugs/mini/counter-lost-update/inject.patch");
    let patch = std::fs::read_to_string(&path)
        .unwrap()
        .replace("def incr(self):", "def incr(this):");
    std::fs::write(&path, patch).unwrap();
    let out = refbench_in(project.path(), &["run"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("inject.patch does not apply"), "{stderr}");
    let tsv = text(&refbench_in(project.path(), &["show", "latest", "--format", "tsv"]).stdout);
    assert!(tsv.contains("gold\t0\terror"), "{tsv}");
    let _ = (TASK_TOML, BUG_TOML);
}

#[test]
fn a_closed_pipe_ends_a_printing_command_quietly() {
    use std::io::Read;
    // More than a pipe buffer of JSON, read a little of, then the pipe is closed (`| head`).
    let mut child = common::refbench()
        .args(["graph", "repos-fixtures/pyshop/repo", "--format", "json"])
        .current_dir(common::project_root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

#[test]
fn cache_list_and_clear_show_and_remove_parts() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap();
    // A pack fills the parse cache.
    let out = common::refbench()
        .args(["--cache-dir", dir, "pack", "repos-fixtures/pyshop/repo"])
        .current_dir(common::project_root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::create_dir_all(cache.path().join("responses")).unwrap();
    std::fs::write(cache.path().join("responses/r.json"), "{}").unwrap();
    let cache_cmd = |args: &[&str]| {
        common::refbench()
            .args(["--cache-dir", dir, "cache"])
            .args(args)
            .output()
            .unwrap()
    };
    let list = cache_cmd(&["list"]);
    let listed = String::from_utf8_lossy(&list.stdout).to_string();
    assert!(list.status.success(), "{listed}");
    for part in [
        "bases",
        "builds",
        "python",
        "upstream",
        "pack",
        "responses",
        "total",
    ] {
        assert!(
            listed.contains(&format!("  {part} ")),
            "{part} missing: {listed}"
        );
    }
    let pack_line = listed
        .lines()
        .find(|l| l.trim_start().starts_with("pack "))
        .unwrap();
    assert!(!pack_line.contains(" 0 files"), "{pack_line}");
    // Without --only, everything but the paid-for replies.
    let clear = cache_cmd(&["clear"]);
    let cleared = String::from_utf8_lossy(&clear.stdout).to_string();
    assert!(clear.status.success(), "{cleared}");
    assert!(cleared.contains("cleared pack"), "{cleared}");
    assert!(!cache.path().join("pack-facts").exists());
    assert!(cache.path().join("responses/r.json").exists());
    let clear = cache_cmd(&["clear", "--only", "responses"]);
    assert!(clear.status.success());
    assert!(!cache.path().join("responses").exists());
}

#[test]
fn list_fixtures_names_each_fixture_with_its_counts_and_tree() {
    let project = mini_project();
    let out = refbench_in(project.path(), &["list", "fixtures"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mini = stdout
        .lines()
        .find(|l| l.starts_with("mini\t"))
        .unwrap_or_else(|| panic!("no mini row: {stdout}"));
    let cells: Vec<&str> = mini.split('\t').collect();
    assert_eq!(cells[1], "python", "{mini}");
    assert!(cells[2].ends_with("tasks (+0 impossible)"), "{mini}");
    assert!(cells[3].ends_with(" bugs"), "{mini}");
    assert!(
        cells[4].ends_with("repos-fixtures/mini/repo"),
        "the tree in use: {mini}"
    );
}
