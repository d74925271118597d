//! Score: checks the architectural rules, runs hidden tests and seeded-bug detectors on a
//! patched attempt, and grades it.
//!
//! In: the attempt's repository (base + applied reply, protected files restored), the
//! [`crate::patch::Applied`] outcome, the [`Task`] (with its rules) and its [`SeededBug`]s, and
//! a [`Toolchain`] saying where the language tools and caches are. Out: a [`Scored`] attempt:
//! the [`Verdict`], one field per dimension (per-test statuses, the FAIL_TO_PASS and
//! PASS_TO_PASS sets and the [`TestGrade`]; per-detector [`DetectorStatus`]; per-rule
//! [`RuleResult`] with evidence; hygiene flags; resolved = all clean) and the logs to keep as
//! artifacts; or a [`ScoreError`] when the harness itself could not run the tests (never
//! recorded as a model failure).
//!
//! Steps: check the task's rules on the dependency graph of the tree the edit left
//! ([`rules`], the packer's graph code), before anything else is copied in. Then, as in
//! SWE-bench: copy the task's hidden/ files in; take a build slot ([`BuildSlot`]: for Rust, a
//! copy of the tree at a fixed place and a warm cargo target dir); run the language's test
//! command in the sandbox (for Rust in two phases, build then run, so that whatever the
//! attempt's code writes into the shared build cache is caught and the cache discarded);
//! parse its machine-readable output ([`parse`]); grade the status map
//! against the task's lists ([`grade`]). A test missing from the output counts as failed, so a
//! build failure fails every test. Then, for each seeded bug, copy its detector/ files in and
//! run its command: exit 0 within the limit means no race was found; anything else (failure,
//! crash, timeout: a hang is a deadlock) means the bug is still there.

pub mod parse;
pub mod rules;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::catalog::{BugId, Language, SeededBug, Task, TestId};
use crate::materialize::overlay_files;
use crate::sandbox::{run_command, CommandOutput, CommandSpec, Limits, SandboxError};
use crate::toolchain::{BuildSlot, Toolchain, ToolchainError};
pub use parse::TestStatus;
pub use rules::{RuleResult, RuleStatus};

/// Output kept per command, per stream.
const OUTPUT_CAP: usize = 256 * 1024;

/// Harness failures while scoring.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The sandbox could not run a command.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// Copying hidden tests or detectors failed.
    #[error("copying {what}: {source}")]
    Overlay {
        /// hidden tests or which detector.
        what: String,
        /// The cause.
        source: crate::materialize::MaterializeError,
    },
    /// The tree could not be parsed for the architectural rules.
    #[error("checking the architectural rules: {0}")]
    Rules(crate::codegraph::GraphError),
    /// No build slot or toolchain for the attempt.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    /// The test runner itself is missing or broken on this machine.
    #[error("the {language} test runner could not run: {detail}")]
    Runner {
        /// Which language.
        language: Language,
        /// What it printed.
        detail: String,
    },
}

/// Which list of the task a test belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TestKind {
    /// Hidden test that must go from failing to passing.
    FailToPass,
    /// Visible test that must keep passing.
    PassToPass,
}

/// One graded test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test id.
    pub id: TestId,
    /// Its list.
    pub kind: TestKind,
    /// Its status.
    pub status: TestStatus,
}

/// SWE-bench's resolution levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TestGrade {
    /// Every FAIL_TO_PASS and PASS_TO_PASS test passes.
    Full,
    /// Some but not all FAIL_TO_PASS pass; every PASS_TO_PASS passes.
    Partial,
    /// Anything else.
    No,
}

impl std::fmt::Display for TestGrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TestGrade::Full => "FULL",
            TestGrade::Partial => "PARTIAL",
            TestGrade::No => "NO",
        })
    }
}

/// What a detector found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorStatus {
    /// Exit 0 within the limit: no race found.
    Passed,
    /// Non-zero exit or a signal: the race (or a build break) is there.
    Failed,
    /// Ran out of time: counted as a hang, i.e. detected.
    TimedOut,
}

impl std::fmt::Display for DetectorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DetectorStatus::Passed => "passed",
            DetectorStatus::Failed => "failed",
            DetectorStatus::TimedOut => "timed-out",
        })
    }
}

