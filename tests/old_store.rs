//! Run stores written by earlier refbench versions still open: `show`, `report`, `compare` and
//! `merge` on a store kept in tests/data/stores/, written on 2026-12-05 by refbench 53d547f
//! (before the redesign: gold, empty and examples on one pyauth and one pyshop task; resolved,
//! unresolved and apply-failed attempts). The expected views were printed by that binary.

mod common;

use std::path::{Path, PathBuf};

use common::{refbench, text};

const RUN: &str = "20261205-234823205-run-3ceb";

fn stores() -> PathBuf {
    common::project_root().join("tests/data/stores")
}

/// A private copy of the stored runs (opening a store may sweep and rebuild files).
fn copy_of_stores() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&stores().join(RUN), &dir.path().join(RUN));
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// An expected view; `{RUNS}` in it stands for the runs folder the views were printed from.
fn expected(name: &str) -> String {
    std::fs::read_to_string(stores().join(format!("{RUN}.expected")).join(name)).unwrap()
}

fn expected_in(runs: &Path, name: &str) -> String {
    expected(name).replace("{RUNS}", runs.to_str().unwrap())
}

fn run_in(runs: &Path, args: &[&str]) -> (bool, String, String) {
    let out = refbench()
        .arg("--root")
        .arg(common::project_root())
        .arg("--runs-dir")
        .arg(runs)
        .args(args)
        .output()
        .unwrap();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn show_prints_what_the_old_binary_printed() {
    let runs = copy_of_stores();
    for (format, file) in [
        ("table", "show.txt"),
        ("json", "show.json"),
        ("tsv", "show.tsv"),
    ] {
        let (ok, out, err) = run_in(runs.path(), &["show", RUN, "--format", format]);
        assert!(ok, "show --format {format}: {err}");
        assert_eq!(
            out,
            expected_in(runs.path(), file),
            "show --format {format}"
        );
    }
    for entry in std::fs::read_dir(stores().join(RUN).join("artifacts")).unwrap() {
        let id = entry.unwrap().file_name().to_string_lossy().into_owned();
        let (ok, out, err) = run_in(runs.path(), &["show", RUN, "--attempt", &id]);
        assert!(ok, "show --attempt {id}: {err}");
        // The time line changed since (issue 22: each command's build part beside it, and
        // none for Python, which builds nothing); every other line is as the old binary
        // printed it.
        let expected = expected_in(runs.path(), &format!("attempt-{id}.txt"));
        let without_time = |s: &str| -> Vec<String> {
            s.lines()
                .filter(|l| !l.starts_with("time: "))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(without_time(&out), without_time(&expected), "attempt {id}");
        let time = out.lines().find(|l| l.starts_with("time: ")).unwrap();
        assert!(
            !time.contains("of which build") && time.contains(", detectors "),
            "{time}"
        );
    }
}

#[test]
fn report_writes_the_same_summary_and_junit() {
    let runs = copy_of_stores();
    let (ok, _, err) = run_in(runs.path(), &["report", RUN]);
    assert!(ok, "report: {err}");
    let dir = runs.path().join(RUN);
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert_eq!(junit, expected_in(runs.path(), "junit.xml"), "junit.xml");
    // summary.md gained a section since (issue 22: what the models cost); the rest is as the
    // old binary wrote it, and the built-ins' cost reads n/a.
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let (before, rest) = summary.split_once("### Cost\n\n").expect("a cost section");
    let (cost, after) = rest
        .split_once("### Attempts\n")
        .expect("the attempts after it");
    assert!(cost.contains("| gold | n/a | n/a | n/a | n/a |"), "{cost}");
    assert_eq!(
        format!("{before}### Attempts\n{after}"),
        expected_in(runs.path(), "summary.md"),
        "summary.md"
    );
    assert!(dir.join("report.html").is_file());
    assert!(dir.join("predictions.jsonl").is_file());
}

#[test]
fn compare_and_merge_accept_an_old_store() {
    let runs = copy_of_stores();
    let (ok, out, err) = run_in(runs.path(), &["compare", RUN, RUN]);
    assert!(ok, "compare: {err}");
    assert!(out.contains("no attempt changed (6 compared)"), "{out}");
    let merged = runs.path().join("merged");
    let (ok, out, err) = run_in(
        runs.path(),
        &[
            "merge",
            runs.path().join(RUN).to_str().unwrap(),
            "-o",
            merged.to_str().unwrap(),
        ],
    );
    assert!(ok, "merge: {out}{err}");
    let (ok, out, err) = run_in(runs.path(), &["show", "merged"]);
    assert!(ok, "show merged: {err}");
    // The merged run has the same leaderboard rows (its header names the new run id).
    let rows = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| {
                l.starts_with("gold ") || l.starts_with("empty ") || l.starts_with("examples ")
            })
            .map(str::to_string)
            .collect()
    };
    assert_eq!(rows(&out), rows(&expected("show.txt")));
}
