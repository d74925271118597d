//! The build slots: where a Rust attempt's tree and target dir are, how slots are seeded and
//! shared between workers, what taints a build cache; and a Python attempt's plain slot.

use std::path::Path;
use std::time::Duration;

use super::*;
use crate::cache::{remove_slot_trees, slot_tree_path};
use crate::catalog::Language;
use crate::lang::testing::task;

/// A Rust task of the fixture `fx`.
fn rust_task() -> Task {
    task(Language::Rust, &["a::f"], &[])
}

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

#[test]
fn a_held_built_slot_seeds_one_more_per_worker() {
    let cache = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("lib.rs"), "").unwrap();
    let t = rust_task();
    let built = cache.path().join("cargo-target/fx-w0/debug");
    std::fs::create_dir_all(&built).unwrap();
    std::fs::write(built.join("artifact"), "compiled").unwrap();
    let toolchain = Toolchain::in_cache(cache.path(), 2);
    // A slot is reused only with its dependency manifest (here: no dependency artifacts).
    let w0 = cache.path().join("cargo-target/fx-w0");
    deps::record(&w0, &deps::manifest_path(&w0), &Default::default()).unwrap();
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
    let t = rust_task();
    let toolchain = Toolchain::in_cache(cache.path(), 1);
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
    let since = clock_mark(&target.path().join("tmp"));
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
    let toolchain = Toolchain::in_cache(Path::new("/nonexistent"), 1);
    let slot = toolchain
        .build_slot(&task(Language::Python, &[], &[]), repo.path())
        .unwrap();
    assert_eq!(slot.tree(), repo.path());
    assert!(slot.writable().is_empty());
}

#[test]
fn a_slot_whose_dependencies_do_not_verify_is_rebuilt() {
    let cache = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("lib.rs"), "").unwrap();
    let t = rust_task();
    let toolchain = Toolchain::in_cache(cache.path(), 1);
    let w0 = cache.path().join("cargo-target/fx-w0");
    let rlib = w0.join("debug/deps/libdep-0123456789abcdef.rlib");
    let make = || {
        std::fs::create_dir_all(w0.join("debug/.fingerprint/dep-0123456789abcdef")).unwrap();
        std::fs::create_dir_all(rlib.parent().unwrap()).unwrap();
        std::fs::write(&rlib, "the real dependency").unwrap();
    };
    // Without a manifest (an older refbench's cache, a crash before the first attempt
    // ended), the slot is not trusted.
    make();
    drop(toolchain.build_slot(&t, repo.path()).unwrap());
    assert!(!rlib.exists(), "a slot without a manifest was reused");
    // Built, recorded when an untainted attempt ends, reused while it verifies.
    make();
    deps::record(&w0, &deps::manifest_path(&w0), &Default::default()).unwrap();
    drop(toolchain.build_slot(&t, repo.path()).unwrap());
    assert_eq!(
        std::fs::read_to_string(&rlib).unwrap(),
        "the real dependency"
    );
    // Planted between attempts (by anything): discarded before the next attempt builds.
    std::fs::write(&rlib, "a fake dependency!!").unwrap();
    let slot = toolchain.build_slot(&t, repo.path()).unwrap();
    assert_eq!(slot.target_dir.as_deref(), Some(w0.as_path()));
    assert!(!rlib.exists(), "a planted dependency survived");
    assert!(!deps::manifest_path(&w0).exists());
}

#[test]
fn a_tree_that_runs_its_own_code_at_build_is_known_before_the_build() {
    let manifest = "[package]\nname = \"fx\"\nversion = \"0.1.0\"\n";
    let check = |files: &[(&str, &str)]| {
        let dir = crate::test_support::tree(files);
        tree_steers_the_build(dir.path())
    };
    assert_eq!(check(&[("Cargo.toml", manifest), ("src/lib.rs", "")]), None);
    let why = check(&[("Cargo.toml", manifest), ("build.rs", "fn main() {}")]).unwrap();
    assert!(why.contains("build script"), "{why}");
    // `build = false` turns a build.rs off.
    let off = format!("{manifest}build = false\n");
    assert_eq!(check(&[("Cargo.toml", &off), ("build.rs", "")]), None);
    let named = format!("{manifest}build = \"gen/make.rs\"\n");
    let why = check(&[("Cargo.toml", &named)]).unwrap();
    assert!(why.contains("gen/make.rs"), "{why}");
    // A proc-macro crate anywhere in the tree (a path dependency, a [patch]), target/ aside.
    let proc_macro = "[package]\nname = \"m\"\nversion = \"0.1.0\"\n[lib]\nproc-macro = true\n";
    let why = check(&[
        ("Cargo.toml", manifest),
        ("vendor/m/Cargo.toml", proc_macro),
    ])
    .unwrap();
    assert!(why.contains("vendor/m/Cargo.toml is a proc macro"), "{why}");
    assert_eq!(
        check(&[
            ("Cargo.toml", manifest),
            ("target/m/Cargo.toml", proc_macro)
        ]),
        None
    );
}