/// One detector run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectorResult {
    /// The bug it looks for.
    pub bug: BugId,
    /// What it found.
    pub status: DetectorStatus,
    /// `exit 1`, `timed out after 60.0 s`, ...
    pub detail: String,
    /// Wall time.
    pub duration_ms: u64,
    /// The part of it cargo spent building (Rust detectors; `None` otherwise or when cargo
    /// printed no build time).
    #[serde(default)]
    pub build_ms: Option<u64>,
}

/// The grade of the test suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestsVerdict {
    /// FULL / PARTIAL / NO.
    pub grade: TestGrade,
    /// Every test of both lists with its status, FAIL_TO_PASS first, each list in task order.
    pub tests: Vec<TestResult>,
    /// FAIL_TO_PASS passing / total.
    pub f2p: (usize, usize),
    /// PASS_TO_PASS passing / total.
    pub p2p: (usize, usize),
    /// The build failed (no test binary ran).
    pub build_failed: bool,
    /// The test command hit its time limit.
    pub timed_out: bool,
    /// How the test command ended.
    pub detail: String,
    /// Wall time of the test commands (after a build error, with the build and run of the
    /// targets that compile).
    pub duration_ms: u64,
    /// The part of it spent building, as cargo reports it (Rust only; `None` when it printed
    /// no build time, e.g. the build failed).
    #[serde(default)]
    pub build_ms: Option<u64>,
}

/// The verdict on one attempt, one field per dimension; each is reported apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The test suite.
    pub tests: TestsVerdict,
    /// One per seeded bug, in the task's order.
    pub detectors: Vec<DetectorResult>,
    /// One per architectural rule of the task, in the task's order.
    #[serde(default)]
    pub rules: Vec<RuleResult>,
    /// Hygiene flags raised by the edit: protected files it changed (restored before grading)
    /// and placeholder lines standing for elided code.
    #[serde(default)]
    pub hygiene: Vec<String>,
    /// Every dimension clean: tests FULL, every detector passed, every rule holds, no hygiene
    /// flag. (An edit that did not apply is never scored.)
    pub resolved: bool,
}

impl Verdict {
    /// Every architectural rule holds (true when the task has none).
    pub fn rules_hold(&self) -> bool {
        self.rules.iter().all(|r| r.status == RuleStatus::Holds)
    }

    /// Every detector passed: the seeded races are fixed.
    pub fn races_fixed(&self) -> bool {
        self.detectors
            .iter()
            .all(|d| d.status == DetectorStatus::Passed)
    }
}

/// The hygiene flags of an applied edit (see [`Verdict::hygiene`]).
pub fn hygiene_flags(applied: &crate::patch::Applied) -> Vec<String> {
    applied
        .protected_touched
        .iter()
        .map(|p| format!("changed protected file {p} (restored)"))
        .chain(
            applied
                .hygiene
                .placeholders
                .iter()
                .map(|p| format!("placeholder for elided code at {p}")),
        )
        .collect()
}

/// A verdict with the logs to keep.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The verdict.
    pub verdict: Verdict,
    /// Time spent parsing the tree and checking the architectural rules.
    pub rules_ms: u64,
    /// Time spent putting the hidden tests and detectors in place and taking the build slot
    /// (for Rust, the copy of the tree at the slot's place).
    pub setup_ms: u64,
    /// Time spent parsing the test runner's report and grading it (FAIL_TO_PASS, PASS_TO_PASS,
    /// the verdict).
    pub grade_ms: u64,
    /// The hidden tests' log.
    pub tests_log: String,
    /// Each detector's log, in the task's order.
    pub detector_logs: Vec<(BugId, String)>,
}

/// Grades a status map against the task's lists, SWE-bench style.
pub fn grade(
    task: &Task,
    statuses: &parse::StatusMap,
) -> (TestGrade, Vec<TestResult>, (usize, usize), (usize, usize)) {
    let lookup = |id: &TestId| statuses.get(id).copied().unwrap_or(TestStatus::Missing);
    let mut tests = Vec::new();
    for id in &task.fail_to_pass {
        tests.push(TestResult {
            id: id.clone(),
            kind: TestKind::FailToPass,
            status: lookup(id),
        });
    }
    for id in &task.pass_to_pass {
        tests.push(TestResult {
            id: id.clone(),
            kind: TestKind::PassToPass,
            status: lookup(id),
        });
    }
    let count = |kind: TestKind| {
        let of_kind = tests.iter().filter(|t| t.kind == kind);
        let total = of_kind.clone().count();
        let passed = of_kind.filter(|t| t.status.is_pass()).count();
        (passed, total)
    };
    let f2p = count(TestKind::FailToPass);
    let p2p = count(TestKind::PassToPass);
    let grade = if f2p.0 == f2p.1 && p2p.0 == p2p.1 {
        TestGrade::Full
    } else if f2p.0 > 0 && p2p.0 == p2p.1 {
        TestGrade::Partial
    } else {
        TestGrade::No
    };
    (grade, tests, f2p, p2p)
}

