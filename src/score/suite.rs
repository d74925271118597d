//! Running a task's test suite: the language's [`SuitePlan`] (from `lang`) in, executed in
//! the sandbox in the attempt's build slot; out, what the runner reported (statuses, how the
//! suite ended, timings, the log), graded into a [`TestsVerdict`] ([`run_tests`]).
//!
//! A one-command suite (pytest) runs once, read from the harness's own channel and
//! cross-checked with its report file (`score/channel.rs`). A compiled suite (cargo) runs in
//! two phases, build then each test executable on its own (`score/binaries.rs`), so that whatever the attempt's code writes into
//! the shared build cache is caught and the cache discarded (see [`BuildSlot`]); when a test
//! target does not compile, every target that does is built and run, so the broken one fails
//! only its own tests.

use std::path::Path;
use std::time::{Duration, Instant};

use super::binaries::{graded_targets, inject_canaries, run_executables};
use super::canary::CanaryNames;
use super::{grade, ScoreError, SuiteEnd, TamperEvidence, TestsVerdict};
use crate::catalog::Task;
use crate::lang::{BuildReport, BuildStep, CompiledSuite, StatusMap, SuitePlan};
use crate::sandbox::{run_command, CommandOutput, CommandSpec, SandboxError};
use crate::toolchain::{BuildSlot, Toolchain};

/// Output kept per command, per stream.
const OUTPUT_CAP: usize = 256 * 1024;

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

/// What every command of one attempt shares: the task, the tree it runs in, the toolchain
/// and the build slot.
pub(super) struct AttemptCommands<'a> {
    pub(super) task: &'a Task,
    pub(super) repo: &'a Path,
    pub(super) toolchain: &'a Toolchain,
    pub(super) slot: &'a BuildSlot,
    /// Paths of `repo` (relative) graded code may read but not change: the grader's files.
    pub(super) read_only: &'a [std::path::PathBuf],
}

impl AttemptCommands<'_> {
    /// Runs `argv` sandboxed in the attempt's tree, with `scratch` as its own scratch dir.
    pub(super) fn run(
        &self,
        scratch: &Path,
        argv: &[String],
        timeout: Duration,
    ) -> Result<CommandOutput, SandboxError> {
        self.run_env(scratch, argv, timeout, &[])
    }

    /// [`AttemptCommands::run`] with `extra` environment entries.
    pub(super) fn run_env(
        &self,
        scratch: &Path,
        argv: &[String],
        timeout: Duration,
        extra: &[(String, String)],
    ) -> Result<CommandOutput, SandboxError> {
        self.run_with(
            scratch,
            argv,
            timeout,
            true,
            extra,
            self.slot.writable(),
            None,
        )
    }

    /// Runs an executable the build made (a test binary): stdout and stderr kept apart, for a
    /// runner read from its own stdout alone; of the build cache only its `tmp/` writable
    /// ([`BuildSlot::run_writable`]) and only the executables this build made (`programs`)
    /// readable: what earlier attempts compiled into the slot (gold's code included) is not.
    pub(super) fn run_built(
        &self,
        scratch: &Path,
        argv: &[String],
        timeout: Duration,
        programs: &[std::path::PathBuf],
    ) -> Result<CommandOutput, SandboxError> {
        let readable = self
            .toolchain
            .run_read_scope(self.task, self.slot, programs);
        self.run_with(
            scratch,
            argv,
            timeout,
            false,
            &[],
            self.slot.run_writable(),
            Some(readable),
        )
    }

    /// Before the executables a build made run ([`AttemptCommands::run_built`]): the moment
    /// their writes to the build cache are looked for after, when they have to be. Under the
    /// full sandbox they cannot write there (Landlock gives them only its `tmp/`): `None`.
    pub(super) fn run_mark(&self, scratch: &Path) -> Option<std::time::SystemTime> {
        (self.slot.target_dir.is_some()
            && self.toolchain.sandbox != crate::sandbox::SandboxMode::Full)
            .then(|| crate::toolchain::clock_mark(scratch))
    }

    /// After the executables ran: taints the slot if anything in its build cache changed
    /// since the [`AttemptCommands::run_mark`] (when there is one to check).
    pub(super) fn check_run_left_cache_alone(
        &self,
        since: Option<std::time::SystemTime>,
        log: &mut String,
    ) {
        if let Some(since) = since {
            self.slot.check_untouched_since(since, log);
        }
    }

    /// Runs `argv` in the attempt's tree with the toolchain's command spec: its output merged
    /// or not, `extra` environment, `writable` paths, and the read scope replaced when
    /// `readable` is given.
    #[allow(clippy::too_many_arguments)]
    fn run_with(
        &self,
        scratch: &Path,
        argv: &[String],
        timeout: Duration,
        merge_output: bool,
        extra: &[(String, String)],
        writable: Vec<std::path::PathBuf>,
        readable: Option<crate::sandbox::ReadScope>,
    ) -> Result<CommandOutput, SandboxError> {
        let mut env = self.toolchain.env(self.task, self.slot);
        env.extend_from_slice(extra);
        let base = self.toolchain.attempt_command(
            self.task,
            self.slot,
            self.repo,
            scratch,
            argv.to_vec(),
            timeout,
        );
        let mut spec = CommandSpec {
            output_cap: OUTPUT_CAP,
            merge_output,
            env,
            writable,
            read_only: self.read_only.to_vec(),
            ..base
        };
        if let Some(readable) = readable {
            spec.readable = readable;
        }
        run_command(&spec)
    }

    /// Runs a build step: logs its output without the tool's machine-readable messages, and
    /// taints the slot if the build ran the tree's own code. The messages are read from the
    /// tool's stdout alone: the compiler's rendered diagnostics go to stderr, and they quote
    /// the attempt's code (a `compile_error!` text), which must not pass for a message naming
    /// an executable.
    pub(super) fn build(
        &self,
        scratch: &Path,
        step: &BuildStep,
        timeout: Duration,
        log: &mut String,
    ) -> Result<(CommandOutput, BuildReport), SandboxError> {
        let out = self.run_with(
            scratch,
            &step.argv,
            timeout,
            false,
            &[],
            self.slot.writable(),
            None,
        )?;
        let build = (step.parse)(&out.stdout);
        let human = CommandOutput {
            stdout: build.human.clone(),
            ..out.clone()
        };
        log.push_str(&format_log(&step.argv, &human));
        if let Some(why) = &build.ran_local_code {
            self.slot
                .taint(format!("the build ran the tree's own code: {why}"), log);
        }
        Ok((out, build))
    }
}

