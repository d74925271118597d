//! How a language's test suite is run, as data: the commands, in order, and the parsers of
//! what they print or write. In: the language and the scratch folder of the run. Out: a
//! [`SuitePlan`], which the score stage executes in the sandbox and grades.
//!
//! Two shapes cover the languages so far: one command that writes a report file (pytest with
//! JUnit XML), and a build followed by a run (cargo, where a build of its own keeps what the
//! tested code writes apart from what the toolchain writes, and a target that does not compile
//! must fail only its own tests).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{StatusMap, TestStatus};

/// The commands of a test suite and how to read them.
#[derive(Debug, Clone)]
pub enum SuitePlan {
    /// One command, whose statuses come from a report file it writes.
    OneCommand(OneCommand),
    /// A build, then a run of what was built.
    Compiled(CompiledSuite),
}

/// A suite run as one command writing a report.
#[derive(Debug, Clone)]
pub struct OneCommand {
    /// The command.
    pub argv: Vec<String>,
    /// The report file it writes (inside its scratch folder).
    pub report: PathBuf,
    /// Reads the report.
    pub parse_report: fn(&str) -> Result<StatusMap, ReportError>,
    /// Why the runner itself could not run, told from its output, when it wrote no report
    /// (`None`: every test is then missing, e.g. it was killed).
    pub runner_problem: fn(&str) -> Option<&'static str>,
    /// The harness's own results channel, cross-checked with the report.
    pub channel: ResultsChannel,
}

/// What the harness owns in a one-command run: the configuration the runner is given instead
/// of the tree's, the results its own plugin writes, the canary test file. The graded test
/// files and the canary file are appended to the command.
#[derive(Debug, Clone)]
pub struct ResultsChannel {
    /// The file the harness's plugin writes (inside the scratch folder).
    pub path: PathBuf,
    /// Reads it.
    pub parse: fn(&str) -> ChannelReport,
    /// The harness configuration file the command names (inside the scratch folder).
    pub config: PathBuf,
    /// Makes it from the tree's own configuration (read from the tree at the given path):
    /// the text out.
    pub make_config: fn(&std::path::Path) -> String,
    /// The canary test file: `(module, pass, fail)` names in, `(file name, text)` out.
    pub canary_file: fn(&str, &str, &str) -> (String, String),
}

/// What the harness's plugin reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelReport {
    /// Statuses by test id.
    pub statuses: StatusMap,
    /// The session's exit status, from its end-of-session record (`None`: it never ended).
    pub session_exit: Option<i32>,
    /// Lines that did not read.
    pub unreadable: usize,
    /// Records written after the end of the session.
    pub lines_after_finish: usize,
}

/// A suite built first, then run.
#[derive(Debug, Clone)]
pub struct CompiledSuite {
    /// Builds everything the run needs.
    pub build: BuildStep,
    /// When a target did not compile (and the build stopped there): builds every target that
    /// does, naming them, so the run can take those.
    pub build_each: BuildStep,
    /// Reads one test executable's stdout, given its exit code (`None`: it did not exit by
    /// itself). Each executable the build made is run on its own, directly.
    pub parse_binary: fn(&str, Option<i32>) -> BinaryOutput,
    /// The harness canary appended to a graded test target before the build: `(module, pass,
    /// fail)` names in, source text out.
    pub canary_module: fn(&str, &str, &str) -> String,
    /// Why the build tool itself could not work, told from the output of a build that did not
    /// finish (too old, dependencies unreachable); `None` means the tree broke the build.
    pub runner_problem: fn(&str) -> Option<&'static str>,
    /// The build time the tool printed, if any.
    pub build_ms: fn(&str) -> Option<u64>,
}

/// A detector run as a compiled test target: a build, then each test executable the build
/// made run directly (one process each, read from its own stdout, like a compiled suite), with
/// harness canaries in the target: what the executable prints cannot pass for the detector's
/// result, and a canary that comes back wrong says it tried.
#[derive(Debug, Clone)]
pub struct CompiledDetector {
    /// Builds the detector's test target(s).
    pub build: BuildStep,
    /// The arguments each test executable runs with, from the command's own (`args`) and the
    /// canaries' `(module, pass, fail)` names (added as filters when the command filters).
    pub run_args: fn(&[String], &str, &str, &str) -> Vec<String>,
    /// What the command passes the test executables, as the command wrote it.
    pub args: Vec<String>,
    /// For each test target the command builds, the files (relative to the tree) that may be
    /// its source, first match taken: where the canaries go before the build.
    pub targets: Vec<Vec<String>>,
    /// Reads one test executable's stdout, given its exit code.
    pub parse_binary: fn(&str, Option<i32>) -> BinaryOutput,
    /// The canary module `(module, pass, fail)` appended to the target; when the command runs
    /// a model checker, its must-fail test is a race that checker must find.
    pub canary_module: fn(&str, &str, &str) -> String,
}

/// One build command and the parser of its merged output.
#[derive(Debug, Clone)]
pub struct BuildStep {
    /// The command.
    pub argv: Vec<String>,
    /// Reads its merged output.
    pub parse: fn(&str) -> BuildReport,
}

/// What a build reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildReport {
    /// Whether the tool said the build finished (a tool that does not know the flags, or one
    /// that was killed, does not).
    pub finished: bool,
    /// Whether it said every target built.
    pub success: bool,
    /// Code of the tree itself that ran during the build (a build script, a proc macro), if
    /// any: what the build cache can then no longer be trusted after.
    pub ran_local_code: Option<String>,
    /// The test targets that built, as arguments of the run command, sorted.
    pub targets: Vec<Vec<String>>,
    /// The test executables the build made, in the order it reported them.
    pub executables: Vec<TestExecutable>,
    /// Every executable the build made (the test executables and the crate's own programs,
    /// which tests may start): of the build cache, all that its test executables may read
    /// when they run.
    pub programs: Vec<PathBuf>,
    /// The output without the tool's machine-readable messages: what a person reads.
    pub human: String,
}

/// A test executable a build made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestExecutable {
    /// The target's source file (its crate root) as the build tool names it (absolute).
    pub source: PathBuf,
    /// The executable.
    pub path: PathBuf,
}

/// What one test executable printed, checked against itself and its exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BinaryOutput {
    /// Statuses by test name as the executable names them (`a::tests::b`).
    pub statuses: BTreeMap<String, TestStatus>,
    /// Whether the test runner's summary was printed: the run finished.
    pub finished: bool,
    /// What contradicts what, one sentence each; empty when the output is consistent.
    pub contradictions: Vec<String>,
}

/// A runner's report that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {format} at byte {offset}: {message}")]
pub struct ReportError {
    /// The report's format (`JUnit XML`).
    pub format: &'static str,
    /// Where reading stopped.
    pub offset: u64,
    /// What was wrong.
    pub message: String,
}
