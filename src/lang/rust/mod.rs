//! Rust: `cargo test` suites, built then run, graded from libtest's output; sources parsed
//! with tree-sitter-rust; dependencies fetched once per base so that builds run offline.
//!
//! In: a task's or a path's language being Rust. Out: the [`Rust`] support (see
//! [`crate::lang::LanguageSupport`] for what each stage takes from it).

pub mod cargo;
pub mod libtest;
mod refusal;
mod templates;

use std::path::Path;

use super::{
    file_test_id, BuildStep, CompiledDetector, CompiledSuite, EnvInputs, ExtractionQueries,
    Language, LanguageSupport, SeedQueries, SuitePlan, Templates, TestIdError,
};

/// Rust support.
pub struct Rust;

/// cargo's machine-readable build messages, with rustc's diagnostics rendered for people.
const JSON_MESSAGES: &str = "--message-format=json-render-diagnostics";

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// The cargo features a command turns on (`--features a,b`, `--features=a`, `-F a`).
pub fn cargo_features(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut args = argv.iter();
    while let Some(arg) = args.next() {
        let list = if arg == "--features" || arg == "-F" {
            args.next().cloned()
        } else {
            arg.strip_prefix("--features=").map(str::to_string)
        };
        if let Some(list) = list {
            out.extend(
                list.split([',', ' '])
                    .filter(|f| !f.is_empty())
                    .map(str::to_string),
            );
        }
    }
    out
}

/// Why cargo could not do a build, told from the output of one that did not finish.
fn cargo_problem(output: &str) -> Option<&'static str> {
    if output.contains("unexpected argument '--keep-going'") {
        return Some("cargo is too old: grading needs `cargo build --keep-going` (cargo 1.74 or newer); update the toolchain (rustup update)");
    }
    if output.contains("unexpected argument '--message-format") {
        return Some("cargo is too old: grading needs JSON build messages (cargo 1.74 or newer); update the toolchain (rustup update)");
    }
    let offline_failure = [
        "failed to get `",
        "failed to load source for dependency",
        "--offline was specified",
        "no matching package named",
    ]
    .iter()
    .any(|needle| output.contains(needle));
    offline_failure.then_some("cargo could not resolve the fixture's dependencies offline; they are fetched when the base is materialized (check network access to crates.io and CARGO_HOME)")
}

impl LanguageSupport for Rust {
    fn language(&self) -> Language {
        Language::Rust
    }