/// What a suite's commands found, before grading.
pub(super) struct SuiteRun {
    pub(super) statuses: StatusMap,
    /// Whether a test binary ran (a build that failed ran none).
    pub(super) build_failed: bool,
    pub(super) timed_out: bool,
    /// How the last command ended.
    pub(super) detail: String,
    /// The commands' wall time, all phases.
    pub(super) duration_ms: u64,
    pub(super) build_ms: Option<u64>,
    /// Time spent parsing the runner's report.
    pub(super) parse_ms: u64,
    pub(super) log: String,
    /// What the canaries and cross-checks found.
    pub(super) evidence: Vec<TamperEvidence>,
}

/// Runs the task's test suite (hidden tests already in place) and grades it.
pub fn run_tests(
    task: &Task,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
) -> Result<(TestsVerdict, String), ScoreError> {
    // Integrity is the attempt's business (score_attempt); a suite run alone keeps none.
    let run = run_suite(task, repo, scratch, toolchain, slot, &[])?;
    let (verdict, log, _) = grade_suite(task, run);
    Ok((verdict, log))
}

/// Runs the task's test commands (see [`run_tests`]), without grading; what shows the run was
/// tampered with goes to `_evidence`. `read_only` (relative to `repo`) stays as it is while
/// they run (under the full sandbox).
pub(super) fn run_suite(
    task: &Task,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
    read_only: &[std::path::PathBuf],
) -> Result<SuiteRun, ScoreError> {
    let commands = AttemptCommands {
        task,
        repo,
        toolchain,
        slot,
        read_only,
    };
    let run_scratch = scratch.join("tests");
    match crate::lang::support(task.language).test_suite(&run_scratch) {
        SuitePlan::OneCommand(plan) => {
            super::channel::run_with_channel(&commands, &run_scratch, &plan)
        }
        SuitePlan::Compiled(plan) => run_compiled(&commands, scratch, &plan),
    }
}

