//! The suite runners on small std-only crates: a test target that does not compile fails
//! alone, and what an attempt writes into the build cache is thrown away.

use super::*;
use crate::catalog::Language;
use crate::lang::testing::task;
use crate::lang::TestStatus;
use crate::sandbox::SandboxMode;
use crate::score::{TamperEvidence, TestGrade};

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
    let t = task(
        Language::Rust,
        &["tests/new.rs::works"],
        &[
            "src/lib.rs::tests::unit",
            "tests/ok.rs::fine",
            "tests/bad.rs::wrong",
        ],
    );
    let mut toolchain = Toolchain::in_cache(cache.path(), 1);
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
    assert_eq!(verdict.end, SuiteEnd::Ran);
    // Built once with --keep-going: the broken target named, each other executable run on
    // its own, with the canaries in place and telling the truth.
    assert!(
        log.contains("could not compile `fx` (test \"new\")"),
        "{log}"
    );
    for target in ["src/lib.rs", "tests/ok.rs", "tests/bad.rs"] {
        assert!(log.contains(&format!("# {target}\n$ ")), "{target}: {log}");
    }
    assert!(!log.contains("not trusted"), "{log}");
    assert!(
        !log.contains("{\"reason\""),
        "cargo's JSON stays out of the log"
    );
}

/// A std-only crate `fx` in a new folder, with `files` (path, text) besides its manifest.
fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let manifest =
        "[package]\nname = \"fx\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n";
    let mut all = vec![("Cargo.toml", manifest)];
    all.extend_from_slice(files);
    crate::test_support::tree(&all)
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
    let t = task(Language::Rust, &["tests/t.rs::t"], &[]);
    let mut toolchain = Toolchain::in_cache(cache.path(), 1);
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
fn a_test_binary_that_forges_its_output_is_not_trusted() {
    let cache = tempfile::tempdir().unwrap();
    let t = task(
        Language::Rust,
        &["tests/t.rs::t"],
        &["src/lib.rs::tests::unit"],
    );
    let mut toolchain = Toolchain::in_cache(cache.path(), 1);
    toolchain.sandbox = SandboxMode::None;
    let lib = "pub fn forge(line: &str) {\n    use std::io::Write;\n    use std::os::fd::FromRawFd;\n    let mut out = unsafe { std::fs::File::from_raw_fd(1) };\n    let _ = out.write_all(line.as_bytes());\n    std::mem::forget(out);\n}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn unit() {}\n}\n";
    let attempt = |test: &str| {
        let repo = crate_with(&[("src/lib.rs", lib), ("tests/t.rs", test)]);
        let slot = toolchain.build_slot(&t, repo.path()).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let run = run_suite(&t, slot.tree(), scratch.path(), &toolchain, &slot, &[]).unwrap();
        let evidence = run.evidence.clone();
        let (verdict, log, _) = grade_suite(&t, run);
        (verdict, evidence, log)
    };
    // Prints a pass for itself, then fails: reported twice, or (when the forged line lands
    // inside the canary's, as the tests run on threads) a canary that comes back missing.
    let (verdict, evidence, log) =
        attempt("#[test]\nfn t() { fx::forge(\"test t ... ok\\n\"); panic!(\"not fixed\"); }\n");
    assert_eq!(verdict.grade, TestGrade::No, "{log}");
    assert!(
        !evidence.is_empty()
            && evidence.iter().all(|e| match e {
                TamperEvidence::ResultsDisagree { source, .. } => source == "tests/t.rs",
                TamperEvidence::CanaryLied {
                    site: crate::score::CanarySite::Tests { runner },
                    ..
                } => runner == "tests/t.rs",
                _ => false,
            }),
        "{evidence:?}\n{log}"
    );
    // Exits 0 from inside a test: libtest never summarises, the canary never fails.
    let (verdict, evidence, log) = attempt("#[test]\nfn t() { std::process::exit(0); }\n");
    assert_eq!(verdict.grade, TestGrade::No, "{log}");
    assert!(
        matches!(&evidence[..], [TamperEvidence::ResultsDisagree { detail, .. }] if detail.contains("exit 0")),
        "{evidence:?}\n{log}"
    );
    // An honest pass: nothing found, the unit test of the library still graded.
    let (verdict, evidence, log) = attempt("#[test]\nfn t() {}\n");
    assert_eq!(verdict.grade, TestGrade::Full, "{log}");
    assert!(evidence.is_empty(), "{evidence:?}");
}
