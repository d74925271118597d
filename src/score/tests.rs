//! Grading, the build slots as the scorer uses them, and the runners on small crates.

use std::path::{Path, PathBuf};

use super::*;
use crate::cache::{remove_slot_trees, slot_tree_path};
use crate::catalog::{Language, Task, Timeouts};
use crate::sandbox::SandboxMode;
use crate::toolchain::{changed_since, settings_above};

#[test]
fn toolchain_paths_are_absolute() {
    let t = Toolchain::prepare(
        Path::new("."),
        &crate::cache::CacheLayout::new("rel/cache"),
        0,
        false,
    )
    .unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(t.cache.root(), cwd.join("rel/cache"));
    assert!(t.root.is_absolute(), "{}", t.root.display());
}

fn task(f2p: &[&str], p2p: &[&str]) -> Task {
    Task {
        id: crate::catalog::TaskId("f/t".into()),
        fixture: "f".into(),
        language: Language::Python,
        title: "t".into(),
        statement: "s".into(),
        requirements: vec![],
        interface: "i".into(),
        seeded_bugs: vec![],
        fail_to_pass: f2p.iter().map(|s| TestId(s.to_string())).collect(),
        pass_to_pass: p2p.iter().map(|s| TestId(s.to_string())).collect(),
        protected: vec![],
        protected_set: globset::GlobSet::empty(),
        arch_rules: vec![],
        gold_patch: String::new(),
        timeouts: Timeouts::default(),
        dir: PathBuf::new(),
        repo_dir: PathBuf::new(),
        file: PathBuf::new(),
        text: String::new(),
    }
}

fn statuses(pairs: &[(&str, TestStatus)]) -> parse::StatusMap {
    pairs
        .iter()
        .map(|(k, v)| (TestId(k.to_string()), *v))
        .collect()
}

#[test]
fn grading_follows_swe_bench() {
    let t = task(&["a::f1", "a::f2"], &["a::p1"]);
    use TestStatus::*;
    let full = statuses(&[("a::f1", Passed), ("a::f2", Passed), ("a::p1", Passed)]);
    assert_eq!(grade(&t, &full).0, TestGrade::Full);
    let partial = statuses(&[("a::f1", Passed), ("a::f2", Failed), ("a::p1", Passed)]);
    assert_eq!(grade(&t, &partial).0, TestGrade::Partial);
    let p2p_broken = statuses(&[("a::f1", Passed), ("a::f2", Passed), ("a::p1", Failed)]);
    assert_eq!(grade(&t, &p2p_broken).0, TestGrade::No);
    let none = statuses(&[("a::f1", Failed), ("a::f2", Skipped), ("a::p1", Passed)]);
    assert_eq!(grade(&t, &none).0, TestGrade::No);
}

#[test]
fn a_missing_test_counts_as_failed() {
    let t = task(&["a::f1"], &["a::p1"]);
    let (g, tests, f2p, _) = grade(&t, &statuses(&[("a::f1", TestStatus::Passed)]));
    assert_eq!(g, TestGrade::No);
    assert_eq!(tests[1].status, TestStatus::Missing);
    assert_eq!(f2p, (1, 1));
}

/// [`task`] for the Rust fixture `fx`.
fn rust_task(f2p: &[&str], p2p: &[&str]) -> Task {
    let mut t = task(f2p, p2p);
    t.language = Language::Rust;
    t.fixture = "fx".into();
    t
}

/// Worker 0 of `slots`, with its cache in `cache`.
fn toolchain_in(cache: &Path, slots: usize) -> Toolchain {
    Toolchain {
        root: PathBuf::new(),
        cache: crate::cache::CacheLayout::new(cache),
        worker: 0,
        slots,
        python_bin: None,
        sandbox: SandboxMode::Full,
    }
}

