//! `refbench run` end to end on the mini project: where a run writes, what it says when only
//! the model failed, and the progress lines a reporter prints.

mod common;

use common::{mini_project, shared_cache, text};

/// A provider model whose server refuses connections: every attempt ends in a model error,
/// after the packer built its context.
const DEAD_MODEL: &str = "[[model]]\nname = \"dead\"\nprovider = \"openai-chat\"\nmodel = \"dead-1\"\nbase_url = \"http://127.0.0.1:9/v1\"\napi_key_env = \"REFBENCH_TEST_DEAD_KEY\"\nmax_retries = 0\ntimeout_secs = 5\n";

#[test]
fn a_run_with_only_model_errors_says_so_once_and_writes_only_under_its_cache_dir() {
    let project = mini_project();
    let root = project.path();
    std::fs::write(root.join("refbench.toml"), DEAD_MODEL).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = common::refbench_cmd_in(root)
        .args(["run", "--model", "dead"])
        .env("HOME", home.path())
        .env_remove("XDG_CACHE_HOME")
        .env_remove("REFBENCH_CACHE")
        .env("REFBENCH_TEST_DEAD_KEY", "sk-test-not-a-key")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("model-error"), "{stderr}");
    assert_eq!(
        stderr
            .matches("got no usable reply from their model")
            .count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("harness error"), "{stderr}");
    // The packer ran (the model needs a context) and kept its facts in --cache-dir, not in
    // ~/.cache/refbench: nothing at all was written under HOME.
    assert!(shared_cache().join("pack-facts").is_dir());
    let under_home: Vec<_> = walk(home.path());
    assert!(under_home.is_empty(), "written under HOME: {under_home:?}");
}

#[test]
fn progress_lines_name_each_attempt_and_the_resume_point() {
    let project = mini_project();
    let root = project.path();
    let out = common::refbench_in(root, &["run", "--model", "gold", "--model", "empty"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains(": 2 attempts"), "{stderr}");
    assert!(
        stderr.contains("[1/2] mini/add-sub ") && stderr.contains("[2/2] mini/add-sub "),
        "{stderr}"
    );
    assert!(stderr.contains("gold #0: resolved"), "{stderr}");
    assert!(stderr.contains("empty #0: unresolved"), "{stderr}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        out.push(entry.path());
        if entry.file_type().unwrap().is_dir() {
            out.extend(walk(&entry.path()));
        }
    }
    out
}

/// A task whose gold adds a test that takes a few seconds, so that a signal finds an attempt
/// in flight.
fn slow_task(root: &std::path::Path) {
    common::add_test_task(
        root,
        "slow",
        "Add a slow test",
        "tests/test_slow.py::test_slow",
        "import time\n\n\ndef test_slow():\n    time.sleep(3)\n",
        "",
    );
}

#[test]
fn sigint_keeps_what_finished_drops_what_was_in_flight_and_every_view_says_incomplete_until_resumed(
) {
    let project = mini_project();
    let root = project.path();
    slow_task(root);
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = common::refbench_cmd_in(root);
    cmd.args([
        "run",
        "--task",
        "mini/slow",
        "--model",
        "gold",
        "--model",
        "empty",
    ])
    .args(["--samples", "2", "--jobs", "1"])
    .env("TMPDIR", tmp.path());
    // The first attempt is recorded; the second (gold, sleeping in its test) is in flight.
    let (stderr, code) = common::interrupt_when(cmd, "[1/4]");
    assert_eq!(code, Some(130), "{stderr}");
    let run = common::only_run(&root.join("runs"));
    let run_id = run.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        stderr.contains("interrupted: 1 of 4 planned attempts"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("run --resume {run_id}")) && stderr.contains("--runs-dir"),
        "the resume command, with the flags the run was given: {stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("refbench-attempt-"))
        .collect();
    assert!(left.is_empty(), "attempt folders left behind: {left:?}");
    assert_eq!(common::attempt_records(&run).len(), 1);

    // Every view says so.
    let show = common::refbench_in(root, &["show", &run_id]);
    assert!(
        text(&show.stdout).contains("INCOMPLETE: run ")
            && text(&show.stdout).contains("1 of 4 planned attempts recorded"),
        "{}",
        text(&show.stdout)
    );
    let json = common::refbench_in(root, &["show", &run_id, "--format", "json"]);
    assert!(text(&json.stderr).contains("is incomplete"));
    let summary = std::fs::read_to_string(run.join("summary.md")).unwrap();
    assert!(summary.contains("**incomplete**"), "{summary}");
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("id=\"run-state\""));
    let junit = std::fs::read_to_string(run.join("junit.xml")).unwrap();
    assert!(
        junit.contains("name=\"refbench.run_state\" value=\"incomplete\"")
            && junit.contains("<skipped message=\"not recorded: run "),
        "{junit}"
    );
    let list = common::refbench_in(root, &["list", "runs"]);
    let row = text(&list.stdout)
        .lines()
        .find(|l| l.starts_with(&run_id))
        .map(str::to_string)
        .unwrap_or_default();
    assert!(
        row.contains("incomplete") && row.contains("1/4") && row.contains("gold,empty"),
        "{}",
        text(&list.stdout)
    );
    let compare = common::refbench_in(root, &["compare", &run_id, &run_id]);
    assert_eq!(compare.status.code(), Some(2));
    assert!(text(&compare.stderr).contains("--allow-incomplete"));
    let compare = common::refbench_in(root, &["compare", &run_id, &run_id, "--allow-incomplete"]);
    assert!(compare.status.success(), "{}", text(&compare.stderr));
    assert!(text(&compare.stdout).contains("comparing only the 1 attempts both runs recorded"));

    // Resume finishes it, without redoing the recorded attempt.
    let resumed = common::refbench_in(root, &["run", "--resume", &run_id, "--jobs", "1"]);
    let resumed_err = text(&resumed.stderr);
    assert!(resumed.status.success(), "{resumed_err}");
    assert!(
        resumed_err.contains("4 attempts, 1 already recorded"),
        "{resumed_err}"
    );
    assert_eq!(common::attempt_records(&run).len(), 4);
    let show = common::refbench_in(root, &["show", &run_id]);
    assert!(!text(&show.stdout).contains("INCOMPLETE"));
    assert!(!std::fs::read_to_string(run.join("summary.md"))
        .unwrap()
        .contains("incomplete"));
}

#[test]
fn a_task_without_a_hand_written_reply_is_skipped_and_said_so_not_an_error() {
    let project = mini_project();
    let root = project.path();
    slow_task(root);
    // Hand-written replies for mini/add-sub only (an empty reply: unresolved, but asked).
    common::write(root, "replies/mini/add-sub.md", "No change needed.\n");
    std::fs::write(
        root.join("refbench.toml"),
        "[[model]]\nname = \"handwritten\"\nprovider = \"replay\"\nfile = \"replies\"\n",
    )
    .unwrap();
    let out = common::refbench_in(root, &["run", "--model", "handwritten"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("skipped: handwritten on mini/slow: no reply for it in")
            && stderr.contains("mini/slow.md"),
        "{stderr}"
    );
    let run = common::only_run(&root.join("runs"));
    assert_eq!(common::attempt_records(&run).len(), 1);
    let list = text(&common::refbench_in(root, &["list", "runs"]).stdout);
    assert!(list.contains("complete") && list.contains("1/1"), "{list}");
    let summary = std::fs::read_to_string(run.join("summary.md")).unwrap();
    assert!(
        summary.contains("Not asked (no attempt planned or counted): handwritten on `mini/slow`"),
        "{summary}"
    );
}