/// Formats a command's output as an artifact log, the runner's output between markers and the
/// exit status apart.
pub fn format_log(argv: &[String], out: &CommandOutput) -> String {
    let mut log = format!("$ {}\n>>>>> Start Test Output\n", argv.join(" "));
    log.push_str(&out.stdout);
    if !out.stdout.ends_with('\n') && !out.stdout.is_empty() {
        log.push('\n');
    }
    log.push_str(">>>>> End Test Output\n");
    if !out.stderr.is_empty() {
        log.push_str(">>>>> Start Stderr\n");
        log.push_str(&out.stderr);
        if !out.stderr.ends_with('\n') {
            log.push('\n');
        }
        log.push_str(">>>>> End Stderr\n");
    }
    log.push_str(&format!(
        "status: {} ({} ms)\n",
        out.describe(),
        out.duration_ms
    ));
    log
}

/// Runs the task's test suite (hidden tests already in place) and grades it.
pub fn run_tests(
    task: &Task,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
) -> Result<(TestsVerdict, String), ScoreError> {
    let run = run_suite(task, repo, scratch, toolchain, slot)?;
    let (verdict, log, _) = grade_suite(task, run);
    Ok((verdict, log))
}

/// Runs the task's test command (see [`run_tests`]), without grading.
fn run_suite(
    task: &Task,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
) -> Result<SuiteRun, ScoreError> {
    let commands = AttemptCommands {
        task,
        repo,
        toolchain,
        slot,
    };
    match task.language {
        Language::Python => run_pytest(&commands, scratch),
        Language::Rust => run_cargo_tests(&commands, scratch),
    }
}

/// Grades what the test command found; also returns the time parsing its report and grading
/// took.
fn grade_suite(task: &Task, run: SuiteRun) -> (TestsVerdict, String, u64) {
    let started = std::time::Instant::now();
    let (grade, tests, f2p, p2p) = grade(task, &run.statuses);
    let grade_ms = run.parse_ms + started.elapsed().as_millis() as u64;
    (
        TestsVerdict {
            grade,
            tests,
            f2p,
            p2p,
            build_failed: run.build_failed,
            timed_out: run.timed_out,
            detail: run.detail,
            duration_ms: run.duration_ms,
            build_ms: run.build_ms,
        },
        run.log,
        grade_ms,
    )
}

/// What a language's test commands found, before grading.
struct SuiteRun {
    statuses: parse::StatusMap,
    build_failed: bool,
    timed_out: bool,
    /// How the last command ended.
    detail: String,
    /// The test commands' wall time, all phases.
    duration_ms: u64,
    build_ms: Option<u64>,
    /// Time spent parsing the runner's report.
    parse_ms: u64,
    log: String,
}

/// What every command of one attempt shares: the task, the tree it runs in, the toolchain
/// and the build slot.
struct AttemptCommands<'a> {
    task: &'a Task,
    repo: &'a Path,
    toolchain: &'a Toolchain,
    slot: &'a BuildSlot,
}

impl AttemptCommands<'_> {
    /// Runs `argv` sandboxed in the attempt's tree, with `scratch` as its own scratch dir.
    fn run(
        &self,
        scratch: &Path,
        argv: &[String],
        timeout: Duration,
    ) -> Result<CommandOutput, SandboxError> {
        run_command(&CommandSpec {
            argv: argv.to_vec(),
            cwd: self.repo.to_path_buf(),
            scratch: scratch.to_path_buf(),
            env: self.toolchain.env(self.task, self.slot),
            timeout,
            output_cap: OUTPUT_CAP,
            merge_output: true,
            writable: self.slot.writable(),
            limits: Limits::for_timeout(timeout),
            sandbox: self.toolchain.sandbox,
        })
    }

    /// Runs a cargo build with `--message-format=json-render-diagnostics` in `argv`: logs its
    /// output without cargo's JSON, and taints the slot if the build ran the tree's own code.
    fn build(
        &self,
        scratch: &Path,
        argv: &[String],
        timeout: Duration,
        log: &mut String,
    ) -> Result<(CommandOutput, parse::CargoTestBuild), SandboxError> {
        let out = self.run(scratch, argv, timeout)?;
        let build = parse::parse_cargo_test_build(&out.stdout);
        let human = CommandOutput {
            stdout: build.human.clone(),
            ..out.clone()
        };
        log.push_str(&format_log(argv, &human));
        if let Some(why) = &build.ran_local_code {
            self.slot
                .taint(format!("the build ran the tree's own code: {why}"), log);
        }
        Ok((out, build))
    }
}