#[test]
fn a_held_built_slot_seeds_one_more_per_worker() {
    let cache = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("lib.rs"), "").unwrap();
    let t = rust_task(&["a::f"], &[]);
    let built = cache.path().join("cargo-target/fx-w0/debug");
    std::fs::create_dir_all(&built).unwrap();
    std::fs::write(built.join("artifact"), "compiled").unwrap();
    let toolchain = toolchain_in(cache.path(), 2);
    let slot = toolchain.build_slot(&t, repo.path()).unwrap();
    assert_eq!(
        slot.target_dir.as_deref(),
        Some(cache.path().join("cargo-target/fx-w0").as_path())
    );
    let seeded = cache.path().join("cargo-target/fx-w1/debug/artifact");
    assert_eq!(std::fs::read_to_string(&seeded).unwrap(), "compiled");
    // While w0 is held, the next attempt takes the seeded copy instead of waiting.
    let other = toolchain.build_slot(&t, repo.path()).unwrap();
    assert_eq!(
        other.target_dir.as_deref(),
        Some(cache.path().join("cargo-target/fx-w1").as_path())
    );
    drop((slot, other));
    // Enough slots for the workers: no third copy.
    let _again = toolchain.build_slot(&t, repo.path()).unwrap();
    assert!(!cache.path().join("cargo-target/fx-w2").exists());
}

#[test]
fn a_rust_attempt_runs_in_a_fresh_copy_at_the_slots_fixed_place() {
    use std::os::unix::fs::PermissionsExt;
    let cache = tempfile::tempdir().unwrap();
    let t = rust_task(&["a::f"], &[]);
    let toolchain = toolchain_in(cache.path(), 1);
    let first = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(first.path().join(".git")).unwrap();
    std::fs::create_dir_all(first.path().join("src")).unwrap();
    std::fs::write(first.path().join("src/lib.rs"), "pub fn a() {}").unwrap();
    std::fs::write(first.path().join("src/old.rs"), "").unwrap();
    let slot = toolchain.build_slot(&t, first.path()).unwrap();
    let tree = slot.tree().to_path_buf();
    let target = cache.path().join("cargo-target/fx-w0");
    assert_eq!(tree, slot_tree_path(&target));
    // In the temp dir, away from whatever Cargo.toml or rust-toolchain.toml sits above the
    // cache; one per slot and per cache.
    assert!(tree.starts_with(std::env::temp_dir()));
    assert!(tree.to_string_lossy().contains("-fx-w0-"));
    let other_cache = tempfile::tempdir().unwrap();
    assert_ne!(
        tree,
        slot_tree_path(&other_cache.path().join("cargo-target/fx-w0"))
    );
    assert_eq!(
        std::fs::read_to_string(tree.join("src/lib.rs")).unwrap(),
        "pub fn a() {}"
    );
    assert!(
        !tree.join(".git").exists(),
        "cargo does not need the history"
    );
    // The copy goes with the attempt, even a folder its tests locked up.
    let lock_up = |tree: &Path| {
        std::fs::create_dir_all(tree.join("junk/deeper")).unwrap();
        std::fs::set_permissions(tree.join("junk"), std::fs::Permissions::from_mode(0o000))
            .unwrap();
    };
    lock_up(&tree);
    drop(slot);
    assert!(!tree.exists());
    // And what a killed run left there goes before the next attempt.
    std::fs::create_dir_all(tree.join("src")).unwrap();
    std::fs::write(tree.join("src/old.rs"), "").unwrap();
    lock_up(&tree);

    let second = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(second.path().join("src")).unwrap();
    std::fs::write(second.path().join("src/lib.rs"), "pub fn b() {}").unwrap();
    let before = std::time::SystemTime::now() - Duration::from_secs(1);
    let slot = toolchain.build_slot(&t, second.path()).unwrap();
    assert_eq!(slot.tree(), tree, "the same place every time");
    let lib = tree.join("src/lib.rs");
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), "pub fn b() {}");
    assert!(!tree.join("src/old.rs").exists());
    assert!(!tree.join("junk").exists());
    // Newer than any earlier build: cargo rebuilds the crate from these sources.
    assert!(std::fs::metadata(&lib).unwrap().modified().unwrap() > before);
    assert_eq!(slot.writable(), vec![target.clone()]);
    drop(slot);

    // A link left at the predictable name is replaced, never written through.
    let elsewhere = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), &tree).unwrap();
    let slot = toolchain.build_slot(&t, second.path()).unwrap();
    assert!(!tree.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    drop(slot);

    assert!(!tree.exists());

    // `refbench cache clear --only builds` takes along what a killed run left.
    std::fs::create_dir_all(&tree).unwrap();
    remove_slot_trees(&cache.path().join("cargo-target")).unwrap();
    assert!(!tree.exists());
}

