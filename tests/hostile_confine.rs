//! Hostile replies against confinement, isolation, the disk quota and the sync-shim rule, run
//! through the real binary with the full sandbox:
//! - Python (the mini project): tests that read a task's gold.patch (walking up from their own
//!   path, from PYTHONPATH, by absolute path), another task's hidden tests, a seeded bug's
//!   files and an earlier run's artifacts; a test that fills the disk. Each read is refused
//!   (the test that needed it fails, the secret appears in no artifact), the disk filler is
//!   stopped at its quota and the verdict says so.
//! - Rust (a small crate `rmini` with one registry dependency, `cfg-if`): a build script that
//!   plants a fake crate in the shared build cache and then fails; `gold` and `empty` graded
//!   afterwards on the same cache get the verdicts a clean cache gives. A dependency artifact
//!   changed behind refbench's back is caught by the slot's manifest and rebuilt. A fix that
//!   exists only under `cfg(test)` and atomics from `core::sync` break the sync-shim rule
//!   with their file and line.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{text, write};
use serde_json::Value;

const SECRET: &str = "SECRET-ANSWER-7f3a9c";

/// A hostile Python test body (indented into `def test_evil():`).
fn py_test(body: &str) -> String {
    let mut out = String::from("import os, sys\n\n\ndef test_evil():\n");
    for line in body.lines() {
        out.push_str("    ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Tries every path in `paths` (Python expressions) and asserts one was read: the test passes
/// only if confinement failed.
fn reader(paths: &str) -> String {
    py_test(&format!(
        "found = []\nfor p in {paths}:\n    try:\n        found.append(open(p).read())\n    except OSError as e:\n        print('refused', p, e)\nprint(''.join(found))\nassert found"
    ))
}

fn python_project(old_run: &Path, cache: &Path) -> tempfile::TempDir {
    let project = common::mini_project();
    let root = project.path();
    // The task whose answers the others try to read.
    common::add_test_task(
        root,
        "secret",
        "Holds secrets",
        "tests/test_secret.py::test_secret",
        &format!("# {SECRET}\ndef test_secret():\n    pass\n"),
        "",
    );
    write(
        root,
        "repos-fixtures/mini/tasks/secret/hidden/tests/test_hidden_secret.py",
        &format!("# {SECRET}\n"),
    );
    write(
        root,
        "seeded-bugs/mini/counter-lost-update/detector/detectors/notes.txt",
        SECRET,
    );
    let gold = root.join("repos-fixtures/mini/tasks/secret/gold.patch");
    let walk_up = "[os.path.join(os.path.abspath(os.path.join(s, *(['..'] * k))), 'repos-fixtures/mini/tasks/secret/gold.patch') for s in os.environ.get('PYTHONPATH', '').split(':') + [os.path.dirname(os.path.abspath(__file__)), os.getcwd()] if s for k in range(8)]";
    let tasks: Vec<(&str, String, &str)> = vec![
        ("read-gold-walking-up", reader(walk_up), ""),
        (
            "read-gold-absolute",
            reader(&format!("['{}']", gold.display())),
            "",
        ),
        (
            "read-hidden-tests",
            reader(&format!(
                "['{}/repos-fixtures/mini/tasks/secret/hidden/tests/test_hidden_secret.py', '{}/seeded-bugs/mini/counter-lost-update/detector/detectors/notes.txt']",
                root.display(),
                root.display()
            )),
            "",
        ),
        (
            "read-runs",
            reader(&format!(
                "['{}/artifacts/1/raw_reply.txt'] + [os.path.join(r, f) for r, _, fs in os.walk('{}') for f in fs]",
                old_run.display(),
                old_run.parent().unwrap().display()
            )),
            "",
        ),
        (
            "read-cache",
            reader(&format!(
                "[os.path.join(r, f) for r, _, fs in os.walk('{}/bases') for f in fs if f.endswith('.patch') or 'secret' in r] + ['{}/planted-secret.txt']",
                cache.display(),
                cache.display()
            )),
            "",
        ),
        (
            "fill-disk",
            py_test(
                "chunk = b'x' * (8 << 20)\nfor i in range(64):\n    with open(f'calc/junk{i}', 'wb') as f:\n        f.write(chunk)\nprint('wrote 512 MiB')",
            ),
            "\n[limits]\ndisk_mb = 32\n",
        ),
    ];
    for (name, code, extra) in tasks {
        common::add_test_task(
            root,
            &format!("hostile-{name}"),
            &format!("Hostile: {name}"),
            "tests/test_evil.py::test_evil",
            &code,
            &format!("\n[timeouts]\ntests = 120\ndetector = 30\n{extra}"),
        );
    }
    project
}

fn run_dirs(runs: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(runs)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Every file below `dir` containing `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle))
            {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

fn record<'a>(records: &'a [Value], task: &str, model: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["key"]["task"] == task && r["key"]["model"] == model)
        .unwrap_or_else(|| panic!("no record for {task} {model}"))
}

#[test]
fn python_tests_cannot_read_answers_runs_or_fill_the_disk() {
    let cache = common::shared_cache();
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("planted-secret.txt"), SECRET).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let runs = scratch.path().join("runs");
    let old_run = runs.join("20200101T000000Z-old");
    write(&old_run, "artifacts/1/raw_reply.txt", SECRET);
    write(
        &old_run,
        "attempts.jsonl",
        &format!("{{\"secret\": \"{SECRET}\"}}\n"),
    );
    let project = python_project(&old_run, &cache);
    let root = project.path();
    let out = common::refbench()
        .arg("--root")
        .arg(root)
        .arg("--runs-dir")
        .arg(&runs)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["run", "-t", "mini/hostile-*", "-m", "gold", "--jobs", "2"])
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(stdout.contains("sandbox: full"), "{stdout}\n{stderr}");
    let run = run_dirs(&runs)
        .into_iter()
        .find(|p| *p != old_run)
        .expect("the new run");
    let records = common::attempt_records(&run);
    assert_eq!(records.len(), 6, "{stderr}");
    for r in &records {
        let task = r["key"]["task"].as_str().unwrap();
        assert_eq!(r["outcome"], "unresolved", "{task}: {r}");
        let tests = r["verdict"]["tests"]["tests"].as_array().unwrap();
        let evil = tests
            .iter()
            .find(|t| t["id"] == "tests/test_evil.py::test_evil")
            .unwrap_or_else(|| panic!("{task}: {r}"));
        assert_ne!(
            evil["status"], "passed",
            "{task} read what it must not: {r}"
        );
    }
    let detail = |task: &str| {
        record(&records, task, "gold")["verdict"]["tests"]["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let fill = detail("mini/hostile-fill-disk");
    assert!(fill.contains("disk quota of 32 MiB"), "{fill}");
    // Nothing of the secrets reached the new run's artifacts (the tests printed whatever they
    // managed to read).
    let leaks = files_containing(&run, SECRET);
    assert!(leaks.is_empty(), "secrets leaked into {leaks:?}");
    for r in &records {
        let log = r.to_string();
        assert!(!log.contains(SECRET), "{log}");
    }
}

const RMINI_MANIFEST: &str = "[package]\nname = \"rmini\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ncfg-if = \"1\"\n\n[features]\nshuttle = []\n";
const RMINI_LIB: &str = "cfg_if::cfg_if! {\n    if #[cfg(unix)] {\n        pub fn add(a: u32, b: u32) -> u32 { a + b }\n    } else {\n        pub fn add(a: u32, b: u32) -> u32 { b + a }\n    }\n}\n";
const RMINI_SUB: &str = "\npub fn sub(a: u32, b: u32) -> u32 {\n    a - b\n}\n";

/// A build script that overwrites the dependency `cfg-if` in the shared build cache and plants
/// a fake `shuttle`, then fails.
const PLANTING_BUILD_RS: &str = r#"use std::path::PathBuf;
fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let deps = out.ancestors().nth(3).unwrap().join("deps");
    for e in std::fs::read_dir(&deps).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("libcfg_if-") {
            std::fs::write(e.path(), b"planted: not a crate").unwrap();
        }
    }
    std::fs::write(deps.join("libshuttle-aaaaaaaaaaaaaaaa.rlib"), b"fake shuttle").unwrap();
    eprintln!("planted");
    std::process::exit(1);
}
"#;

/// A `sub` that is right only when the test executable running it can read what an earlier
/// attempt compiled into the shared build slot (its folder's libraries).
const PEEKING_SUB: &str = r#"
pub fn sub(a: u32, b: u32) -> u32 {
    let peeked = std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::read_dir(exe.parent()?).ok())
        .is_some_and(|dir| {
            dir.flatten().any(|e| {
                e.file_name().to_string_lossy().ends_with(".rlib") && std::fs::read(e.path()).is_ok()
            })
        });
    if peeked { a - b } else { a + b }
}
"#;

fn rmini_task(root: &Path, id: &str, gold: &str, extra_files: &[(&str, &str)]) {
    let task = format!("repos-fixtures/rmini/tasks/{id}");
    write(
        root,
        &format!("{task}/task.toml"),
        &format!(
            r#"id = "{id}"
fixture = "rmini"
language = "rust"
title = "Add sub ({id})"
statement = "Add subtraction."
requirements = ["rmini::sub(a, b) returns a - b"]
interface = "pub fn sub(a: u32, b: u32) -> u32"
seeded_bugs = []
fail_to_pass = ["tests/sub.rs::subtracts"]
pass_to_pass = ["tests/add.rs::adds"]
protected = ["tests/**"]

[timeouts]
tests = 300
detector = 60
"#
        ),
    );
    write(
        root,
        &format!("{task}/hidden/tests/sub.rs"),
        "#[test]\nfn subtracts() {\n    assert_eq!(rmini::sub(5, 3), 2);\n}\n",
    );
    let mut after = vec![("src/lib.rs", gold)];
    after.extend_from_slice(extra_files);
    write(
        root,
        &format!("{task}/gold.patch"),
        &common::make_patch(&[("src/lib.rs", RMINI_LIB)], &after),
    );
}

fn rust_project() -> tempfile::TempDir {
    let project = tempfile::tempdir().unwrap();
    let root = project.path();
    let requirements =
        std::fs::read_to_string(common::project_root().join("harness/python/requirements.txt"))
            .unwrap();
    write(root, "harness/python/requirements.txt", &requirements);
    let repo = root.join("repos-fixtures/rmini/repo");
    write(&repo, "Cargo.toml", RMINI_MANIFEST);
    write(&repo, "src/lib.rs", RMINI_LIB);
    // The sync shim the fixtures' convention puts in src/sync.rs (the shim rule applies to
    // crates whose src/sync.rs swaps in a model checker's primitives); nothing here needs it
    // compiled.
    write(
        &repo,
        "src/sync.rs",
        "//! The crate's sync shim: std's primitives here, the model checker's under a detector.\n#[cfg(not(feature = \"shuttle\"))]\npub use std::sync::atomic;\n#[cfg(feature = \"shuttle\")]\npub use shuttle::sync::atomic;\n",
    );
    write(
        &repo,
        "tests/add.rs",
        "#[test]\nfn adds() {\n    assert_eq!(rmini::add(1, 2), 3);\n}\n",
    );
    write(&repo, ".gitignore", "target/\n");
    let lock = Command::new("cargo")
        .args(["generate-lockfile", "--offline"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert!(lock.status.success(), "{}", text(&lock.stderr));
    let gold = format!("{RMINI_LIB}{RMINI_SUB}");
    rmini_task(root, "honest", &gold, &[]);
    rmini_task(root, "plant", &gold, &[("build.rs", PLANTING_BUILD_RS)]);
    rmini_task(root, "peek", &format!("{RMINI_LIB}{PEEKING_SUB}"), &[]);
    rmini_task(
        root,
        "rule-cfg-test",
        &format!(
            "{RMINI_LIB}\n#[cfg(test)]\npub fn sub(a: u32, b: u32) -> u32 {{\n    a - b\n}}\n\n#[cfg(not(test))]\npub fn sub(a: u32, b: u32) -> u32 {{\n    a.wrapping_sub(b)\n}}\n"
        ),
        &[],
    );
    rmini_task(
        root,
        "rule-core-atomics",
        &format!(
            "{RMINI_LIB}\nstatic CALLS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);\n\npub fn sub(a: u32, b: u32) -> u32 {{\n    CALLS.fetch_add(1, core::sync::atomic::Ordering::SeqCst);\n    a - b\n}}\n"
        ),
        &[],
    );
    project
}

/// Runs refbench on `root` with `cache`, returns the new run's records and stderr.
fn run_rust(root: &Path, cache: &Path, args: &[&str]) -> (Vec<Value>, String) {
    let runs = root.join("runs");
    let before = run_dirs(&runs);
    let out = common::refbench()
        .arg("--root")
        .arg(root)
        .arg("--runs-dir")
        .arg(&runs)
        .arg("--cache-dir")
        .arg(cache)
        .arg("run")
        .args(args)
        .output()
        .unwrap();
    let stderr = format!("{}\n{}", text(&out.stdout), text(&out.stderr));
    let run = run_dirs(&runs)
        .into_iter()
        .find(|p| !before.contains(p))
        .unwrap_or_else(|| panic!("no new run: {stderr}"));
    (common::attempt_records(&run), stderr)
}

/// What a verdict says about the tests, for comparing two caches.
fn tests_of(r: &Value) -> (Value, Value, Value) {
    (
        r["outcome"].clone(),
        r["verdict"]["tests"]["grade"].clone(),
        r["verdict"]["tests"]["tests"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .map(|t| serde_json::json!([t["id"], t["status"]]))
                    .collect::<Vec<_>>()
            })
            .into(),
    )
}

/// The cfg-if artifacts of the build slot in `cache`.
fn cfg_if_rlibs(cache: &Path) -> Vec<PathBuf> {
    let deps = cache.join("cargo-target/rmini-w0/debug/deps");
    std::fs::read_dir(deps)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("libcfg_if-"))
        })
        .collect()
}

#[test]
fn rust_attempts_cannot_change_what_later_ones_build_against() {
    let project = rust_project();
    let root = project.path();
    let cache = tempfile::tempdir().unwrap();
    let clean = tempfile::tempdir().unwrap();
    let gold_empty = ["-t", "rmini/honest", "-m", "gold", "-m", "empty"];

    // A clean cache's verdicts.
    let (expected, log) = run_rust(root, clean.path(), &gold_empty);
    assert_eq!(
        record(&expected, "rmini/honest", "gold")["outcome"],
        "resolved",
        "{log}"
    );

    // The slot is built (cfg-if in it), then the hostile build script plants and fails.
    let (_, log) = run_rust(root, cache.path(), &["-t", "rmini/honest", "-m", "gold"]);
    assert!(!cfg_if_rlibs(cache.path()).is_empty(), "{log}");
    let (hostile, log) = run_rust(root, cache.path(), &["-t", "rmini/plant", "-m", "gold"]);
    assert_eq!(
        record(&hostile, "rmini/plant", "gold")["outcome"],
        "unresolved",
        "{log}"
    );
    for rlib in cfg_if_rlibs(cache.path()) {
        let bytes = std::fs::read(&rlib).unwrap();
        assert!(
            !bytes.starts_with(b"planted"),
            "{} survived",
            rlib.display()
        );
    }

    // gold and empty on the same cache: the clean cache's verdicts.
    let (after, log) = run_rust(root, cache.path(), &gold_empty);
    for model in ["gold", "empty"] {
        assert_eq!(
            tests_of(record(&after, "rmini/honest", model)),
            tests_of(record(&expected, "rmini/honest", model)),
            "{model}: {log}"
        );
    }

    // A dependency artifact changed behind refbench's back (by anything at all): the slot's
    // manifest no longer verifies, so the slot is rebuilt before the next attempt uses it.
    let rlibs = cfg_if_rlibs(cache.path());
    assert!(!rlibs.is_empty());
    for rlib in &rlibs {
        std::fs::write(rlib, b"planted: not a crate").unwrap();
    }
    let (again, log) = run_rust(root, cache.path(), &["-t", "rmini/honest", "-m", "gold"]);
    assert_eq!(
        record(&again, "rmini/honest", "gold")["outcome"],
        "resolved",
        "{log}"
    );
    for rlib in cfg_if_rlibs(cache.path()) {
        assert!(!std::fs::read(&rlib).unwrap().starts_with(b"planted"));
    }
}

#[test]
fn rust_tests_cannot_read_what_earlier_attempts_compiled() {
    let project = rust_project();
    let root = project.path();
    let cache = tempfile::tempdir().unwrap();
    // gold's library is compiled into the slot first; the peeking attempt's tests then look
    // for it (and any other library) next to their own executable.
    let (records, log) = run_rust(
        root,
        cache.path(),
        &[
            "-t",
            "rmini/honest",
            "-t",
            "rmini/peek",
            "-m",
            "gold",
            "--jobs",
            "1",
        ],
    );
    assert_eq!(
        record(&records, "rmini/honest", "gold")["outcome"],
        "resolved",
        "{log}"
    );
    let peek = record(&records, "rmini/peek", "gold");
    assert_eq!(peek["outcome"], "unresolved", "{peek}\n{log}");
    let status = |id: &str| {
        peek["verdict"]["tests"]["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {peek}"))["status"]
            .clone()
    };
    assert_eq!(status("tests/sub.rs::subtracts"), "failed", "{peek}");
    // The executables themselves may still be run (and read) by the sandbox.
    assert_eq!(status("tests/add.rs::adds"), "passed", "{peek}");
}

#[test]
fn fixes_that_bypass_the_sync_shim_break_its_rule() {
    let project = rust_project();
    let root = project.path();
    let cache = tempfile::tempdir().unwrap();
    let (records, log) = run_rust(root, cache.path(), &["-t", "rmini/rule-*", "-m", "gold"]);
    // The cfg(test)-only fix: its racy twin under cfg(not(test)) (line 14) is what the
    // hidden tests and detectors build.
    for (task, line) in [("rmini/rule-cfg-test", 14), ("rmini/rule-core-atomics", 9)] {
        let r = record(&records, task, "gold");
        assert_eq!(r["outcome"], "unresolved", "{task}: {r}\n{log}");
        assert_eq!(r["verdict"]["tests"]["grade"], "FULL", "{task}: {r}");
        let rule = r["verdict"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == "sync-shim-not-bypassed")
            .unwrap_or_else(|| panic!("{task}: {r}"));
        assert_eq!(rule["status"], "broken", "{task}: {rule}");
        let evidence = rule["evidence"].as_array().unwrap();
        assert!(
            evidence
                .iter()
                .any(|e| e["file"] == "src/lib.rs" && e["line"] == line),
            "{task}: {rule}"
        );
    }
}