fn run_pytest(commands: &AttemptCommands<'_>, scratch: &Path) -> Result<SuiteRun, ScoreError> {
    let task = commands.task;
    // Inside the command's scratch directory: the only place besides the tree it may write.
    let junit = scratch.join("tests").join("junit.xml");
    let argv: Vec<String> = vec![
        "python3".into(),
        "-m".into(),
        "pytest".into(),
        "-p".into(),
        "no:cacheprovider".into(),
        "-o".into(),
        "junit_family=xunit1".into(),
        // One hidden test module that does not import (the interface is missing) must not
        // stop pytest from running, and grading, every other test.
        "--continue-on-collection-errors".into(),
        format!("--junitxml={}", junit.display()),
    ];
    let timeout = Duration::from_secs(task.timeouts.tests);
    let out = commands.run(&scratch.join("tests"), &argv, timeout)?;
    let parse_started = std::time::Instant::now();
    let statuses = match std::fs::read_to_string(&junit) {
        Ok(xml) => parse::parse_pytest_junit(&xml).map_err(|detail| ScoreError::Runner {
            language: task.language,
            detail,
        })?,
        Err(_) if out.stdout.contains("No module named pytest") => {
            return Err(ScoreError::Runner {
                language: task.language,
                detail: "pytest is not installed for python3 (pip install pytest)".into(),
            })
        }
        // No report at all (killed, crashed at start-up): every test is missing.
        Err(_) => parse::StatusMap::new(),
    };
    Ok(SuiteRun {
        statuses,
        build_failed: false,
        timed_out: out.timed_out,
        detail: out.describe(),
        duration_ms: out.duration_ms,
        build_ms: None,
        parse_ms: parse_started.elapsed().as_millis() as u64,
        log: format_log(&argv, &out),
    })
}

