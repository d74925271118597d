//! Runs the unit tests of the Python race-detection harness (harness/python/tests) with the
//! same pinned Python environment refbench grades fixtures in.

mod common;

use common::{project_root, shared_cache, text};

#[test]
fn python_interleaving_harness_unit_tests_pass() {
    let root = project_root();
    let bin = refbench::toolchain::pyenv::prepare_python_env(
        &root,
        &refbench::cache::CacheLayout::new(shared_cache()),
    )
    .expect("python environment");
    let scratch = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin.join("python3"))
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "harness/python/tests",
        ])
        .current_dir(&root)
        .env("PYTHONPATH", root.join("harness/python"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("TMPDIR", scratch.path())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains(" passed"), "{stdout}");
    assert!(!stdout.contains("no tests ran"), "{stdout}");
}