/// Grades what the test commands found; also returns the time parsing the runner's report and
/// grading took.
pub(super) fn grade_suite(task: &Task, run: SuiteRun) -> (TestsVerdict, String, u64) {
    let started = Instant::now();
    let graded = grade(task, &run.statuses);
    let grade_ms = run.parse_ms + started.elapsed().as_millis() as u64;
    (
        TestsVerdict {
            grade: graded.grade,
            tests: graded.tests,
            f2p: graded.f2p,
            p2p: graded.p2p,
            end: SuiteEnd::from_flags(run.build_failed, run.timed_out),
            detail: run.detail,
            duration_ms: run.duration_ms,
            build_ms: run.build_ms,
        },
        run.log,
        grade_ms,
    )
}

fn runner_error(task: &Task, detail: impl Into<String>) -> ScoreError {
    ScoreError::Runner {
        language: task.language,
        detail: detail.into(),
    }
}

/// A build, then a run (see the module doc). Whatever the run changed in the build cache
/// taints it (see [`BuildSlot`]).
fn run_compiled(
    commands: &AttemptCommands<'_>,
    scratch: &Path,
    plan: &CompiledSuite,
) -> Result<SuiteRun, ScoreError> {
    let AttemptCommands {
        task, repo, slot, ..
    } = *commands;
    let limit = Duration::from_secs(task.timeouts.tests);
    let started = Instant::now();
    let mut log = String::new();
    if let Some(why) = crate::toolchain::tree_steers_the_build(repo) {
        slot.taint(why, &mut log);
    }
    // The canaries go into the slot's copy for the build only (see `binaries`).
    let names = CanaryNames::random();
    let injected = inject_canaries(repo, &graded_targets(task), &names, plan.canary_module)
        .map_err(|e| runner_error(task, format!("adding the harness canaries: {e}")))?;
    let (built, mut build) =
        commands.build(&scratch.join("tests-build"), &plan.build, limit, &mut log)?;
    let mut suite = SuiteRun {
        statuses: StatusMap::new(),
        build_failed: true,
        timed_out: built.timed_out(),
        detail: built.describe(),
        duration_ms: built.duration_ms,
        build_ms: (plan.build_ms)(&built.stdout),
        parse_ms: 0,
        log: String::new(),
        evidence: Vec::new(),
    };
    let mut said = built.stdout.clone();
    if build.finished && !build.success && !built.timed_out() {
        // The build stopped at the first target that did not compile: build every one that
        // does.
        log.push_str("# a test target did not compile: building every target that does\n");
        let remaining = limit.saturating_sub(started.elapsed());
        let (again, each) = commands.build(
            &scratch.join("tests-build-each"),
            &plan.build_each,
            remaining,
            &mut log,
        )?;
        said.push_str(&again.stdout);
        build = each;
        suite.timed_out = again.timed_out();
        suite.detail = again.describe();
        suite.duration_ms += again.duration_ms;
        suite.build_ms = suite.build_ms.or((plan.build_ms)(&again.stdout));
    }
    injected
        .restore()
        .map_err(|e| runner_error(task, format!("removing the harness canaries: {e}")))?;
    let since = commands.run_mark(scratch);
    if !build.finished {
        if let Some(problem) = (plan.runner_problem)(&said) {
            return Err(runner_error(task, problem));
        }
        // A manifest the attempt broke, a build killed by a limit: no test ran.
        if !suite.timed_out {
            log.push_str("# cargo did not finish the build; no test ran\n");
        }
        suite.log = log;
        return Ok(suite);
    }
    if !build.success && build.executables.is_empty() {
        log.push_str("# no test target compiled; no test ran\n");
        suite.log = log;
        return Ok(suite);
    }
    if started.elapsed() >= limit {
        log.push_str("# time limit reached during the build; no test ran\n");
        suite.log = log;
        return Ok(suite);
    }
    let run = run_executables(
        commands,
        &scratch.join("tests"),
        plan,
        &build,
        &names,
        started + limit,
        &mut log,
    )?;
    commands.check_run_left_cache_alone(since, &mut log);
    suite.build_failed = run.ran == 0 && !build.success;
    suite.statuses = run.statuses;
    suite.evidence = run.evidence;
    suite.timed_out = run.timed_out;
    if let Some(detail) = run.detail {
        suite.detail = detail;
    }
    suite.duration_ms += run.duration_ms;
    suite.log = log;
    Ok(suite)
}

#[cfg(test)]
mod tests;