/// `cargo test` in two phases. The build: `cargo test --no-run`, which builds what the run
/// needs (test targets, examples); if a test target does not compile (cargo stops at the
/// first, even with --no-fail-fast), `cargo build --tests --keep-going` builds every one that
/// does and its JSON messages name them, because a hidden test file that does not compile (the
/// model's interface is wrong) must fail its own tests, not hide every other target's results.
/// The run: `cargo test --no-fail-fast`, of everything (doctests too) if all compiled, else of
/// the targets that did; it finds everything built. Whatever the run changed in the build
/// cache taints it (see [`BuildSlot`]).
fn run_cargo_tests(commands: &AttemptCommands<'_>, scratch: &Path) -> Result<SuiteRun, ScoreError> {
    let AttemptCommands {
        task, repo, slot, ..
    } = *commands;
    let limit = Duration::from_secs(task.timeouts.tests);
    let started = std::time::Instant::now();
    let mut log = String::new();
    if let Some(why) = crate::toolchain::tree_steers_the_build(repo) {
        slot.taint(why, &mut log);
    }
    // What `cargo test` builds (examples and all), so that the run finds everything fresh.
    let argv: Vec<String> = [
        "cargo",
        "test",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]
    .map(String::from)
    .to_vec();
    let (built, mut build) =
        commands.build(&scratch.join("tests-build"), &argv, limit, &mut log)?;
    let mut suite = SuiteRun {
        statuses: parse::StatusMap::new(),
        build_failed: true,
        timed_out: built.timed_out,
        detail: built.describe(),
        duration_ms: built.duration_ms,
        build_ms: parse::cargo_build_ms(&built.stdout),
        parse_ms: 0,
        log: String::new(),
    };
    let mut said = built.stdout.clone();
    if build.finished && !build.success && !built.timed_out {
        // cargo stopped at the first target that did not compile: build every one that does.
        log.push_str("# a test target did not compile: building every target that does\n");
        let argv: Vec<String> = [
            "cargo",
            "build",
            "--tests",
            "--keep-going",
            "--message-format=json-render-diagnostics",
        ]
        .map(String::from)
        .to_vec();
        let remaining = limit.saturating_sub(started.elapsed());
        let (again, each) = commands.build(
            &scratch.join("tests-build-each"),
            &argv,
            remaining,
            &mut log,
        )?;
        said.push_str(&again.stdout);
        build = each;
        suite.timed_out = again.timed_out;
        suite.detail = again.describe();
        suite.duration_ms += again.duration_ms;
        suite.build_ms = suite.build_ms.or(parse::cargo_build_ms(&again.stdout));
    }
    let since = crate::toolchain::clock_mark(scratch);
    if !build.finished {
        let runner = |detail: &str| ScoreError::Runner {
            language: task.language,
            detail: detail.into(),
        };
        if said.contains("unexpected argument '--keep-going'") {
            return Err(runner("cargo is too old: grading needs `cargo build --keep-going` (cargo 1.74 or newer); update the toolchain (rustup update)"));
        }
        if said.contains("unexpected argument '--message-format") {
            return Err(runner("cargo is too old: grading needs JSON build messages (cargo 1.74 or newer); update the toolchain (rustup update)"));
        }
        let offline_failure = [
            "failed to get `",
            "failed to load source for dependency",
            "--offline was specified",
            "no matching package named",
        ]
        .iter()
        .any(|needle| said.contains(needle));
        if offline_failure {
            return Err(runner("cargo could not resolve the fixture's dependencies offline; they are fetched when the base is materialized (check network access to crates.io and CARGO_HOME)"));
        }
        // A manifest the attempt broke, a build killed by a limit: no test ran.
        if !suite.timed_out {
            log.push_str("# cargo did not finish the build; no test ran\n");
        }
        suite.log = log;
        return Ok(suite);
    }
    let mut argv: Vec<String> = vec!["cargo".into(), "test".into(), "--no-fail-fast".into()];
    if !build.success {
        if build.targets.is_empty() {
            log.push_str("# no test target compiled; no test ran\n");
            suite.log = log;
            return Ok(suite);
        }
        argv.extend(build.targets.into_iter().flatten());
    }
    let remaining = limit.saturating_sub(started.elapsed());
    if remaining.is_zero() {
        log.push_str("# time limit reached during the build; no test ran\n");
        suite.log = log;
        return Ok(suite);
    }
    let out = commands.run(&scratch.join("tests"), &argv, remaining)?;
    log.push_str(&format_log(&argv, &out));
    slot.check_untouched_since(since, &mut log);
    let parse_started = std::time::Instant::now();
    let report = parse::parse_libtest(&out.stdout);
    suite.parse_ms = parse_started.elapsed().as_millis() as u64;
    suite.build_failed = report.binaries_run == 0 && !(build.success && out.success());
    suite.statuses = report.statuses;
    suite.timed_out = out.timed_out;
    suite.detail = out.describe();
    suite.duration_ms += out.duration_ms;
    suite.log = log;
    Ok(suite)
}

