//! Shared helpers for the integration tests: a small project root built on the fly (so error
//! paths can be tested on broken copies), and the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The real refbench binary.
pub fn refbench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_refbench"))
}

/// The refbench checkout (holds the real fixtures).
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn write(root: &Path, rel: &str, content: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// A unified diff (git style, a/ b/ prefixes) turning `before` into `after`, made by libgit2.
pub fn make_patch(before: &[(&str, &str)], after: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (p, c) in before {
        write(dir.path(), p, c);
    }
    let repo = git2::Repository::init(dir.path()).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    for (p, _) in before {
        std::fs::remove_file(dir.path().join(p)).unwrap();
    }
    for (p, c) in after {
        write(dir.path(), p, c);
    }
    let mut opts = git2::DiffOptions::new();
    opts.include_untracked(true)
        .show_untracked_content(true)
        .recurse_untracked_dirs(true);
    let diff = repo
        .diff_tree_to_workdir(Some(&tree), Some(&mut opts))
        .unwrap();
    let mut out = String::new();
    diff.print(git2::DiffFormat::Patch, |_, _, line| {
        let content = std::str::from_utf8(line.content()).unwrap();
        match line.origin() {
            '+' | '-' | ' ' => {
                out.push(line.origin());
                out.push_str(content);
            }
            _ => out.push_str(content),
        }
        true
    })
    .unwrap();
    out
}

const OPS: &str = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n";
const OPS_GOLD: &str = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n\n\ndef sub(a, b):\n    return a - b\n";
const COUNTER: &str = "import threading\n\n\nclass Counter:\n    def __init__(self):\n        self._lock = threading.Lock()\n        self.value = 0\n\n    def incr(self):\n        with self._lock:\n            self.value += 1\n";
const COUNTER_BUGGY: &str = "import threading\n\n\nclass Counter:\n    def __init__(self):\n        self._lock = threading.Lock()\n        self.value = 0\n\n    def incr(self):\n        self.value += 1\n";
const TEST_OPS: &str = "from calc.ops import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n";
const TEST_SUB: &str = "from calc.ops import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n";
/// A stand-in detector for harness tests: it checks the source for the lock. Real fixtures use
/// systematic interleaving (harness/python); this one only has to be deterministic and fast.
const DETECTOR: &str = "import pathlib, sys\nsrc = pathlib.Path('calc/counter.py').read_text()\nif 'with self._lock' not in src:\n    print('race: Counter.incr updates value without the lock')\n    sys.exit(1)\nprint('no race found')\n";

pub const TASK_TOML: &str = r#"id = "add-sub"
fixture = "mini"
language = "python"
title = "Add subtraction"
statement = "The calculator cannot subtract. Add it."
requirements = ["calc.ops.sub(a, b) returns a - b"]
interface = "calc.ops.sub(a: int, b: int) -> int"
seeded_bugs = ["mini/counter-lost-update"]
fail_to_pass = ["tests/test_sub.py::test_sub"]
pass_to_pass = ["tests/test_ops.py::test_add", "tests/test_ops.py::test_mul"]
protected = ["tests/**", "detectors/**", "pytest.ini"]

[timeouts]
tests = 120
detector = 60

[[arch_rules]]
id = "sub-in-ops"
kind = "symbol-exists"
symbol = "calc.ops.sub"
symbol_kind = "function"
"#;

pub const BUG_TOML: &str = r#"id = "counter-lost-update"
fixture = "mini"
kind = "lost-update"
file = "calc/counter.py"
description = "Counter.incr drops its lock, so concurrent increments are lost."

[detector]
command = ["python3", "detectors/check_counter.py"]
timeout = 30
"#;

/// One small fixture with one task and one seeded bug, as a project root holds them.
struct MiniFixture<'a> {
    /// The fixture's name (its task is `NAME/add-sub`, its bug `NAME/counter-lost-update`).
    name: &'a str,
    /// The fixture's repo/ files (with the counter fixed).
    repo: &'a [(&'a str, &'a str)],
    task_toml: &'a str,
    /// The task's hidden/ files.
    hidden: &'a [(&'a str, &'a str)],
    /// The gold patch: (path, base text, gold text) per file.
    gold: &'a [(&'a str, &'a str, &'a str)],
    bug_toml: &'a str,
    /// The bug's file, fixed and buggy.
    bug_file: (&'a str, &'a str, &'a str),
    /// The bug's detector/ files.
    detector: &'a [(&'a str, &'a str)],
}

