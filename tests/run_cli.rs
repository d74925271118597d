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
