//! How a language's test suite is run, as data: the commands, in order, and the parsers of
//! what they print or write. In: the language and the scratch folder of the run. Out: a
//! [`SuitePlan`], which the score stage executes in the sandbox and grades.
//!
//! Two shapes cover the languages so far: one command that writes a report file (pytest with
//! JUnit XML), and a build followed by a run (cargo, where a build of its own keeps what the
//! tested code writes apart from what the toolchain writes, and a target that does not compile
//! must fail only its own tests).

use std::path::PathBuf;

use super::StatusMap;

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
}

/// A suite built first, then run.
#[derive(Debug, Clone)]
pub struct CompiledSuite {
    /// Builds everything the run needs.
    pub build: BuildStep,
    /// When a target did not compile (and the build stopped there): builds every target that
    /// does, naming them, so the run can take those.
    pub build_each: BuildStep,
    /// The run; when not everything built, each built target's arguments are appended.
    pub run: Vec<String>,
    /// Reads the run's merged output.
    pub parse_run: fn(&str) -> RunReport,
    /// Why the build tool itself could not work, told from the output of a build that did not
    /// finish (too old, dependencies unreachable); `None` means the tree broke the build.
    pub runner_problem: fn(&str) -> Option<&'static str>,
    /// The build time the tool printed, if any.
    pub build_ms: fn(&str) -> Option<u64>,
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
    /// The output without the tool's machine-readable messages: what a person reads.
    pub human: String,
}

/// What a run of built tests reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Statuses by test id.
    pub statuses: StatusMap,
    /// How many test binaries ran.
    pub binaries_run: usize,
    /// Whether the output shows a compile error.
    pub compile_error: bool,
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