fn write_mini_fixture(root: &Path, f: &MiniFixture<'_>) {
    let repo = format!("repos-fixtures/{}/repo", f.name);
    for (path, text) in f.repo {
        write(root, &format!("{repo}/{path}"), text);
    }
    let task = format!("repos-fixtures/{}/tasks/add-sub", f.name);
    write(root, &format!("{task}/task.toml"), f.task_toml);
    for (path, text) in f.hidden {
        write(root, &format!("{task}/hidden/{path}"), text);
    }
    let before: Vec<(&str, &str)> = f.gold.iter().map(|(p, b, _)| (*p, *b)).collect();
    let after: Vec<(&str, &str)> = f.gold.iter().map(|(p, _, a)| (*p, *a)).collect();
    write(
        root,
        &format!("{task}/gold.patch"),
        &make_patch(&before, &after),
    );
    let bug = format!("seeded-bugs/{}/counter-lost-update", f.name);
    write(root, &format!("{bug}/bug.toml"), f.bug_toml);
    let (file, fixed, buggy) = f.bug_file;
    write(
        root,
        &format!("{bug}/inject.patch"),
        &make_patch(&[(file, fixed)], &[(file, buggy)]),
    );
    for (path, text) in f.detector {
        write(root, &format!("{bug}/detector/{path}"), text);
    }
}

/// Builds a project root with one small Python fixture `mini`, its task `add-sub` and bug
/// `counter-lost-update`.
pub fn mini_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let requirements =
        std::fs::read_to_string(project_root().join("harness/python/requirements.txt")).unwrap();
    write(root, "harness/python/requirements.txt", &requirements);
    // The harness's pytest plugin (the results channel every graded pytest run loads).
    let plugin = std::fs::read_to_string(project_root().join("harness/python/refbench_grade.py"));
    write(root, "harness/python/refbench_grade.py", &plugin.unwrap());
    write_mini_fixture(
        root,
        &MiniFixture {
            name: "mini",
            repo: &[
                (
                    "pytest.ini",
                    "[pytest]\npythonpath = .\ntestpaths = tests\n",
                ),
                (".gitignore", "__pycache__/\n"),
                ("calc/__init__.py", ""),
                ("calc/ops.py", OPS),
                ("calc/counter.py", COUNTER),
                ("tests/test_ops.py", TEST_OPS),
            ],
            task_toml: TASK_TOML,
            hidden: &[("tests/test_sub.py", TEST_SUB)],
            gold: &[
                ("calc/ops.py", OPS, OPS_GOLD),
                ("calc/counter.py", COUNTER_BUGGY, COUNTER),
            ],
            bug_toml: BUG_TOML,
            bug_file: ("calc/counter.py", COUNTER, COUNTER_BUGGY),
            detector: &[("detectors/check_counter.py", DETECTOR)],
        },
    );
    dir
}

/// Adds to a [`mini_project`] the task `mini/ID`, whose gold patch adds one test file holding
/// `code`; `test` (FILE::FUNCTION) is its FAIL_TO_PASS test. `extra_toml` is appended to the
/// task.toml (a `[timeouts]` table, say).
pub fn add_test_task(root: &Path, id: &str, title: &str, test: &str, code: &str, extra_toml: &str) {
    let task = format!("repos-fixtures/mini/tasks/{id}");
    write(
        root,
        &format!("{task}/task.toml"),
        &format!(
            r#"id = "{id}"
fixture = "mini"
language = "python"
title = "{title}"
statement = "{title}."
requirements = ["none"]
interface = "none"
seeded_bugs = ["mini/counter-lost-update"]
fail_to_pass = ["{test}"]
pass_to_pass = ["tests/test_ops.py::test_add"]
protected = ["detectors/**"]
{extra_toml}"#
        ),
    );
    std::fs::create_dir_all(root.join(&task).join("hidden")).unwrap();
    let file = test.split("::").next().unwrap();
    write(
        root,
        &format!("{task}/gold.patch"),
        &make_patch(&[], &[(file, code)]),
    );
}

/// A cache shared by the tests of this build: bases are keyed by content, and the Python
/// environment is built once instead of once per test.
pub fn shared_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("refbench-cache")
}

/// refbench with `--root`, a private runs dir under `root` and the shared cache, ready for
/// more arguments and environment.
pub fn refbench_cmd_in(root: &Path) -> Command {
    let mut cmd = refbench();
    cmd.arg("--root")
        .arg(root)
        .arg("--runs-dir")
        .arg(root.join("runs"))
        .arg("--cache-dir")
        .arg(shared_cache());
    cmd
}

/// `refbench run` (arguments to add) as [`refbench_cmd_in`] gives it, with `config` written to
/// `root/refbench.toml` and passed as `--config`.
pub fn run_with_config(root: &Path, config: &str) -> Command {
    std::fs::write(root.join("refbench.toml"), config).unwrap();
    let mut cmd = refbench_cmd_in(root);
    cmd.arg("--config")
        .arg(root.join("refbench.toml"))
        .arg("run");
    cmd
}

