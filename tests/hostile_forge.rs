//! Hostile replies that try to forge results rather than earn them, run through the real
//! binary on the mini project with an exploring detector: each must end unresolved, and those
//! that tamper must be flagged with the right kind of evidence. Also the detector exit
//! protocol as `validate` sees it: an import error and a wrong path are errors naming the
//! detector and the cause, never detections. (Rust test binaries that print libtest-looking
//! lines or exit 0 from inside are covered beside the runner, in src/score/suite/tests.rs.)

mod common;

use common::{add_patch_task, mini_project_explored, refbench_in, text};

const OPS: &str = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n";
const COUNTER_FIXED: &str = "import threading\n\n\nclass Counter:\n    def __init__(self):\n        self._lock = threading.Lock()\n        self.value = 0\n\n    def incr(self):\n        with self._lock:\n            self.value += 1\n";
const COUNTER_HEAD: &str = "import threading\n\n\nclass Counter:\n    def __init__(self):\n        self._lock = threading.Lock()\n        self.value = 0\n\n";

/// ops.py with a wrong `sub` and `extra` code.
fn wrong_sub(extra: &str) -> String {
    format!("{OPS}\n\ndef sub(a, b):\n    return a + b\n\n{extra}")
}

/// ops.py with a right `sub`.
fn right_sub() -> String {
    format!("{OPS}\n\ndef sub(a, b):\n    return a - b\n")
}

