//! Compiled detectors on a small std-only crate: an honest detector's verdict is read per
//! test, with the canaries telling the truth; code under test that exits 0 or prints a
//! forged report before the tests run gets no verdict and leaves evidence.

use std::path::Path;

use crate::catalog::Language;
use crate::lang::testing::{bug, task};
use crate::sandbox::SandboxMode;
use crate::score::{run_detector, DetectorStatus, TamperEvidence};
use crate::toolchain::Toolchain;

/// The detector: its one test fails while the counter is not atomic.
const DETECTOR: &str =
    "#[test]\nfn incr_is_atomic() {\n    assert!(fx::counter_is_atomic(), \"race: lost update\");\n}\n";

/// A function run before `main` in every executable that links the library.
fn before_main(body: &str) -> String {
    format!(
        "#[used]\n#[link_section = \".init_array\"]\nstatic BEFORE_MAIN: extern \"C\" fn() = before_main;\nextern \"C\" fn before_main() {{\n{body}\n}}\n"
    )
}

/// Runs the detector `command` (its file `tests/race_counter.rs`) on the crate `fx` whose
/// library is `lib`.
fn detect(lib: &str, command: &[&str]) -> (DetectorStatus, String, Vec<TamperEvidence>) {
    let manifest =
        "[package]\nname = \"fx\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n";
    let repo = crate::test_support::tree(&[
        ("Cargo.toml", manifest),
        ("src/lib.rs", lib),
        ("tests/race_counter.rs", DETECTOR),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let t = task(Language::Rust, &[], &["src/lib.rs::t"]);
    let b = bug(command, Path::new("/nonexistent").to_path_buf());
    let mut toolchain = Toolchain::in_cache(cache.path(), 1);
    toolchain.sandbox = SandboxMode::None;
    let slot = toolchain.build_slot(&t, repo.path()).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let run = run_detector(&t, &b, slot.tree(), scratch.path(), &toolchain, &slot, &[]).unwrap();
    (run.result.status, run.log, run.evidence)
}

const RACY: &str = "pub fn counter_is_atomic() -> bool {\n    false\n}\n";
const FIXED: &str = "pub fn counter_is_atomic() -> bool {\n    true\n}\n";
const COMMAND: &[&str] = &["cargo", "test", "--test", "race_counter"];

#[test]
fn an_honest_detector_is_read_per_test_with_its_canaries() {
    let (status, log, evidence) = detect(RACY, COMMAND);
    assert_eq!(status, DetectorStatus::Failed, "{log}");
    assert!(evidence.is_empty(), "{evidence:?}\n{log}");
    // Run directly, once, with the canaries in it (two tests besides the detector's).
    assert!(log.contains("# tests/race_counter.rs\n$ "), "{log}");
    assert!(log.contains("running 3 tests"), "{log}");
    let (status, log, evidence) = detect(FIXED, COMMAND);
    assert_eq!(status, DetectorStatus::Passed, "{log}");
    assert!(evidence.is_empty(), "{evidence:?}\n{log}");
    // A name filter keeps the canaries in the run.
    let filtered = ["cargo", "test", "--test", "race_counter", "--", "incr"];
    let (status, log, evidence) = detect(FIXED, &filtered);
    assert_eq!(status, DetectorStatus::Passed, "{log}");
    assert!(evidence.is_empty(), "{evidence:?}\n{log}");
}

#[test]
fn code_that_exits_0_before_the_tests_gets_no_verdict_and_is_caught() {
    let lib = format!("{RACY}{}", before_main("    std::process::exit(0);"));
    let (status, log, evidence) = detect(&lib, COMMAND);
    assert_eq!(status, DetectorStatus::Error, "{log}");
    assert!(
        evidence.contains(&TamperEvidence::ResultsDisagree {
            source: "tests/race_counter.rs".into(),
            detail: "exit 0 without libtest's summary line".into(),
        }),
        "{evidence:?}\n{log}"
    );
}

#[test]
fn a_forged_report_printed_before_the_tests_is_caught_by_the_canaries() {
    let forged = "    print!(\"\\nrunning 1 test\\ntest incr_is_atomic ... ok\\n\\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\\n\\n\");\n    std::process::exit(0);";
    let lib = format!("{RACY}{}", before_main(forged));
    let (status, log, evidence) = detect(&lib, COMMAND);
    assert_eq!(status, DetectorStatus::Error, "{log}");
    assert!(
        evidence.iter().any(
            |e| matches!(e, TamperEvidence::CanaryLied { expected, .. } if expected == "failed")
        ),
        "{evidence:?}\n{log}"
    );
}