    fn source_extensions(&self) -> &'static [&'static str] {
        &["rs"]
    }

    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_rust::LANGUAGE.into()
    }

    fn queries(&self) -> ExtractionQueries {
        ExtractionQueries {
            defs: include_str!("../../codegraph/queries/rust-defs.scm"),
            refs: include_str!("../../codegraph/queries/rust-refs.scm"),
            defs_file: "src/codegraph/queries/rust-defs.scm",
            refs_file: "src/codegraph/queries/rust-refs.scm",
        }
    }

    fn seed_queries(&self) -> SeedQueries {
        SeedQueries {
            sites: include_str!("seed-sites.scm"),
            sites_file: "src/lang/rust/seed-sites.scm",
        }
    }

    fn cache_tag(&self) -> u8 {
        0
    }

    fn line_comment(&self) -> &'static str {
        "//"
    }

    /// `TARGET.rs::path::to::test`, the target being the file cargo names when it runs the
    /// test binary.
    fn check_test_id(&self, id: &str) -> Result<(), TestIdError> {
        file_test_id(id, ".rs", "FILE.rs::NAME", Language::Rust)
    }

    /// The user's cargo and rustup homes (the registry and toolchain are read from there),
    /// the slot's target dir, offline, no colour.
    fn test_env(&self, inputs: &EnvInputs<'_>) -> Vec<(String, String)> {
        let host = inputs.host;
        let home = host("HOME").unwrap_or_default();
        let cargo_home = host("CARGO_HOME").unwrap_or_else(|| format!("{home}/.cargo"));
        let rustup_home = host("RUSTUP_HOME").unwrap_or_else(|| format!("{home}/.rustup"));
        let mut env: Vec<(String, String)> = vec![
            ("CARGO_HOME".into(), cargo_home),
            ("RUSTUP_HOME".into(), rustup_home),
        ];
        if let Some(target) = inputs.target_dir {
            env.push(("CARGO_TARGET_DIR".into(), target.display().to_string()));
        }
        env.push(("CARGO_NET_OFFLINE".into(), "true".into()));
        env.push(("CARGO_TERM_COLOR".into(), "never".into()));
        // Incremental: the slot's tree is always at the same path (see the toolchain's
        // BuildSlot), so rustc reuses what the last attempt on the slot compiled.
        env.push(("CARGO_INCREMENTAL".into(), "1".into()));
        // No debug info: nothing reads it (tests report panics by location, not backtrace),
        // and without it rebuilding and linking the fixture crate's test binaries after a
        // patch takes about 40% less time.
        env.push(("CARGO_PROFILE_DEV_DEBUG".into(), "0".into()));
        env.push(("CARGO_PROFILE_TEST_DEBUG".into(), "0".into()));
        env
    }

    /// `cargo fetch` where the tree has a manifest.
    fn dependency_fetch(&self, repo: &Path) -> Option<Vec<String>> {
        repo.join("Cargo.toml")
            .is_file()
            .then(|| argv(&["cargo", "fetch", "--quiet"]))
    }

    /// `cargo test` in two phases. The build: `cargo test --no-run`, which builds what the run
    /// needs (test targets, examples); if a test target does not compile (cargo stops at the
    /// first, even with --no-fail-fast), `cargo build --tests --keep-going` builds every one
    /// that does and its JSON messages name them, because a hidden test file that does not
    /// compile (the model's interface is wrong) must fail its own tests, not hide every other
    /// target's results. The run: each test executable the build made, run directly, one
    /// process each, read from its own stdout ([`libtest::parse_binary`]); doctests are not
    /// run (no task lists one).
    fn test_suite(&self, _scratch: &Path) -> SuitePlan {
        SuitePlan::Compiled(CompiledSuite {
            build: BuildStep {
                argv: argv(&["cargo", "test", "--no-run", JSON_MESSAGES]),
                parse: cargo::parse_cargo_test_build,
            },
            build_each: BuildStep {
                argv: argv(&["cargo", "build", "--tests", "--keep-going", JSON_MESSAGES]),
                parse: cargo::parse_cargo_test_build,
            },
            parse_binary: libtest::parse_binary,
            canary_module: libtest::canary_module,
            runner_problem: cargo_problem,
            build_ms: cargo::cargo_build_ms,
        })
    }

    /// A `cargo test --test NAME` detector builds first (its build flags go before a `--`
    /// that passes the rest to the test binaries), then each test executable runs directly.
    /// With the `shuttle` feature on, the canaries' must-fail test is a race shuttle must find
    /// ([`libtest::shuttle_canary_module`]). A `cargo test` that names no `--test` target runs
    /// as it is.
    fn compiled_detector(&self, argv: &[String]) -> Option<CompiledDetector> {
        if argv.len() < 2 || argv[0] != "cargo" || argv[1] != "test" {
            return None;
        }
        let at = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
        let (flags, args) = (&argv[..at], argv.get(at + 1..).unwrap_or_default());
        let mut targets = Vec::new();
        let mut words = flags.iter();
        while let Some(word) = words.next() {
            let name = if word == "--test" {
                words.next().cloned()
            } else {
                word.strip_prefix("--test=").map(str::to_string)
            };
            if let Some(name) = name {
                targets.push(vec![
                    format!("tests/{name}.rs"),
                    format!("tests/{name}/main.rs"),
                ]);
            }
        }
        if targets.is_empty() {
            return None;
        }
        let mut build = flags.to_vec();
        build.extend(["--no-run".into(), JSON_MESSAGES.into()]);
        let shuttle = cargo_features(flags).iter().any(|f| f == "shuttle");
        Some(CompiledDetector {
            build: BuildStep {
                argv: build,
                parse: cargo::parse_cargo_test_build,
            },
            run_args: libtest::run_args_with_filter,
            args: args.to_vec(),
            targets,
            parse_binary: libtest::parse_binary,
            canary_module: if shuttle {
                libtest::shuttle_canary_module
            } else {
                libtest::canary_module
            },
        })
    }

    fn build_ms(&self, output: &str) -> Option<u64> {
        cargo::cargo_build_ms(output)
    }

    fn refused_change(
        &self,
        path: &str,
        change: super::PathChange,
        _has_file: &dyn Fn(&str) -> bool,
    ) -> Option<super::RefusalReason> {
        refusal::refused_change(path, change)
    }

    fn manifest_file(&self) -> Option<&'static str> {
        Some("Cargo.toml")
    }

    fn templates(&self) -> &'static dyn Templates {
        &templates::RustTemplates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cargo_test_detector_builds_its_targets_then_runs_them() {
        let words = argv(&[
            "cargo",
            "test",
            "--features",
            "shuttle",
            "--test",
            "race_a",
            "--",
            "--exact",
        ]);
        let plan = Rust.compiled_detector(&words).unwrap();
        // The build flags (all before `--`), then the build-only ones.
        let mut build = words[..6].to_vec();
        build.extend(argv(&["--no-run", JSON_MESSAGES]));
        assert_eq!(plan.build.argv, build);
        assert_eq!(
            plan.targets,
            vec![argv(&["tests/race_a.rs", "tests/race_a/main.rs"])]
        );
        assert_eq!(plan.args, argv(&["--exact"]));
        // With shuttle on, the must-fail canary is a race shuttle has to find.
        assert!((plan.canary_module)("m", "p", "f").contains("shuttle::check_random"));
        let plain = Rust
            .compiled_detector(&argv(&["cargo", "test", "--test=race_b"]))
            .unwrap();
        assert_eq!(plain.targets[0][0], "tests/race_b.rs");
        assert!(!(plain.canary_module)("m", "p", "f").contains("shuttle"));
        // A command that names no test target, or is not cargo test, runs as it is.
        assert!(Rust
            .compiled_detector(&argv(&["cargo", "test", "--features", "shuttle"]))
            .is_none());
        assert!(Rust
            .compiled_detector(&argv(&["sh", "-c", "true"]))
            .is_none());
    }

    #[test]
    fn the_environment_builds_offline_into_the_slot() {
        let host = |name: &str| (name == "HOME").then(|| "/home/u".to_string());
        let env = Rust.test_env(&EnvInputs {
            project_root: Path::new("/p"),
            python_bin: None,
            target_dir: Some(Path::new("/c/cargo-target/fx-w0")),
            host: &host,
        });
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("CARGO_HOME"), Some("/home/u/.cargo"));
        assert_eq!(get("CARGO_TARGET_DIR"), Some("/c/cargo-target/fx-w0"));
        assert_eq!(get("CARGO_NET_OFFLINE"), Some("true"));
    }

    #[test]
    fn cargo_problems_are_told_from_its_output() {
        assert!(
            cargo_problem("error: unexpected argument '--keep-going' found")
                .unwrap()
                .contains("too old")
        );
        assert!(
            cargo_problem("error: failed to get `shuttle` as a dependency")
                .unwrap()
                .contains("offline")
        );
        assert_eq!(cargo_problem("error[E0425]: cannot find value `x`"), None);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Rust.dependency_fetch(dir.path()), None);
        std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
        assert_eq!(
            Rust.dependency_fetch(dir.path()),
            Some(argv(&["cargo", "fetch", "--quiet"]))
        );
    }
}