#[test]
fn a_test_target_that_does_not_compile_fails_alone() {
    // A std-only crate: the library's unit test, two integration tests that compile (one
    // passing, one failing) and one that does not (the attempt left out what it uses).
    let cache = tempfile::tempdir().unwrap();
    let repo = crate_with(&[
        (
            "src/lib.rs",
            "pub fn one() -> u32 { 1 }\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn unit() { assert_eq!(super::one(), 1); }\n}\n",
        ),
        ("tests/ok.rs", "#[test]\nfn fine() { assert_eq!(fx::one(), 1); }\n"),
        ("tests/bad.rs", "#[test]\nfn wrong() { assert_eq!(fx::one(), 2); }\n"),
        ("tests/new.rs", "#[test]\nfn works() { assert_eq!(fx::two(), 2); }\n"),
    ]);
    let t = rust_task(
        &["tests/new.rs::works"],
        &[
            "src/lib.rs::tests::unit",
            "tests/ok.rs::fine",
            "tests/bad.rs::wrong",
        ],
    );
    let mut toolchain = toolchain_in(cache.path(), 1);
    toolchain.sandbox = SandboxMode::None;
    let slot = toolchain.build_slot(&t, repo.path()).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let (verdict, log) = run_tests(&t, slot.tree(), scratch.path(), &toolchain, &slot).unwrap();
    let status = |id: &str| {
        verdict
            .tests
            .iter()
            .find(|r| r.id.0 == id)
            .map(|r| r.status)
            .unwrap()
    };
    assert_eq!(
        status("src/lib.rs::tests::unit"),
        TestStatus::Passed,
        "{log}"
    );
    assert_eq!(status("tests/ok.rs::fine"), TestStatus::Passed, "{log}");
    assert_eq!(status("tests/bad.rs::wrong"), TestStatus::Failed, "{log}");
    assert_eq!(status("tests/new.rs::works"), TestStatus::Missing, "{log}");
    assert!(!verdict.build_failed);
    // Built once with --keep-going, run once: the broken target named, the others run.
    assert!(
        log.contains("could not compile `fx` (test \"new\")"),
        "{log}"
    );
    assert!(
        log.contains("$ cargo test --no-fail-fast --lib --test bad --test ok\n"),
        "{log}"
    );
    assert!(
        !log.contains("{\"reason\""),
        "cargo's JSON stays out of the log"
    );
}

/// A std-only crate `fx` in a new folder, with `files` (path, text) besides its manifest.
fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    let manifest =
        "[package]\nname = \"fx\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n";
    for (path, text) in [("Cargo.toml", manifest)].iter().chain(files) {
        let path = repo.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    repo
}

/// [`crate_with`] a library, an example (`cargo test` builds examples) and `tests/t.rs`
/// with `body` as its one test, `t`.
fn tiny_crate(body: &str) -> tempfile::TempDir {
    crate_with(&[
        ("src/lib.rs", "pub fn one() -> u32 { 1 }\n"),
        (
            "examples/ex.rs",
            "fn main() { println!(\"{}\", fx::one()); }\n",
        ),
        ("tests/t.rs", &format!("#[test]\nfn t() {{ {body} }}\n")),
    ])
}

