//! `refbench seed` end to end on a small Python fixture written here: the seeder finds the
//! lock scopes and the notify, rejects the mutants the visible tests catch and the ones the
//! pool detector does not notice, and writes the one it finds as a bug folder the catalog
//! loads (origin = "seeder", with its operator, site and detector).

mod common;

use common::{make_patch, project_root, refbench_in, text, write};

const TALLY: &str = "import threading\n\n\nclass Tally:\n    def __init__(self):\n        self._lock = threading.Lock()\n        self.count = 0\n        self.events = []\n\n    def add(self, n=1):\n        with self._lock:\n            self.count += n\n            self.events.append(n)\n";

const GATE: &str = "import threading\n\n\nclass Gate:\n    def __init__(self):\n        self._cond = threading.Condition()\n        self._open = False\n\n    def open(self):\n        with self._cond:\n            self._open = True\n            self._cond.notify_all()\n\n    def wait(self, timeout):\n        with self._cond:\n            if self._open:\n                return True\n            return self._cond.wait(timeout)\n";

const TESTS: &str = "import threading\nimport time\n\nfrom shop.gate import Gate\nfrom shop.tally import Tally\n\n\ndef test_tally_adds():\n    t = Tally()\n    t.add()\n    t.add(2)\n    assert (t.count, t.events) == (3, [1, 2])\n\n\ndef test_a_waiter_is_woken():\n    gate = Gate()\n\n    def later():\n        time.sleep(0.2)\n        gate.open()\n\n    threading.Thread(target=later).start()\n    assert gate.wait(timeout=3.0)\n";

const DETECTOR: &str = "from refbench_race import assert_no_race\n\nfrom shop.tally import Tally\n\n\ndef test_concurrent_adds_are_all_counted():\n    def check(t):\n        assert t.count == 2, f'2 adds, {t.count} counted'\n        assert len(t.events) == 2\n\n    assert_no_race(Tally, [lambda t: t.add(), lambda t: t.add()], check, ['shop.tally'],\n                   granularity='opcode', max_schedules=300)\n";

const TASK: &str = r#"id = "rename-gate"
fixture = "seedmini"
language = "python"
title = "Rename the gate"
statement = "Rename Gate.open to Gate.release."
requirements = ["Gate.release() opens the gate"]
interface = "shop.gate.Gate.release() -> None"
seeded_bugs = []
fail_to_pass = ["tests/test_release.py::test_release"]
pass_to_pass = ["tests/test_shop.py::test_tally_adds", "tests/test_shop.py::test_a_waiter_is_woken"]
protected = ["tests/**", "detectors/**", "pytest.ini"]

[timeouts]
tests = 120
detector = 120
"#;

const POOL: &str = r#"[[detector]]
name = "tally"
covers = ["shop/tally.py"]
command = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "detectors/test_race_tally.py"]
timeout = 120
"#;

/// A project root with the fixture `seedmini`, one task and a pool of one detector.
fn seed_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let harness = project_root().join("harness/python");
    for rel in ["requirements.txt", "refbench_grade.py"] {
        write(
            root,
            &format!("harness/python/{rel}"),
            &std::fs::read_to_string(harness.join(rel)).unwrap(),
        );
    }
    for entry in std::fs::read_dir(harness.join("refbench_race"))
        .unwrap()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".py") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            write(root, &format!("harness/python/refbench_race/{name}"), &text);
        }
    }
    let fx = "repos-fixtures/seedmini";
    for (rel, body) in [
        (
            "pytest.ini",
            "[pytest]\npythonpath = .\ntestpaths = tests\n",
        ),
        (".gitignore", "__pycache__/\n"),
        ("shop/__init__.py", ""),
        ("shop/tally.py", TALLY),
        ("shop/gate.py", GATE),
        ("tests/test_shop.py", TESTS),
    ] {
        write(root, &format!("{fx}/repo/{rel}"), body);
    }
    let gate_gold = GATE.replace("def open(self)", "def release(self)");
    let test_release = "from shop.gate import Gate\n\n\ndef test_release():\n    g = Gate()\n    g.release()\n    assert g.wait(timeout=0.1)\n";
    write(root, &format!("{fx}/tasks/rename-gate/task.toml"), TASK);
    write(
        root,
        &format!("{fx}/tasks/rename-gate/hidden/tests/test_release.py"),
        test_release,
    );
    write(
        root,
        &format!("{fx}/tasks/rename-gate/gold.patch"),
        &make_patch(&[("shop/gate.py", GATE)], &[("shop/gate.py", &gate_gold)]),
    );
    write(root, &format!("{fx}/race-detectors/pool.toml"), POOL);
    write(
        root,
        &format!("{fx}/race-detectors/tally/detector/detectors/test_race_tally.py"),
        DETECTOR,
    );
    std::fs::create_dir_all(root.join("seeded-bugs")).unwrap();
    dir
}

