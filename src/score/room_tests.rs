use super::*;
use crate::catalog::Language;
use crate::test_support::tree;

/// A committed base holding `files`, as materialize makes one.
fn base(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tree(files);
    let repo = git2::Repository::init(dir.path()).unwrap();
    crate::materialize::commit_all(&repo, "base").unwrap();
    dir
}

/// A task in `language` whose folder (hidden tests) is `task_dir`, protecting `protected`.
fn task(language: Language, task_dir: &Path, protected: &[&str]) -> Task {
    let mut t = crate::lang::testing::task(language, &[], &[]);
    t.dir = task_dir.to_path_buf();
    let mut set = globset::GlobSetBuilder::new();
    for glob in protected {
        set.add(globset::Glob::new(glob).unwrap());
    }
    t.protected_set = set.build().unwrap();
    t
}

/// A bug whose folder (its detector/) is `dir`.
fn bug_in(dir: &Path) -> crate::catalog::SeededBug {
    crate::lang::testing::bug(&["true"], dir.to_path_buf())
}

/// The edited copy of `base`, with `edit` applied to it.
fn edited(base: &Path, edit: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("repo");
    crate::materialize::copy_tree(base, &to).unwrap();
    edit(&to);
    dir
}

/// The clean room of the edited tree `work/repo`, built at `work/room`.
fn room_of(task: &Task, bugs: &[&SeededBug], base: &Path, work: &Path) -> (CleanRoom, PathBuf) {
    let dir = work.join("room");
    let room = build_clean_room(task, bugs, base, &work.join("repo"), &dir).unwrap();
    (room, dir)
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn refused(room: &CleanRoom) -> Vec<(String, RefusalReason)> {
    room.refused
        .iter()
        .map(|e| match e {
            TamperEvidence::RefusedFile { path, why } => (path.clone(), *why),
            other => panic!("not a refusal: {other:?}"),
        })
        .collect()
}

#[test]
fn a_python_edit_keeps_its_code_and_loses_what_steers_the_grader() {
    let base = base(&[
        ("pkg/__init__.py", ""),
        ("pkg/a.py", "A = 1\n"),
        ("pkg/gone.py", "G = 1\n"),
        ("pytest.ini", "[pytest]\n"),
        ("tests/test_a.py", "def test_a(): pass\n"),
        (".gitignore", "__pycache__/\n"),
    ]);
    let task_dir = tree(&[
        ("hidden/tests/test_hidden.py", "def test_h(): pass\n"),
        ("bug/detector/detectors/check.py", "print('ok')\n"),
    ]);
    let t = task(Language::Python, task_dir.path(), &["tests/**"]);
    let bug = bug_in(&task_dir.path().join("bug"));
    let work = edited(base.path(), |r| {
        write(r, "pkg/a.py", "A = 2\n");
        write(r, "pkg/b.py", "B = 1\n");
        std::fs::remove_file(r.join("pkg/gone.py")).unwrap();
        write(r, "conftest.py", "import os\n");
        write(r, "pytest.ini", "[pytest]\naddopts = -p evil\n");
        write(r, "threading.py", "Lock = None\n");
        write(r, "pkg/threading.py", "X = 1\n");
        write(r, "sitecustomize.py", "import os\n");
        write(r, "evil.pth", "import os\n");
        write(r, "tests/test_a.py", "def test_a(): assert True\n");
        write(r, "tests/test_hidden.py", "def test_h(): pass\n");
        write(r, "detectors/calc/__init__.py", "");
        write(r, "refbench_race/__init__.py", "");
        write(
            r,
            "pkg/__pycache__/a.cpython-311.pyc",
            "ignored by .gitignore",
        );
        std::os::unix::fs::symlink("/etc/passwd", r.join("pkg/link.py")).unwrap();
        // A repository of its own inside the tree: its files are judged one by one.
        git2::Repository::init(r.join("vendored")).unwrap();
        write(r, "vendored/lib.py", "V = 1\n");
    });
    let (room, room_dir) = room_of(&t, &[&bug], base.path(), work.path());
    assert_eq!(
        refused(&room),
        vec![
            ("conftest.py".into(), RefusalReason::TestConfig),
            ("detectors/calc/__init__.py".into(), RefusalReason::Detector),
            ("evil.pth".into(), RefusalReason::ShadowingModule),
            ("pkg/link.py".into(), RefusalReason::Symlink),
            ("pytest.ini".into(), RefusalReason::TestConfig),
            ("refbench_race/__init__.py".into(), RefusalReason::Harness),
            ("sitecustomize.py".into(), RefusalReason::ShadowingModule),
            ("tests/test_a.py".into(), RefusalReason::HiddenTest),
            ("tests/test_hidden.py".into(), RefusalReason::HiddenTest),
            ("threading.py".into(), RefusalReason::ShadowingModule),
            ("vendored/.git".into(), RefusalReason::GitMetadata),
        ]
    );
    let taken: Vec<(&str, PathChange)> = room
        .taken
        .iter()
        .map(|e| (e.path.as_str(), e.change))
        .collect();
    assert_eq!(
        taken,
        vec![
            ("pkg/a.py", PathChange::Modified),
            ("pkg/b.py", PathChange::Added),
            ("pkg/gone.py", PathChange::Deleted),
            ("pkg/threading.py", PathChange::Added),
            ("vendored/lib.py", PathChange::Added),
        ]
    );
    let read = |p: &str| std::fs::read_to_string(room_dir.join(p)).ok();
    assert_eq!(read("pkg/a.py").as_deref(), Some("A = 2\n"));
    assert_eq!(read("pkg/b.py").as_deref(), Some("B = 1\n"));
    assert_eq!(read("pkg/gone.py"), None);
    assert_eq!(read("pytest.ini").as_deref(), Some("[pytest]\n"));
    assert_eq!(
        read("tests/test_a.py").as_deref(),
        Some("def test_a(): pass\n")
    );
    for absent in [
        "conftest.py",
        "threading.py",
        "sitecustomize.py",
        "evil.pth",
        "tests/test_hidden.py",
        "detectors/calc/__init__.py",
        "refbench_race/__init__.py",
        "pkg/__pycache__/a.cpython-311.pyc",
        ".git",
    ] {
        assert!(
            room_dir.join(absent).symlink_metadata().is_err(),
            "{absent} is in the room"
        );
    }
    assert!(room_dir.join("pkg/link.py").symlink_metadata().is_err());
}

#[test]
fn a_rust_edit_cannot_touch_the_build() {
    let base = base(&[
        ("Cargo.toml", "[package]\nname = \"fx\"\n"),
        ("Cargo.lock", "# lock\n"),
        ("src/lib.rs", "pub fn a() {}\n"),
        ("tests/common/mod.rs", "pub fn setup() {}\n"),
    ]);
    let task_dir = tree(&[
        ("hidden/tests/hidden.rs", "#[test] fn h() {}\n"),
        ("bug/detector/tests/race_x.rs", "#[test] fn r() {}\n"),
    ]);
    let t = task(Language::Rust, task_dir.path(), &[]);
    let bug = bug_in(&task_dir.path().join("bug"));
    let work = edited(base.path(), |r| {
        write(r, "src/lib.rs", "pub fn a() { }\n");
        write(r, "src/events.rs", "pub struct E;\n");
        write(
            r,
            "Cargo.toml",
            "[package]\nname = \"fx\"\n[patch.crates-io]\n",
        );
        write(r, "build.rs", "fn main() {}\n");
        write(r, ".cargo/config.toml", "[build]\n");
        write(r, "rust-toolchain.toml", "[toolchain]\n");
        write(r, "tests/common/mod.rs", "pub fn setup() { panic!() }\n");
        std::fs::remove_file(r.join("Cargo.lock")).unwrap();
        // An edit that rewrites the attempt's history changes nothing: the base is the cache's.
        std::fs::remove_dir_all(r.join(".git")).unwrap();
    });
    let (room, room_dir) = room_of(&t, &[&bug], base.path(), work.path());
    assert_eq!(
        refused(&room),
        vec![
            (".cargo/config.toml".into(), RefusalReason::BuildConfig),
            ("Cargo.lock".into(), RefusalReason::BuildConfig),
            ("Cargo.toml".into(), RefusalReason::BuildConfig),
            ("build.rs".into(), RefusalReason::BuildConfig),
            ("rust-toolchain.toml".into(), RefusalReason::Toolchain),
            ("tests/common/mod.rs".into(), RefusalReason::HiddenTest),
        ]
    );
    let read = |p: &str| std::fs::read_to_string(room_dir.join(p)).ok();
    assert_eq!(read("src/lib.rs").as_deref(), Some("pub fn a() { }\n"));
    assert_eq!(read("src/events.rs").as_deref(), Some("pub struct E;\n"));
    assert_eq!(read("Cargo.lock").as_deref(), Some("# lock\n"));
    assert_eq!(
        read("Cargo.toml").as_deref(),
        Some("[package]\nname = \"fx\"\n")
    );
    assert_eq!(read("build.rs"), None);
    assert!(!room_dir.join(".cargo").exists());
}

#[test]
fn an_untouched_tree_is_the_base_and_refuses_nothing() {
    let base = base(&[("a.py", "A = 1\n"), ("pytest.ini", "[pytest]\n")]);
    let task_dir = tempfile::tempdir().unwrap();
    let t = task(Language::Python, task_dir.path(), &[]);
    let work = edited(base.path(), |_| {});
    let (room, room_dir) = room_of(&t, &[], base.path(), work.path());
    assert!(room.refused.is_empty() && room.taken.is_empty());
    assert_eq!(
        std::fs::read_to_string(room_dir.join("a.py")).unwrap(),
        "A = 1\n"
    );
}

#[test]
fn the_watch_reports_grader_files_changed_while_graded_code_ran() {
    let task_dir = tree(&[
        ("hidden/tests/test_hidden.py", "def test_h(): pass\n"),
        ("bug/detector/detectors/check.py", "print('ok')\n"),
    ]);
    let t = task(Language::Python, task_dir.path(), &["README.md"]);
    let bug = bug_in(&task_dir.path().join("bug"));
    let graded = tree(&[
        ("pkg/__init__.py", ""),
        ("pkg/a.py", "A = 1\n"),
        ("pytest.ini", "[pytest]\n"),
        ("README.md", "# r\n"),
        ("tests/test_hidden.py", "def test_h(): pass\n"),
        ("detectors/check.py", "print('ok')\n"),
    ]);
    let watch = GraderWatch::new(&t, &[&bug]).unwrap();
    let before = watch.snapshot(graded.path()).unwrap();
    assert!(watch.changes(&before, graded.path()).unwrap().is_empty());
    // A folder no one may open (as a test of locking might leave) is not a harness failure.
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir(graded.path().join("locked")).unwrap();
    std::fs::set_permissions(
        graded.path().join("locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    assert!(watch.changes(&before, graded.path()).unwrap().is_empty());
    // What graded code may do: change its own code, write a scratch file.
    write(graded.path(), "pkg/a.py", "A = 2\n");
    write(graded.path(), "pkg/out.txt", "x");
    assert!(watch.changes(&before, graded.path()).unwrap().is_empty());
    // What it may not: rewrite a hidden test, plant configuration, remove the detector, touch
    // a protected file.
    write(
        graded.path(),
        "tests/test_hidden.py",
        "def test_h(): assert True\n",
    );
    write(graded.path(), "conftest.py", "import os\n");
    write(graded.path(), "README.md", "# changed\n");
    std::fs::remove_file(graded.path().join("detectors/check.py")).unwrap();
    let changed: Vec<String> = watch
        .changes(&before, graded.path())
        .unwrap()
        .into_iter()
        .map(|e| match e {
            TamperEvidence::HarnessFileChanged { path } => path,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        changed,
        [
            "README.md",
            "conftest.py",
            "detectors/check.py",
            "tests/test_hidden.py"
        ]
    );
}

#[test]
fn source_files_the_gitignore_ignores_are_left_out_and_listed() {
    let base = base(&[
        ("pkg/__init__.py", ""),
        ("pkg/a.py", "A = 1\n"),
        (".gitignore", "__pycache__/\nbuild/\n*.log\n"),
    ]);
    let task_dir = tree(&[("hidden/tests/test_hidden.py", "def test_h(): pass\n")]);
    let t = task(Language::Python, task_dir.path(), &["tests/**"]);
    let work = edited(base.path(), |r| {
        write(r, "pkg/a.py", "from pkg.build.helpers import B\nA = B\n");
        // A module the edit needs, in a folder the .gitignore ignores.
        write(r, "pkg/build/helpers.py", "B = 2\n");
        write(r, "pkg/build/deep/more.py", "C = 3\n");
        // Build output and logs: ignored, and not source, so not listed.
        write(r, "pkg/__pycache__/a.cpython-311.pyc", "bytes");
        write(r, "run.log", "log\n");
    });
    let (room, room_dir) = room_of(&t, &[], base.path(), work.path());
    assert_eq!(
        room.ignored,
        vec!["pkg/build/deep/more.py", "pkg/build/helpers.py"]
    );
    assert!(!room_dir.join("pkg/build/helpers.py").exists());
    assert!(!room_dir.join("run.log").exists());
    let taken: Vec<&str> = room.taken.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(taken, vec!["pkg/a.py"]);
}

#[test]
fn a_long_list_of_ignored_sources_ends_with_a_count() {
    let base = base(&[("src/lib.rs", "\n"), (".gitignore", "/gen/\n")]);
    let task_dir = tree(&[("hidden/tests/t.rs", "\n")]);
    let t = task(Language::Rust, task_dir.path(), &["tests/**"]);
    let work = edited(base.path(), |r| {
        for i in 0..(MAX_IGNORED_LISTED + 3) {
            write(r, &format!("gen/m{i:02}.rs"), "\n");
        }
    });
    let (room, _) = room_of(&t, &[], base.path(), work.path());
    assert_eq!(room.ignored.len(), MAX_IGNORED_LISTED + 1);
    assert_eq!(room.ignored[0], "gen/m00.rs");
    assert_eq!(room.ignored.last().unwrap(), "... and 3 more");
}
