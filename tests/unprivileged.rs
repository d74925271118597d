//! The run as most researchers start it: as an ordinary user, not root. CI runs as root, so
//! here the real binary runs again under uid 65534 (`setpriv`, util-linux), with its own home,
//! temp dir, cache and runs folder, and must grade as it does for root, with the full sandbox
//! (built from user namespaces then) and nothing left behind in its temp dir, not even by a
//! test that takes the permissions off the folders it made (root removes those regardless;
//! an ordinary user cannot without opening them up first).
//!
//! Python tasks only: a Rust task needs a toolchain the user can reach, which a root-only
//! rustup install (as on CI) is not. Under root the user runs the system's `python3`
//! (/usr/bin; .ci/run installs it with venv when missing).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::text;

const NOBODY: u32 = 65534;

// It locks a folder inside the package: graded code may write there, not at the tree's root or
// in the tests folder (the grader's files and their folders are read-only to it).
const LOCKING_TEST: &str = "import os\n\n\ndef test_lock():\n    os.makedirs('calc/junk/deeper', exist_ok=True)\n    with open('calc/junk/deeper/f', 'w') as f:\n        f.write('x')\n    os.chmod('calc/junk/deeper', 0)\n    os.chmod('calc/junk', 0)\n";

/// The mini project plus a task whose gold patch adds a test that locks a folder up.
fn project() -> tempfile::TempDir {
    let dir = common::mini_project();
    common::add_test_task(
        dir.path(),
        "lock-folder",
        "A test that locks a folder",
        "tests/test_lock.py::test_lock",
        LOCKING_TEST,
        "",
    );
    dir
}

fn open_to_all(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn an_ordinary_user_gets_the_same_grades_and_leaves_nothing_behind() {
    let project = project();
    let scratch = tempfile::tempdir().unwrap();
    let root = nix::unistd::geteuid().is_root();
    if root {
        // uid 65534 reads the project and the binary, and owns its own folders.
        open_to_all(project.path());
        open_to_all(scratch.path());
    }
    let (home, tmp, cache, runs) = (
        scratch.path().join("home"),
        scratch.path().join("tmp"),
        scratch.path().join("cache"),
        scratch.path().join("runs"),
    );
    for dir in [&home, &tmp, &cache, &runs] {
        std::fs::create_dir(dir).unwrap();
        if root {
            nix::unistd::chown(dir, Some(NOBODY.into()), Some(NOBODY.into())).unwrap();
        }
    }
    let mut cmd = if root {
        // The checkout, and root's own tools (a rustup or pyenv under /root), may be out of
        // the user's reach: it gets a copy of the binary and the system's PATH, and starts
        // in its own folder.
        let bin = scratch.path().join("refbench");
        std::fs::copy(env!("CARGO_BIN_EXE_refbench"), &bin).unwrap();
        let mut c = Command::new("setpriv");
        c.arg(format!("--reuid={NOBODY}"))
            .arg(format!("--regid={NOBODY}"))
            .args(["--clear-groups", "--"])
            .arg(&bin)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .current_dir(scratch.path());
        c
    } else {
        common::refbench()
    };
    let out = cmd
        .arg("--root")
        .arg(project.path())
        .arg("--runs-dir")
        .arg(&runs)
        .arg("--cache-dir")
        .arg(&cache)
        .args([
            "run", "-t", "mini/*", "-m", "gold", "-m", "empty", "--jobs", "2",
        ])
        .env("HOME", &home)
        .env("TMPDIR", &tmp)
        .output()
        .expect("setpriv (util-linux) starts refbench as uid 65534");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains("sandbox: full"),
        "{}\n{stdout}\n{stderr}",
        out.status
    );

    let run_dir = common::only_run(&runs);
    let records = common::attempt_records(&run_dir);
    assert_eq!(records.len(), 4, "{stdout}\n{stderr}");
    let record = |task: &str, model: &str| {
        records
            .iter()
            .find(|r| r["key"]["task"] == task && r["key"]["model"] == model)
            .unwrap_or_else(|| panic!("no record for {task} {model}: {records:?}"))
    };
    assert_eq!(record("mini/add-sub", "gold")["outcome"], "resolved");
    assert_eq!(record("mini/add-sub", "empty")["outcome"], "unresolved");
    // The locking test passes: graded, not a harness error (the seeded race stays, so the
    // task is not resolved).
    let locked = record("mini/lock-folder", "gold");
    assert_eq!(locked["outcome"], "unresolved", "{locked}");
    assert_eq!(locked["verdict"]["tests"]["grade"], "FULL", "{locked}");

    // Every attempt folder went, the locked one too.
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left in the temp dir: {left:?}");
}