fn outcome_of<'a>(stdout: &'a str, candidate: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("| {candidate} |")))
        .unwrap_or_else(|| panic!("no row for {candidate} in\n{stdout}"))
}

#[test]
fn the_seeder_rejects_what_tests_catch_and_detectors_miss_and_writes_the_rest() {
    let project = seed_project();
    let root = project.path();
    let dry = refbench_in(root, &["seed", "seedmini", "--dry-run"]);
    let listed = text(&dry.stdout);
    assert!(dry.status.success(), "{listed}\n{}", text(&dry.stderr));
    assert!(
        listed.contains("seedmini: 7 candidates, 0 checked"),
        "{listed}"
    );
    assert!(
        !root.join("seeded-bugs/seedmini").exists(),
        "a dry run writes nothing"
    );

    let out = refbench_in(root, &["seed", "seedmini"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("seedmini: 7 candidates, 7 checked, 3 rejected (caught by visible tests), 3 rejected (missed by detectors), 1 written"),
        "{stdout}"
    );
    // Without the lock `notify_all` raises, and without the notify the waiter sleeps on.
    for caught in [
        "gate-open-remove-critical-section",
        "gate-open-drop-notify",
        "gate-wait-remove-critical-section",
    ] {
        assert!(
            outcome_of(&stdout, caught).contains(
                "rejected: caught by visible tests (tests/test_shop.py::test_a_waiter_is_woken"
            ),
            "{caught}: {stdout}"
        );
    }
    // The split keeps each field's update whole: the detector runs and passes.
    assert!(
        outcome_of(&stdout, "tally-add-split-critical-section-1")
            .contains("rejected: missed by detectors (tally: passed)"),
        "{stdout}"
    );
    // No pool detector covers the gate.
    for missed in [
        "gate-open-split-critical-section-1",
        "gate-wait-split-critical-section-1",
    ] {
        assert!(
            outcome_of(&stdout, missed).contains(
                "rejected: missed by detectors (no usable pool detector covers the file)"
            ),
            "{missed}: {stdout}"
        );
    }
    assert!(
        outcome_of(&stdout, "tally-add-remove-critical-section").contains("detected by tally"),
        "{stdout}"
    );

    let bug = root.join("seeded-bugs/seedmini/tally-add-remove-critical-section");
    let toml = std::fs::read_to_string(bug.join("bug.toml")).unwrap();
    for line in [
        "kind = \"lost-update\"",
        "file = \"shop/tally.py\"",
        "origin = \"seeder\"",
        "operator = \"remove-critical-section\"",
        "site = \"shop/tally.py:11 (Tally.add)\"",
        "detector = \"tally\"",
    ] {
        assert!(toml.contains(line), "{line} in\n{toml}");
    }
    assert!(bug.join("detector/detectors/test_race_tally.py").is_file());
    let patch = std::fs::read_to_string(bug.join("inject.patch")).unwrap();
    assert!(patch.contains("-        with self._lock:\n"), "{patch}");
    let listed = refbench_in(root, &["list", "bugs"]);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert!(
        text(&listed.stdout).contains("seedmini/tally-add-remove-critical-section"),
        "{}",
        text(&listed.stdout)
    );

    // A second run checks nothing again that is already written.
    let again = refbench_in(
        root,
        &[
            "seed",
            "seedmini",
            "--operator",
            "remove-critical-section",
            "--file",
            "shop/tally.py",
        ],
    );
    let again_out = text(&again.stdout);
    assert!(
        outcome_of(&again_out, "tally-add-remove-critical-section")
            .contains("already in seeded-bugs/"),
        "{again_out}"
    );
}
