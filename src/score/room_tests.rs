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

/// The clean room of the edited tree `work/repo`, built at `work/room` by moving the tree
/// (as for a reply), after checking that a room copied from it (as for an agent) holds the
/// same files, links, contents and modes and took and refused the same changes.
fn room_of(task: &Task, bugs: &[&SeededBug], base: &Path, work: &Path) -> (CleanRoom, PathBuf) {
    let edited = work.join("repo");
    assert_eq!(
        edited_paths(base, &edited).unwrap().changes,
        git_edited_paths(base, &edited).unwrap().changes,
        "the scan and libgit2 see different edits"
    );
    let copied_dir = work.join("room-copied");
    let copied =
        build_clean_room(task, bugs, base, &edited, &copied_dir, EditOrigin::Agent).unwrap();
    assert!(edited.is_dir(), "an agent's tree is only read");
    let dir = work.join("room");
    let room = build_clean_room(task, bugs, base, &edited, &dir, EditOrigin::Harness).unwrap();
    assert!(!edited.exists(), "a reply's tree is moved into the room");
    assert_eq!(
        contents(&dir),
        contents(&copied_dir),
        "moved and copied rooms differ"
    );
    assert_eq!(room.taken, copied.taken);
    assert_eq!(room.refused, copied.refused);
    assert_eq!(room.ignored, copied.ignored);
    (room, dir)
}