/// Runs one seeded bug's detector (its files already in place). A Rust detector that is a
/// `cargo test` command runs in two phases like the tests (`--no-run` first), and whatever
/// its run changed in the build cache taints it; any other command on a build cache taints it
/// if it changed anything there at all.
pub fn run_detector(
    task: &Task,
    bug: &SeededBug,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
) -> Result<(DetectorResult, String), ScoreError> {
    let commands = AttemptCommands {
        task,
        repo,
        toolchain,
        slot,
    };
    let limit = Duration::from_secs(bug.detector.timeout.min(task.timeouts.detector));
    let scratch = scratch.join(format!("detector-{}", bug.id.0.replace('/', "__")));
    let started = std::time::Instant::now();
    let argv = &bug.detector.command;
    let mut log = String::new();
    let mut duration_ms = 0;
    let mut build_ms = None;
    // When the last build ended (for a command that is not `cargo test`: when it started).
    let mut since = std::time::SystemTime::now();
    if slot.target_dir.is_some() {
        since = crate::toolchain::clock_mark(&scratch);
    }
    let cargo_test = task.language == Language::Rust
        && argv.len() >= 2
        && argv[0] == "cargo"
        && argv[1] == "test";
    if task.language == Language::Rust {
        if let Some(why) = crate::toolchain::tree_steers_the_build(repo) {
            slot.taint(why, &mut log);
        }
    }
    if cargo_test {
        // The build flags go before a `--` that passes the rest to the test binaries.
        let at = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
        let mut build_argv = argv[..at].to_vec();
        build_argv.extend([
            "--no-run".into(),
            "--message-format=json-render-diagnostics".into(),
        ]);
        let (built, build) =
            commands.build(&scratch.join("build"), &build_argv, limit, &mut log)?;
        since = crate::toolchain::clock_mark(&scratch);
        duration_ms += built.duration_ms;
        build_ms = parse::cargo_build_ms(&built.stdout);
        if !build.success {
            // The detector does not build (the attempt broke what it uses): it failed, and
            // a second build would only fail again (and write into the cache while "running").
            let status = if built.timed_out {
                DetectorStatus::TimedOut
            } else {
                DetectorStatus::Failed
            };
            return Ok((
                DetectorResult {
                    bug: bug.id.clone(),
                    status,
                    detail: built.describe(),
                    duration_ms,
                    build_ms,
                },
                log,
            ));
        }
    }
    let remaining = limit.saturating_sub(started.elapsed());
    let out = commands.run(&scratch, argv, remaining)?;
    duration_ms += out.duration_ms;
    log.push_str(&format_log(argv, &out));
    slot.check_untouched_since(since, &mut log);
    let status = if out.timed_out || remaining.is_zero() {
        DetectorStatus::TimedOut
    } else if out.success() {
        DetectorStatus::Passed
    } else {
        DetectorStatus::Failed
    };
    Ok((
        DetectorResult {
            bug: bug.id.clone(),
            status,
            detail: out.describe(),
            duration_ms,
            build_ms: build_ms.or_else(|| build_ms_of(task, &out)),
        },
        log,
    ))
}

/// The build time cargo printed in a command's output (Rust fixtures; Python has no build).
fn build_ms_of(task: &Task, out: &CommandOutput) -> Option<u64> {
    match task.language {
        Language::Rust => parse::cargo_build_ms(&out.stdout),
        Language::Python => None,
    }
}

/// Scores an applied attempt: architectural rules on the tree as the edit left it, then the
/// hidden tests, then each detector.
pub fn score_attempt(
    task: &Task,
    bugs: &[&SeededBug],
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    applied: &crate::patch::Applied,
) -> Result<Scored, ScoreError> {
    // Before the hidden tests are copied in: the rules judge the model's tree.
    let rules_started = std::time::Instant::now();
    let rules = rules::check_rules(&task.arch_rules, repo, Some(&toolchain.cache.pack_facts()))
        .map_err(ScoreError::Rules)?;
    let rules_ms = rules_started.elapsed().as_millis() as u64;
    let hygiene = hygiene_flags(applied);
    let setup_started = std::time::Instant::now();
    overlay_files(&task.hidden_dir(), repo).map_err(|source| ScoreError::Overlay {
        what: "hidden tests".into(),
        source,
    })?;
    // From here on the commands run in the slot's tree (a copy at a fixed place for Rust).
    let slot = toolchain.build_slot(task, repo)?;
    let mut setup_ms = setup_started.elapsed().as_millis() as u64;
    let tree = slot.tree();
    let run = run_suite(task, tree, scratch, toolchain, &slot)?;
    let (tests, test_log, grade_ms) = grade_suite(task, run);
    let mut detector_logs = Vec::new();
    let mut detectors = Vec::new();
    for bug in bugs {
        let overlay_started = std::time::Instant::now();
        overlay_files(&bug.detector_dir(), tree).map_err(|source| ScoreError::Overlay {
            what: format!("the detector of {}", bug.id),
            source,
        })?;
        setup_ms += overlay_started.elapsed().as_millis() as u64;
        let (result, log) = run_detector(task, bug, tree, scratch, toolchain, &slot)?;
        detector_logs.push((bug.id.clone(), log));
        detectors.push(result);
    }
    let mut verdict = Verdict {
        tests,
        detectors,
        rules,
        hygiene,
        resolved: false,
    };
    verdict.resolved = verdict.tests.grade == TestGrade::Full
        && verdict.races_fixed()
        && verdict.rules_hold()
        && verdict.hygiene.is_empty();
    Ok(Scored {
        verdict,
        rules_ms,
        setup_ms,
        grade_ms,
        tests_log: test_log,
        detector_logs,
    })
}

#[cfg(test)]
mod tests;
