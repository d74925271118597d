//! The hand-written example replies (examples/replies, the replay model `examples` in
//! refbench.toml) each get the outcome examples/README.md labels them with. One run of all eight
//! attempts on the real fixtures; the verdicts are read back with `show --format json`.

mod common;

use std::collections::BTreeMap;

use common::{refbench_on_project, text};
use serde_json::Value;

/// What one example reply is labelled with in examples/README.md.
enum Expected {
    /// Tests FULL, every detector passed, every rule holds.
    Resolved,
    /// Tests FULL, every rule holds, the seeded bug's detector failed.
    RaceMissed { bug: &'static str },
    /// Tests FULL, every detector passed, `rules` broken with evidence in `file`; the others
    /// hold.
    RuleBroken {
        rules: &'static [&'static str],
        file: &'static str,
    },
    /// Tests PARTIAL with `f2p` passing FAIL_TO_PASS tests out of `of`, every PASS_TO_PASS test
    /// passing, every detector passed, every rule holds.
    TestsPartial { f2p: u64, of: u64 },
    /// The edit did not apply; the reason names `file`. Nothing is graded.
    ApplyFailed { file: &'static str },
}

const LABELS: &[(&str, Expected)] = &[
    ("pyauth/extract-token-service", Expected::Resolved),
    ("rsqueue/consolidate-job-lifecycle", Expected::Resolved),
    (
        "pyauth/consolidate-auth-service",
        Expected::RaceMissed {
            bug: "pyauth/failed-login-lost-update",
        },
    ),
    (
        "rsauth/audit-event-bus",
        Expected::RaceMissed {
            bug: "rsauth/session-index-lazy-init",
        },
    ),
    (
        "rsauth/consolidate-auth-service",
        Expected::RuleBroken {
            rules: &["handlers-through-auth-service"],
            file: "src/handlers/login.rs",
        },
    ),
    (
        "rsqueue/typed-journal-recovery",
        Expected::RuleBroken {
            // The task's own rule, and the one every Rust task gets (rules::shim).
            rules: &["sync-through-shim", "sync-shim-not-bypassed"],
            file: "src/journal.rs",
        },
    ),
    (
        "pyshop/consolidate-pricing-engine",
        Expected::TestsPartial { f2p: 9, of: 10 },
    ),
    (
        "pyshop/extract-order-workflow",
        Expected::ApplyFailed {
            file: "pyshop/jobs/tasks.py",
        },
    ),
];

#[test]
fn every_example_reply_gets_its_labelled_outcome() {
    let runs = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| refbench_on_project(runs.path(), args);
    let out = run(&["run", "-m", "examples", "--jobs", "2"]);
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let shown = run(&["show", "latest", "--format", "json"]);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let records: BTreeMap<String, Value> = text(&shown.stdout)
        .lines()
        .map(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            assert_eq!(r["key"]["model"], "examples");
            (r["key"]["task"].as_str().unwrap().to_string(), r)
        })
        .collect();
    let labelled: Vec<&str> = LABELS.iter().map(|(t, _)| *t).collect();
    let mut run_tasks: Vec<&str> = records.keys().map(String::as_str).collect();
    run_tasks.sort();
    let mut want = labelled.clone();
    want.sort();
    assert_eq!(
        run_tasks, want,
        "one example per task, each labelled in examples/README.md"
    );

    for (task, expected) in LABELS {
        let r = &records[*task];
        let ctx = format!("{task}: {r:#}");
        let v = &r["verdict"];
        let rules = v["rules"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let detectors = v["detectors"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let all_hold = || rules.iter().all(|x| x["status"] == "holds");
        let all_passed = || detectors.iter().all(|d| d["status"] == "passed");
        if !matches!(expected, Expected::ApplyFailed { .. }) {
            assert_eq!(r["apply"]["status"], "exact", "{ctx}");
            assert!(!rules.is_empty() && !detectors.is_empty(), "{ctx}");
            assert_eq!(v["hygiene"], serde_json::json!([]), "{ctx}");
            // The examples only edit what a model may: the clean room refuses nothing.
            assert_eq!(v["integrity"]["status"], "clean", "{ctx}");
        }
        match expected {
            Expected::Resolved => {
                assert_eq!(r["outcome"], "resolved", "{ctx}");
                assert_eq!(v["tests"]["grade"], "FULL", "{ctx}");
                assert!(all_passed() && all_hold(), "{ctx}");
            }
            Expected::RaceMissed { bug } => {
                assert_eq!(r["outcome"], "unresolved", "{ctx}");
                assert_eq!(v["tests"]["grade"], "FULL", "{ctx}");
                assert!(all_hold(), "{ctx}");
                let d = detectors.iter().find(|d| d["bug"] == *bug).expect(&ctx);
                assert_eq!(d["status"], "failed", "{ctx}");
            }
            Expected::RuleBroken {
                rules: broken_rules,
                file,
            } => {
                assert_eq!(r["outcome"], "unresolved", "{ctx}");
                assert_eq!(v["tests"]["grade"], "FULL", "{ctx}");
                assert!(all_passed(), "{ctx}");
                for x in rules {
                    let broken = broken_rules.iter().any(|rule| x["id"] == *rule);
                    assert_eq!(
                        x["status"],
                        if broken { "broken" } else { "holds" },
                        "{ctx}"
                    );
                    if broken {
                        let evidence = x["evidence"].as_array().unwrap();
                        assert!(!evidence.is_empty(), "{ctx}");
                        assert!(evidence.iter().all(|e| e["file"] == *file), "{ctx}");
                    }
                }
                for rule in *broken_rules {
                    assert!(rules.iter().any(|x| x["id"] == *rule), "{ctx}");
                }
            }
            Expected::TestsPartial { f2p, of } => {
                assert_eq!(r["outcome"], "unresolved", "{ctx}");
                assert_eq!(v["tests"]["grade"], "PARTIAL", "{ctx}");
                assert_eq!(v["tests"]["f2p"], serde_json::json!([f2p, of]), "{ctx}");
                let p2p = &v["tests"]["p2p"];
                assert_eq!(p2p[0], p2p[1], "every PASS_TO_PASS test passes: {ctx}");
                assert!(all_passed() && all_hold(), "{ctx}");
            }
            Expected::ApplyFailed { file } => {
                assert_eq!(r["outcome"], "apply-failed", "{ctx}");
                assert_eq!(r["apply"]["status"], "failed", "{ctx}");
                let reason = r["apply"]["reason"].as_str().expect(&ctx);
                assert!(reason.starts_with(&format!("{file}: ")), "{ctx}");
                assert!(
                    v.is_null(),
                    "an edit that does not apply is not graded: {ctx}"
                );
            }
        }
    }

    // The leaderboard row adds up: 2 resolved; FULL 6, PARTIAL 1; races fixed 5 (2 missed, one
    // attempt not graded); rules held 5; 1 apply failure.
    let table = text(&run(&["show", "latest"]).stdout);
    let row: Vec<&str> = table
        .lines()
        .find(|l| l.starts_with("examples "))
        .unwrap_or_else(|| panic!("no examples row in\n{table}"))
        .split_whitespace()
        .collect();
    // model attempts resolved rate CI FULL PARTIAL NO race-fixed rules-held hygiene tampered
    // apply errors
    assert_eq!(
        [row[1], row[2], row[5], row[6], row[7], row[8], row[9], row[11], row[12], row[13]],
        ["8", "2", "6", "1", "0", "5", "5", "0", "1", "0"],
        "{table}"
    );
}