/// Every file and link of a tree: path, mode and content (a link's target).
fn contents(dir: &Path) -> Vec<(String, u32, Vec<u8>)> {
    use std::os::unix::fs::PermissionsExt;
    walkdir(dir)
        .unwrap()
        .into_iter()
        .map(|rel| {
            let at = dir.join(&rel);
            let meta = at.symlink_metadata().unwrap();
            let bytes = if meta.file_type().is_symlink() {
                std::fs::read_link(&at)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes()
            } else {
                std::fs::read(&at).unwrap()
            };
            (rel, meta.permissions().mode(), bytes)
        })
        .collect()
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

#[test]
fn folders_and_files_swapped_by_an_edit_come_out_alike_moved_or_copied() {
    use std::os::unix::fs::symlink;
    let base = base(&[
        ("pkg/__init__.py", ""),
        ("pkg/a.py", "A = 1\n"),
        ("README.md", "# r\n"),
        ("lib/x.py", "X = 1\n"),
        ("tests/test_a.py", "def test_a(): pass\n"),
    ]);
    let task_dir = tree(&[("hidden/tests/test_hidden.py", "def test_h(): pass\n")]);
    let t = task(Language::Python, task_dir.path(), &["README.md"]);
    let work = edited(base.path(), |r| {
        // A protected file turned into a folder of code: the file comes back, the folder
        // (and what the edit put in it) does not.
        std::fs::remove_file(r.join("README.md")).unwrap();
        write(r, "README.md/inner.py", "I = 1\n");
        // A folder turned into a file: taken (nothing in it was the grader's).
        std::fs::remove_dir_all(r.join("lib")).unwrap();
        write(r, "lib", "not a folder\n");
        // A folder of the grader's turned into a link: refused, the base's files come back.
        std::fs::remove_dir_all(r.join("tests")).unwrap();
        symlink("/etc", r.join("tests")).unwrap();
        // A repository of its own inside the tree: its files are taken, its .git is not.
        write(r, "vendor/dep.py", "D = 1\n");
        git2::Repository::init(r.join("vendor")).unwrap();
    });
    let (room, room_dir) = room_of(&t, &[], base.path(), work.path());
    let read = |p: &str| std::fs::read_to_string(room_dir.join(p)).ok();
    assert_eq!(read("README.md").as_deref(), Some("# r\n"));
    assert_eq!(read("lib").as_deref(), Some("not a folder\n"));
    assert_eq!(
        read("tests/test_a.py").as_deref(),
        Some("def test_a(): pass\n")
    );
    assert!(!room_dir
        .join("tests")
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(read("vendor/dep.py").as_deref(), Some("D = 1\n"));
    assert!(!room_dir.join("vendor/.git").exists());
    assert!(!room_dir.join(".git").exists());
    let refused: Vec<String> = refused(&room).into_iter().map(|(p, _)| p).collect();
    assert!(refused.contains(&"README.md".to_string()), "{refused:?}");
    assert!(refused.contains(&"tests".to_string()), "{refused:?}");
}

#[test]
fn every_file_of_a_moved_room_is_newer_than_what_came_before_it() {
    let base = base(&[
        ("src/lib.rs", "pub fn a() {}\n"),
        ("Cargo.toml", "[package]\n"),
    ]);
    let task_dir = tempfile::tempdir().unwrap();
    let t = task(Language::Rust, task_dir.path(), &[]);
    let work = edited(base.path(), |r| write(r, "src/lib.rs", "pub fn b() {}\n"));
    // What a build slot's last build wrote after the edited tree was made.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mark = tempfile::NamedTempFile::new().unwrap();
    let built_at = mark.as_file().metadata().unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let room_dir = work.path().join("room");
    build_clean_room(
        &t,
        &[],
        base.path(),
        &work.path().join("repo"),
        &room_dir,
        EditOrigin::Harness,
    )
    .unwrap();
    for rel in ["src/lib.rs", "Cargo.toml"] {
        let modified = room_dir.join(rel).metadata().unwrap().modified().unwrap();
        assert!(modified > built_at, "{rel} looks older than the last build");
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        room_dir.metadata().unwrap().permissions().mode() & 0o777,
        0o700
    );
}

fn git(context: &'static str) -> impl FnOnce(git2::Error) -> RoomError {
    move |source| RoomError::Git { context, source }
}

/// The edit as libgit2 sees it (the base commit's tree against the edited files): the oracle
/// [`edited_paths`] is checked against.
fn git_edited_paths(base: &Path, edited: &Path) -> Result<EditScan, RoomError> {
    let repo = git2::Repository::open(base).map_err(git("opening the base"))?;
    let tree = repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .map_err(git("reading the base commit"))?;
    // In memory only: the base repository compares its commit with the edited files.
    repo.set_workdir(edited, false)
        .map_err(git("pointing the base at the edited tree"))?;
    let mut options = git2::DiffOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true)
        .include_ignored(true)
        .ignore_submodules(false);
    let diff = repo
        .diff_tree_to_workdir(Some(&tree), Some(&mut options))
        .map_err(git("comparing the edit with the base"))?;
    let mut out = Vec::new();
    let mut ignored = Vec::new();
    for delta in diff.deltas() {
        let change = match delta.status() {
            git2::Delta::Added | git2::Delta::Untracked => PathChange::Added,
            git2::Delta::Deleted => PathChange::Deleted,
            git2::Delta::Ignored => {
                if let Some(path) = delta.new_file().path() {
                    ignored.push(slash_path(path));
                }
                continue;
            }
            git2::Delta::Unmodified => continue,
            _ => PathChange::Modified,
        };
        let file = if change == PathChange::Deleted {
            delta.old_file()
        } else {
            delta.new_file()
        };
        let Some(path) = file.path() else { continue };
        let path = slash_path(path);
        let path = path.trim_end_matches('/').to_string();
        let on_disk = edited.join(&path);
        let meta = on_disk.symlink_metadata();
        if change != PathChange::Deleted && meta.as_ref().is_ok_and(|m| m.is_dir()) {
            // A folder git did not enter (it holds a repository of its own): each file in it,
            // and its `.git` as one path.
            let mut inner_paths: Vec<String> = walkdir(&on_disk)?
                .into_iter()
                .map(|inner| match inner.split('/').position(|p| p == ".git") {
                    Some(at) => inner.split('/').take(at + 1).collect::<Vec<_>>().join("/"),
                    None => inner,
                })
                .collect();
            inner_paths.dedup();
            for inner in inner_paths {
                let full = format!("{path}/{inner}");
                let symlink = edited
                    .join(&full)
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink());
                out.push(EditedPath {
                    path: full,
                    change: PathChange::Added,
                    symlink,
                });
            }
            continue;
        }
        let symlink = change != PathChange::Deleted
            && meta.as_ref().is_ok_and(|m| m.file_type().is_symlink());
        out.push(EditedPath {
            path,
            change,
            symlink,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    ignored.sort();
    Ok(EditScan {
        changes: out,
        ignored,
        special: Vec::new(),
    })
}

#[test]
fn a_tree_holding_a_pipe_is_copied_from_and_the_pipe_never_graded() {
    let base = base(&[("a.py", "A = 1\n")]);
    let task_dir = tempfile::tempdir().unwrap();
    let t = task(Language::Python, task_dir.path(), &[]);
    let work = edited(base.path(), |r| {
        write(r, "a.py", "A = 2\n");
        nix::unistd::mkfifo(&r.join("pipe"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    });
    let edited = work.path().join("repo");
    let scan = edited_paths(base.path(), &edited).unwrap();
    assert_eq!(scan.special, vec!["pipe".to_string()]);
    let room_dir = work.path().join("room");
    let room = build_clean_room(
        &t,
        &[],
        base.path(),
        &edited,
        &room_dir,
        EditOrigin::Harness,
    )
    .unwrap();
    assert!(edited.is_dir(), "not moved");
    assert!(room_dir.join("pipe").symlink_metadata().is_err());
    assert_eq!(
        std::fs::read_to_string(room_dir.join("a.py")).unwrap(),
        "A = 2\n"
    );
    assert_eq!(room.taken.len(), 1);
}

#[test]
fn nested_gitignores_and_negations_decide_what_an_edit_added_as_git_would() {
    let base = base(&[("pkg/a.py", "A = 1\n"), (".gitignore", "*.log\nbuild/\n")]);
    let task_dir = tempfile::tempdir().unwrap();
    let t = task(Language::Python, task_dir.path(), &[]);
    let work = edited(base.path(), |r| {
        write(r, "pkg/.gitignore", "gen_*.py\n!gen_keep.py\n");
        write(r, "pkg/gen_a.py", "G = 1\n");
        write(r, "pkg/gen_keep.py", "K = 1\n");
        write(r, "out.log", "x\n");
        write(r, "build/lib/b.py", "B = 1\n");
        write(r, "pkg/new.py", "N = 1\n");
    });
    let edited = work.path().join("repo");
    let scan = edited_paths(base.path(), &edited).unwrap();
    let added: Vec<&str> = scan.changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(added, ["pkg/.gitignore", "pkg/gen_keep.py", "pkg/new.py"]);
    let mut ignored = scan.ignored.clone();
    ignored.sort();
    assert_eq!(ignored, ["build/lib/b.py", "out.log", "pkg/gen_a.py"]);
    let (_, room_dir) = room_of(&t, &[], base.path(), work.path());
    assert!(!room_dir.join("build").exists() && !room_dir.join("out.log").exists());
    assert!(room_dir.join("pkg/gen_keep.py").is_file());
}

#[test]
fn a_link_of_the_base_whose_removal_is_refused_comes_back_as_a_link() {
    let dir = tree(&[("pkg/a.py", "A = 1\n"), ("README.md", "# r\n")]);
    std::os::unix::fs::symlink("pkg/a.py", dir.path().join("current.py")).unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    crate::materialize::commit_all(&repo, "base").unwrap();
    let task_dir = tempfile::tempdir().unwrap();
    let t = task(Language::Python, task_dir.path(), &["current.py"]);
    let work = edited(dir.path(), |r| {
        std::fs::remove_file(r.join("current.py")).unwrap();
        write(r, "pkg/a.py", "A = 2\n");
    });
    let (room, room_dir) = room_of(&t, &[], dir.path(), work.path());
    let link = room_dir.join("current.py");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("pkg/a.py"));
    assert_eq!(
        refused(&room),
        vec![("current.py".to_string(), RefusalReason::Protected)]
    );
}

#[test]
fn an_agent_s_locked_files_and_folders_are_opened_and_graded() {
    use std::os::unix::fs::PermissionsExt;
    let base = base(&[("pkg/a.py", "A = 1\n"), ("pkg/b.py", "B = 1\n")]);
    let task_dir = tempfile::tempdir().unwrap();
    let t = task(Language::Python, task_dir.path(), &[]);
    let lock = |p: &Path| std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o000));
    let work = edited(base.path(), |r| {
        write(r, "pkg/a.py", "A = 2\n");
        lock(&r.join("pkg/a.py")).unwrap();
        lock(&r.join("pkg/b.py")).unwrap();
        std::fs::create_dir(r.join("locked")).unwrap();
        write(r, "locked/c.py", "C = 1\n");
        lock(&r.join("locked")).unwrap();
    });
    let edited = work.path().join("repo");
    let room_dir = work.path().join("room");
    // For any user but root an unreadable file failed the copy (a harness error); root reads
    // it anyway, so the check here is that the agent's tree was opened up before it was read
    // (src/fsutil.rs tests opening up as an unprivileged user).
    let room =
        build_clean_room(&t, &[], base.path(), &edited, &room_dir, EditOrigin::Agent).unwrap();
    let mode = |p: &str| {
        edited
            .join(p)
            .symlink_metadata()
            .unwrap()
            .permissions()
            .mode()
    };
    assert_ne!(mode("pkg/a.py") & 0o400, 0, "opened for reading");
    assert_eq!(mode("locked") & 0o700, 0o700);
    let read = |p: &str| std::fs::read_to_string(room_dir.join(p)).unwrap();
    assert_eq!(read("pkg/a.py"), "A = 2\n", "the agent's change is graded");
    assert_eq!(
        read("pkg/b.py"),
        "B = 1\n",
        "a file only locked is not a change"
    );
    assert_eq!(read("locked/c.py"), "C = 1\n");
    let taken: Vec<&str> = room.taken.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(taken, vec!["locked/c.py", "pkg/a.py"]);
}