#[test]
fn what_an_attempt_writes_into_the_build_cache_is_thrown_away() {
    let cache = tempfile::tempdir().unwrap();
    let t = rust_task(&["tests/t.rs::t"], &[]);
    let mut toolchain = toolchain_in(cache.path(), 1);
    toolchain.sandbox = SandboxMode::None;
    let target = cache.path().join("cargo-target/fx-w0");
    let attempt = |body: &str| {
        let repo = tiny_crate(body);
        let slot = toolchain.build_slot(&t, repo.path()).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let (verdict, log) = run_tests(&t, slot.tree(), scratch.path(), &toolchain, &slot).unwrap();
        assert_eq!(verdict.grade, TestGrade::Full, "{log}");
        (slot.tainted(), log)
    };

    // Tests that only read, and write their own scratch space: the cache stays.
    let (tainted, log) = attempt(
        "std::fs::write(concat!(env!(\"CARGO_TARGET_TMPDIR\"), \"/left\"), \"x\").unwrap();",
    );
    assert_eq!(tainted, None, "{log}");
    assert!(target.join("debug").is_dir());
    assert!(target.join("tmp/left").is_file());

    // The next attempt does not see it; its test plants a file beside its own binary.
    let (tainted, log) = attempt(
        "assert!(std::path::Path::new(env!(\"CARGO_TARGET_TMPDIR\")).is_dir()); \
         assert!(!std::path::Path::new(concat!(env!(\"CARGO_TARGET_TMPDIR\"), \"/left\")).exists()); \
         let exe = std::env::current_exe().unwrap(); \
         std::fs::write(exe.with_file_name(\"planted\"), \"x\").unwrap();",
    );
    let why = tainted.unwrap_or_else(|| panic!("not tainted:\n{log}"));
    assert!(why.contains("debug/deps/planted"), "{why}");
    assert!(
        log.contains("the build cache is discarded after this attempt"),
        "{log}"
    );
    assert!(!target.exists(), "discarded when the attempt ended");

    // Cargo settings in the tree may run code at build time: the cache goes too.
    let repo = tiny_crate("");
    std::fs::create_dir_all(repo.path().join(".cargo")).unwrap();
    std::fs::write(repo.path().join(".cargo/config.toml"), "").unwrap();
    let slot = toolchain.build_slot(&t, repo.path()).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    run_tests(&t, slot.tree(), scratch.path(), &toolchain, &slot).unwrap();
    assert!(slot.tainted().unwrap().contains(".cargo"));
    drop(slot);
    assert!(!target.exists());
}

#[test]
fn only_uplifted_dep_info_and_tmp_escape_the_build_cache_check() {
    let target = tempfile::tempdir().unwrap();
    for dir in [
        "debug/deps",
        "debug/examples",
        "debug/.fingerprint/fx-1",
        "tmp",
    ] {
        std::fs::create_dir_all(target.path().join(dir)).unwrap();
    }
    let since = crate::toolchain::clock_mark(&target.path().join("tmp"));
    assert_eq!(changed_since(target.path(), since), Vec::<String>::new());
    std::thread::sleep(Duration::from_millis(20));
    for file in [
        "debug/fx.d",
        "debug/examples/ex.d",
        "tmp/scratch",
        "debug/deps/ex-1.d",
        "debug/.fingerprint/fx-1/dep-lib-fx",
    ] {
        std::fs::write(target.path().join(file), "").unwrap();
    }
    assert_eq!(
        changed_since(target.path(), since),
        vec![
            "debug".to_string(),
            "debug/.fingerprint/fx-1".into(),
            "debug/.fingerprint/fx-1/dep-lib-fx".into(),
            "debug/deps".into(),
            "debug/deps/ex-1.d".into(),
            "debug/examples".into(),
        ]
    );
}

#[test]
fn cargo_settings_another_user_left_above_the_build_tree_are_refused() {
    let top = tempfile::tempdir().unwrap();
    let tree = top.path().join("tmp/refbench-build-0-fx-w0-abc");
    assert_eq!(settings_above(&tree), None);
    let config = top.path().join("tmp/.cargo/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "").unwrap();
    // The user's own: kept.
    assert_eq!(settings_above(&tree), None);
    // Someone else's (a user that cannot be us: only root may give files away).
    if nix::unistd::geteuid().is_root() {
        let nobody = nix::unistd::Uid::from_raw(65534);
        nix::unistd::chown(&config, Some(nobody), None).unwrap();
        assert_eq!(settings_above(&tree), Some(config));
    }
}

#[test]
fn a_python_attempt_runs_in_its_own_tree() {
    let repo = tempfile::tempdir().unwrap();
    let toolchain = toolchain_in(Path::new("/nonexistent"), 1);
    let slot = toolchain.build_slot(&task(&[], &[]), repo.path()).unwrap();
    assert_eq!(slot.tree(), repo.path());
    assert!(slot.writable().is_empty());
}

#[test]
fn a_skipped_required_test_is_not_a_pass() {
    let t = task(&["a::f1"], &[]);
    let (g, ..) = grade(&t, &statuses(&[("a::f1", TestStatus::Skipped)]));
    assert_eq!(g, TestGrade::No);
}