/// Runs refbench with `--root`, a private runs dir under `root` and the shared cache.
pub fn refbench_in(root: &Path, args: &[&str]) -> std::process::Output {
    refbench_cmd_in(root).args(args).output().unwrap()
}

/// Runs refbench on the real project root (its fixtures and refbench.toml), with the runs in
/// `runs` and the shared cache.
pub fn refbench_on_project(runs: &Path, args: &[&str]) -> std::process::Output {
    refbench()
        .arg("--root")
        .arg(project_root())
        .arg("--runs-dir")
        .arg(runs)
        .arg("--cache-dir")
        .arg(shared_cache())
        .args(args)
        .output()
        .unwrap()
}

/// The one run folder under `runs`.
pub fn only_run(runs: &Path) -> PathBuf {
    std::fs::read_dir(runs)
        .unwrap()
        .flatten()
        .next()
        .expect("a run directory")
        .path()
}

/// A run's attempts.jsonl, one value per finished attempt.
pub fn attempt_records(run_dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run_dir.join("attempts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const RS_CARGO: &str =
    "[package]\nname = \"rmini\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n";
const RS_LIB: &str = "pub mod counter;\npub mod ops;\n";
const RS_OPS: &str = "pub fn add(a: i64, b: i64) -> i64 {\n    a + b\n}\n\npub fn mul(a: i64, b: i64) -> i64 {\n    a * b\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn add_works() {\n        assert_eq!(super::add(2, 3), 5);\n    }\n\n    #[test]\n    fn mul_works() {\n        assert_eq!(super::mul(2, 3), 6);\n    }\n}\n";
const RS_OPS_GOLD_TAIL: &str = "\npub fn sub(a: i64, b: i64) -> i64 {\n    a - b\n}\n";
const RS_COUNTER: &str = "use std::sync::atomic::{AtomicU64, Ordering};\n\n#[derive(Default)]\npub struct Counter {\n    value: AtomicU64,\n}\n\nimpl Counter {\n    pub fn incr(&self) {\n        self.value.fetch_add(1, Ordering::SeqCst);\n    }\n\n    pub fn get(&self) -> u64 {\n        self.value.load(Ordering::SeqCst)\n    }\n}\n";
const RS_COUNTER_BUGGY: &str = "use std::sync::atomic::{AtomicU64, Ordering};\n\n#[derive(Default)]\npub struct Counter {\n    value: AtomicU64,\n}\n\nimpl Counter {\n    pub fn incr(&self) {\n        let v = self.value.load(Ordering::SeqCst);\n        self.value.store(v + 1, Ordering::SeqCst);\n    }\n\n    pub fn get(&self) -> u64 {\n        self.value.load(Ordering::SeqCst)\n    }\n}\n";
const RS_TEST_SUB: &str =
    "#[test]\nfn sub_works() {\n    assert_eq!(rmini::ops::sub(5, 3), 2);\n}\n";
/// A stand-in detector (as the Python mini's): it reads the source for the atomic increment
/// (and calls into the crate, so that its executable links it as a real detector's does).
/// Real Rust fixtures explore interleavings with shuttle; this one has to be fast and needs no
/// dependency.
const RS_DETECTOR: &str = "#[test]\nfn incr_is_one_atomic_step() {\n    // It links the crate, as a real detector does.\n    assert_eq!(rmini::ops::add(1, 1), 2);\n    let src = include_str!(\"../src/counter.rs\");\n    assert!(src.contains(\"fetch_add\"), \"race: Counter::incr loads then stores\");\n}\n";

pub const RS_TASK_TOML: &str = r#"id = "add-sub"
fixture = "rmini"
language = "rust"
title = "Add subtraction"
statement = "The calculator cannot subtract. Add it."
requirements = ["rmini::ops::sub(a, b) returns a - b"]
interface = "pub fn sub(a: i64, b: i64) -> i64 in src/ops.rs"
seeded_bugs = ["rmini/counter-lost-update"]
fail_to_pass = ["tests/sub.rs::sub_works"]
pass_to_pass = ["src/lib.rs::ops::tests::add_works", "src/lib.rs::ops::tests::mul_works"]
protected = ["tests/**", "README.md"]

[timeouts]
tests = 300
detector = 120

[[arch_rules]]
id = "sub-in-ops"
kind = "symbol-exists"
symbol = "ops::sub"
symbol_kind = "function"
"#;

pub const RS_BUG_TOML: &str = r#"id = "counter-lost-update"
fixture = "rmini"
kind = "lost-update"
file = "src/counter.rs"
description = "Counter::incr loads and stores instead of one atomic add, so concurrent increments are lost."

[detector]
command = ["cargo", "test", "--test", "race_counter"]
timeout = 120
"#;

/// Adds to a project root the small Rust fixture `rmini` (no dependencies, so it builds in
/// seconds and offline), its task `rmini/add-sub` and its bug `rmini/counter-lost-update`,
/// whose detector is a test that reads the source (see [`mini_project`]'s Python detector).
pub fn add_rust_mini(root: &Path) {
    let ops_gold = format!("{RS_OPS}{RS_OPS_GOLD_TAIL}");
    write_mini_fixture(
        root,
        &MiniFixture {
            name: "rmini",
            repo: &[
                ("Cargo.toml", RS_CARGO),
                ("README.md", "# rmini\n"),
                (".gitignore", "target/\n"),
                ("src/lib.rs", RS_LIB),
                ("src/ops.rs", RS_OPS),
                ("src/counter.rs", RS_COUNTER),
            ],
            task_toml: RS_TASK_TOML,
            hidden: &[("tests/sub.rs", RS_TEST_SUB)],
            gold: &[
                ("src/ops.rs", RS_OPS, &ops_gold),
                ("src/counter.rs", RS_COUNTER_BUGGY, RS_COUNTER),
            ],
            bug_toml: RS_BUG_TOML,
            bug_file: ("src/counter.rs", RS_COUNTER, RS_COUNTER_BUGGY),
            detector: &[("tests/race_counter.rs", RS_DETECTOR)],
        },
    );
}

/// A detector of the mini bug that explores interleavings with the harness's `refbench_race`
/// (opcode by opcode: `self.value += 1` is one line), as the real fixtures' detectors do.
pub const EXPLORED_DETECTOR: &str = "from refbench_race import assert_no_race\n\nfrom calc.counter import Counter\n\n\ndef test_concurrent_increments_are_all_counted():\n    def check(c):\n        assert c.value == 2, f'2 increments, {c.value} counted'\n\n    assert_no_race(Counter, [lambda c: c.incr(), lambda c: c.incr()], check, ['calc.counter'],\n                   granularity='opcode', max_schedules=300)\n";

/// A [`mini_project`] whose bug's detector is [`EXPLORED_DETECTOR`] (a pytest file).
pub fn mini_project_explored() -> tempfile::TempDir {
    let dir = mini_project();
    let root = dir.path();
    let explorer = project_root().join("harness/python/refbench_race");
    for entry in std::fs::read_dir(&explorer).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".py") {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            write(root, &format!("harness/python/refbench_race/{name}"), &text);
        }
    }
    let bug = "seeded-bugs/mini/counter-lost-update";
    let toml = BUG_TOML.replace(
        r#"command = ["python3", "detectors/check_counter.py"]"#,
        r#"command = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "detectors/test_race_counter.py"]"#,
    );
    write(root, &format!("{bug}/bug.toml"), &toml);
    std::fs::remove_file(root.join(bug).join("detector/detectors/check_counter.py")).unwrap();
    write(
        root,
        &format!("{bug}/detector/detectors/test_race_counter.py"),
        EXPLORED_DETECTOR,
    );
    dir
}