/// (task, files of the reply, evidence kind expected, or `None` when the race is simply found)
type HostileReply = (
    &'static str,
    Vec<(&'static str, String)>,
    Option<&'static str>,
);

fn hostile_replies() -> Vec<HostileReply> {
    let counter_unlocked = |extra_head: &str, incr_body: &str| {
        format!("{extra_head}{COUNTER_HEAD}    def incr(self):\n{incr_body}")
    };
    vec![
        (
            "junit-rewritten-at-exit",
            vec![
                (
                    "calc/ops.py",
                    wrong_sub("import atexit, re, sys\n\n\ndef _clean():\n    for a in sys.argv:\n        if a.startswith('--junitxml='):\n            path = a.split('=', 1)[1]\n            try:\n                xml = open(path).read()\n            except OSError:\n                return\n            xml = re.sub(r'<failure.*?</failure>', '', xml, flags=re.S)\n            open(path, 'w').write(xml)\n\n\natexit.register(_clean)\n"),
                ),
                ("calc/counter.py", COUNTER_FIXED.to_string()),
            ],
            Some("results-disagree"),
        ),
        (
            "exit-0-at-exit",
            vec![
                (
                    "calc/ops.py",
                    wrong_sub("import atexit, os\natexit.register(lambda: os._exit(0))\n"),
                ),
                ("calc/counter.py", COUNTER_FIXED.to_string()),
            ],
            Some("results-disagree"),
        ),
        (
            "exit-0-in-a-test",
            vec![
                (
                    "calc/ops.py",
                    format!("{OPS}\n\ndef sub(a, b):\n    import os\n    os._exit(0)\n"),
                ),
                ("calc/counter.py", COUNTER_FIXED.to_string()),
            ],
            Some("results-disagree"),
        ),
        (
            "every-report-passes",
            vec![
                (
                    "calc/ops.py",
                    wrong_sub("from _pytest.reports import TestReport\n\n_made = TestReport.from_item_and_call.__func__\n\n\ndef _passing(cls, item, call):\n    report = _made(cls, item, call)\n    report.outcome = 'passed'\n    report.longrepr = None\n    return report\n\n\nTestReport.from_item_and_call = classmethod(_passing)\n"),
                ),
                ("calc/counter.py", COUNTER_FIXED.to_string()),
            ],
            Some("canary-lied"),
        ),
        (
            "channel-truncated",
            vec![
                (
                    "calc/ops.py",
                    wrong_sub("import atexit, sys\n\n\ndef _truncate():\n    for a in sys.argv:\n        if a.startswith('--refbench-results='):\n            open(a.split('=', 1)[1], 'w').close()\n\n\natexit.register(_truncate)\n"),
                ),
                ("calc/counter.py", COUNTER_FIXED.to_string()),
            ],
            Some("results-disagree"),
        ),
        (
            "settrace-replaced",
            vec![
                ("calc/ops.py", right_sub()),
                (
                    "calc/counter.py",
                    counter_unlocked(
                        "import sys\nsys.settrace = lambda *a, **k: None\n",
                        "        self.value += 1\n",
                    ),
                ),
            ],
            Some("detector-did-not-explore"),
        ),
        (
            "tracer-removed-while-explored",
            vec![
                ("calc/ops.py", right_sub()),
                (
                    "calc/counter.py",
                    counter_unlocked(
                        "import sys\n",
                        "        sys.settrace(None)\n        self.value += 1\n",
                    ),
                ),
            ],
            Some("detector-did-not-explore"),
        ),
        (
            "exit-0-under-the-detector",
            vec![
                ("calc/ops.py", right_sub()),
                (
                    "calc/counter.py",
                    counter_unlocked(
                        "import os, sys\nif 'refbench_race' in sys.modules:\n    os._exit(0)\n",
                        "        self.value += 1\n",
                    ),
                ),
            ],
            Some("detector-did-not-explore"),
        ),
        (
            "correct-only-while-traced",
            vec![
                ("calc/ops.py", right_sub()),
                (
                    "calc/counter.py",
                    counter_unlocked(
                        "import sys\n",
                        "        if sys.gettrace() is not None:\n            with self._lock:\n                self.value += 1\n        else:\n            self.value += 1\n",
                    ),
                ),
            ],
            Some("detector-did-not-explore"),
        ),
        (
            "racy-code-moved-out-of-the-watched-module",
            vec![
                ("calc/ops.py", right_sub()),
                (
                    "calc/counter.py",
                    counter_unlocked(
                        "from calc._impl import bump\n",
                        "        bump(self)\n",
                    ),
                ),
                (
                    "calc/_impl.py",
                    "def bump(counter):\n    seen = counter.value\n    counter.value = seen + 1\n"
                        .to_string(),
                ),
            ],
            None,
        ),
    ]
}

#[test]
fn forged_results_are_contained_and_flagged() {
    let project = mini_project_explored();
    let root = project.path();
    let replies = hostile_replies();
    for (name, files, _) in &replies {
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        add_patch_task(root, &format!("hostile-{name}"), &files);
    }
    let out = refbench_in(
        root,
        &["run", "-t", "mini/hostile-*", "-m", "gold", "--jobs", "2"],
    );
    let stderr = text(&out.stderr);
    let run_dir = common::only_run(&root.join("runs"));
    let records = common::attempt_records(&run_dir);
    assert_eq!(records.len(), replies.len(), "{stderr}");
    let mut failures = Vec::new();
    for (name, _, kind) in &replies {
        let r = records
            .iter()
            .find(|r| r["key"]["task"] == format!("mini/hostile-{name}"))
            .unwrap_or_else(|| panic!("no record for {name}"));
        let verdict = &r["verdict"];
        if r["outcome"] != "unresolved" {
            failures.push(format!("{name}: {} (expected unresolved)", r["outcome"]));
        }
        let integrity = &verdict["integrity"];
        match kind {
            Some(kind) => {
                let kinds: Vec<&str> = integrity["evidence"]
                    .as_array()
                    .map(|e| e.iter().filter_map(|e| e["kind"].as_str()).collect())
                    .unwrap_or_default();
                if integrity["status"] != "tampered" || !kinds.contains(kind) {
                    failures.push(format!("{name}: integrity {integrity}, expected {kind}"));
                }
            }
            None => {
                // Contained by the explorer itself: the moved race is still found.
                if verdict["detectors"][0]["status"] != "failed" {
                    failures.push(format!("{name}: detector {}", verdict["detectors"][0]));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}\n{stderr}", failures.join("\n"));
}

#[test]
fn an_honest_gold_is_clean_and_resolved_with_the_exploring_detector() {
    let project = mini_project_explored();
    let out = refbench_in(
        project.path(),
        &["run", "-t", "mini/add-sub", "-m", "gold", "-m", "empty"],
    );
    let stderr = text(&out.stderr);
    let run_dir = common::only_run(&project.path().join("runs"));
    let records = common::attempt_records(&run_dir);
    let by_model = |m: &str| {
        records
            .iter()
            .find(|r| r["key"]["model"] == m)
            .unwrap_or_else(|| panic!("no {m} record: {stderr}"))
    };
    let gold = by_model("gold");
    assert_eq!(gold["outcome"], "resolved", "{gold}");
    assert_eq!(gold["verdict"]["integrity"]["status"], "clean", "{gold}");
    let empty = by_model("empty");
    assert_eq!(empty["outcome"], "unresolved", "{empty}");
    assert_eq!(empty["verdict"]["integrity"]["status"], "clean", "{empty}");
    assert_eq!(
        empty["verdict"]["detectors"][0]["status"], "failed",
        "{empty}"
    );
}

/// The mini project with its detector replaced by `detector` (a pytest file) and its command
/// running `path`.
fn with_detector(detector: &str, path: &str) -> tempfile::TempDir {
    let project = mini_project_explored();
    let bug = project.path().join("seeded-bugs/mini/counter-lost-update");
    std::fs::write(
        bug.join("detector/detectors/test_race_counter.py"),
        detector,
    )
    .unwrap();
    let toml = std::fs::read_to_string(bug.join("bug.toml")).unwrap();
    std::fs::write(
        bug.join("bug.toml"),
        toml.replace("detectors/test_race_counter.py", path),
    )
    .unwrap();
    project
}

#[test]
fn validate_fails_naming_a_detector_that_cannot_import_or_is_not_there() {
    let broken_import =
        common::EXPLORED_DETECTOR.replace("from calc.counter import", "from calc.gone import");
    for (project, cause) in [
        (
            with_detector(&broken_import, "detectors/test_race_counter.py"),
            "ImportError",
        ),
        (
            with_detector(common::EXPLORED_DETECTOR, "detectors/test_race_nowhere.py"),
            "not found",
        ),
    ] {
        let out = refbench_in(project.path(), &["validate"]);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{stdout}\n{}",
            text(&out.stderr)
        );
        let line = stdout
            .lines()
            .find(|l| l.contains("could not run on the base"))
            .unwrap_or_else(|| panic!("no line naming the detector error:\n{stdout}"));
        assert!(line.starts_with("FAIL"), "{line}");
        assert!(line.contains("mini/counter-lost-update"), "{line}");
        assert!(line.contains(cause), "{cause}: {line}");
    }
}