/// Adds to a [`mini_project`] the task `mini/ID` (the add-sub task under another id) whose
/// gold patch turns the base's files into `files` (path, text): `calc/ops.py` and
/// `calc/counter.py` start as the base has them, any other path is new.
pub fn add_patch_task(root: &Path, id: &str, files: &[(&str, &str)]) {
    let task = format!("repos-fixtures/mini/tasks/{id}");
    write(
        root,
        &format!("{task}/task.toml"),
        &TASK_TOML.replace("id = \"add-sub\"", &format!("id = \"{id}\"")),
    );
    write(root, &format!("{task}/hidden/tests/test_sub.py"), TEST_SUB);
    let base = |p: &str| match p {
        "calc/ops.py" => Some(OPS),
        "calc/counter.py" => Some(COUNTER_BUGGY),
        _ => None,
    };
    let before: Vec<(&str, &str)> = files
        .iter()
        .filter_map(|(p, _)| base(p).map(|b| (*p, b)))
        .collect();
    write(
        root,
        &format!("{task}/gold.patch"),
        &make_patch(&before, files),
    );
}

/// Spawns `cmd`, sends it SIGINT once a line of its stderr contains `needle`, and returns its
/// whole stderr and exit code.
pub fn interrupt_when(mut cmd: Command, needle: &str) -> (String, Option<i32>) {
    use std::io::BufRead;
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = String::new();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        stderr.push_str(&line);
        stderr.push('\n');
        if line.contains(needle) {
            // SAFETY: a plain kill(2) on our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            break;
        }
    }
    for line in lines {
        stderr.push_str(&line.unwrap());
        stderr.push('\n');
    }
    (stderr, child.wait().unwrap().code())
}
