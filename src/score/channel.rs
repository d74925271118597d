//! A one-command suite (pytest) run with the harness's own results channel: the plan in, run
//! in the sandbox with the harness's configuration, the graded test files and a canary file;
//! the statuses out, with the [`TamperEvidence`] of every disagreement ([`run_with_channel`]).
//!
//! Three sources must agree: the records the harness's plugin wrote (its channel), the JUnit
//! report, and the process's exit status; and the canaries (a test file with random names
//! added to the graded copy, one test that must pass, one that must fail) must come back
//! right. The must-fail canary means an untampered run always exits 1. When anything
//! disagrees the run's results are not trusted: every test counts as failed.

use std::path::Path;
use std::time::{Duration, Instant};

use super::canary::{check_canaries, CanaryNames};
use super::suite::{format_log, AttemptCommands, SuiteRun};
use super::{CanarySite, ScoreError, TamperEvidence};
use crate::catalog::TestId;
use crate::lang::{OneCommand, StatusMap, TestStatus};

/// pytest's exit status when tests failed (the must-fail canary always does).
const TESTS_FAILED: i32 = 1;
/// pytest's exit status for a command-line usage error: the harness's command is wrong.
const USAGE_ERROR: i32 = 4;

/// The graded test files (the files the task's ids name) present in `tree`, in id order.
fn graded_files(commands: &AttemptCommands<'_>) -> Vec<String> {
    let task = commands.task;
    let mut files: Vec<String> = Vec::new();
    for id in task.fail_to_pass.iter().chain(&task.pass_to_pass) {
        if let Some((file, _)) = id.0.split_once("::") {
            if !files.iter().any(|f| f == file) && commands.repo.join(file).is_file() {
                files.push(file.to_string());
            }
        }
    }
    files
}

/// Runs the suite (see the module doc).
pub(super) fn run_with_channel(
    commands: &AttemptCommands<'_>,
    scratch: &Path,
    plan: &OneCommand,
) -> Result<SuiteRun, ScoreError> {
    let task = commands.task;
    let tree = commands.repo;
    let channel = &plan.channel;
    let runner = |detail: String| ScoreError::Runner {
        language: task.language,
        detail,
    };
    std::fs::create_dir_all(scratch)
        .map_err(|e| runner(format!("creating {}: {e}", scratch.display())))?;
    crate::fsutil::write_atomic(&channel.config, (channel.make_config)(tree).as_bytes())
        .map_err(|e| runner(format!("writing {}: {e}", channel.config.display())))?;
    let files = graded_files(commands);
    let names = CanaryNames::random();
    let (file_name, text) = (channel.canary_file)(&names.module, &names.pass, &names.fail);
    let folder = files
        .first()
        .and_then(|f| Path::new(f).parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let canary_rel = folder.join(&file_name);
    let canary_path = tree.join(&canary_rel);
    crate::fsutil::write_atomic(&canary_path, text.as_bytes())
        .map_err(|e| runner(format!("writing the canary {}: {e}", canary_path.display())))?;
    let mut argv = plan.argv.clone();
    argv.extend(files.iter().cloned());
    argv.push(canary_rel.display().to_string());
    let timeout = Duration::from_secs(task.timeouts.tests);
    let out = commands.run(scratch, &argv, timeout);
    // The canary never stays in the tree, whatever happened.
    let _ = std::fs::remove_file(&canary_path);
    let out = out?;
    let parse_started = Instant::now();
    let log = format_log(&argv, &out);
    let mut suite = SuiteRun {
        statuses: StatusMap::new(),
        build_failed: false,
        timed_out: out.timed_out(),
        detail: out.describe(),
        duration_ms: out.duration_ms,
        build_ms: None,
        parse_ms: 0,
        log,
        evidence: Vec::new(),
    };
    let report = std::fs::read_to_string(&plan.report).ok();
    let records = std::fs::read_to_string(&channel.path)
        .map(|t| (channel.parse)(&t))
        .unwrap_or_default();
    let Some(code) = out.exit_code() else {
        // Killed (the time limit, a signal): the run did not finish and nothing is trusted.
        suite
            .log
            .push_str("# pytest did not finish: every test counts as failed\n");
        return Ok(suite);
    };
    if report.is_none() && records.session_exit.is_none() {
        if let Some(problem) = (plan.runner_problem)(&out.stdout) {
            return Err(runner(problem.to_string()));
        }
    }
    if code == USAGE_ERROR && records.session_exit.is_none() {
        return Err(runner(format!(
            "pytest refused the harness's command line: {}",
            out.stdout
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .join(" | ")
        )));
    }
    let canary_id = |name: &str| TestId(format!("{}::{name}", canary_rel.display()));
    let evidence = cross_check(
        code,
        &records,
        report.as_deref().map(plan.parse_report),
        (
            records.statuses.get(&canary_id(&names.pass)).copied(),
            records.statuses.get(&canary_id(&names.fail)).copied(),
        ),
    );
    if evidence.is_empty() {
        suite.statuses = records
            .statuses
            .into_iter()
            .filter(|(id, _)| !names.owns(&id.0))
            .collect();
        // The exit status the graded tests alone would have had (the canary's failure is
        // the harness's own).
        if suite.statuses.values().all(|s| s.is_pass()) {
            suite.detail = crate::sandbox::Exit::Code(0).to_string();
        }
    } else {
        suite
            .log
            .push_str("# the results disagree or a canary lied: every test counts as failed\n");
        for e in &evidence {
            suite.log.push_str(&format!("# {e}\n"));
        }
    }
    suite.evidence = evidence;
    suite.parse_ms = parse_started.elapsed().as_millis() as u64;
    Ok(suite)
}

/// What disagrees among the exit status `code`, the channel `records`, the JUnit report
/// (`None`: none was written) and the canaries' statuses `(pass, fail)` in the channel.
fn cross_check(
    code: i32,
    records: &crate::lang::ChannelReport,
    junit: Option<Result<StatusMap, crate::lang::ReportError>>,
    (pass, fail): (Option<TestStatus>, Option<TestStatus>),
) -> Vec<TamperEvidence> {
    let disagree = |detail: String| TamperEvidence::ResultsDisagree {
        source: "pytest".into(),
        detail,
    };
    let mut evidence = Vec::new();
    let Some(session) = records.session_exit else {
        evidence.push(disagree(format!(
            "the process exited ({code}) before the session ended: the harness's channel has no end-of-session record"
        )));
        return evidence;
    };
    if session != code {
        evidence.push(disagree(format!(
            "the session ended with status {session} but the process exited {code}"
        )));
    } else if code != TESTS_FAILED {
        evidence.push(disagree(format!(
            "exit {code}, though the must-fail canary makes a run exit {TESTS_FAILED}"
        )));
    }
    if records.lines_after_finish > 0 {
        evidence.push(disagree(format!(
            "{} results were written to the harness's channel after the session ended",
            records.lines_after_finish
        )));
    }
    match junit {
        None => evidence.push(disagree(
            "the session ended but wrote no JUnit report".into(),
        )),
        Some(Err(e)) => evidence.push(disagree(format!("the JUnit report does not read: {e}"))),
        Some(Ok(junit)) => {
            let mut differ: Vec<String> = Vec::new();
            for (id, status) in &records.statuses {
                match junit.get(id) {
                    Some(j) if j.is_pass() == status.is_pass() => {}
                    Some(j) => differ.push(format!("{} is {status} here, {j} in JUnit", id.0)),
                    None => differ.push(format!("{} is missing from JUnit", id.0)),
                }
            }
            // A pass only the report knows of (collection errors appear there alone).
            for (id, status) in &junit {
                if status.is_pass() && !records.statuses.contains_key(id) {
                    differ.push(format!("{} passed in JUnit only", id.0));
                }
            }
            if !differ.is_empty() {
                let more = differ.len().saturating_sub(3);
                differ.truncate(3);
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                evidence.push(disagree(format!(
                    "the harness's channel and the JUnit report differ: {}{tail}",
                    differ.join("; ")
                )));
            }
        }
    }
    let site = CanarySite::Tests {
        runner: "pytest".into(),
    };
    evidence.extend(check_canaries(&site, pass, fail));
    evidence
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ChannelReport;

    fn map(pairs: &[(&str, TestStatus)]) -> StatusMap {
        pairs
            .iter()
            .map(|(k, v)| (TestId(k.to_string()), *v))
            .collect()
    }

    #[test]
    fn channel_report_exit_status_and_canaries_must_agree() {
        use TestStatus::*;
        let statuses = map(&[("t.py::a", Passed), ("t.py::b", Failed)]);
        let records = ChannelReport {
            statuses: statuses.clone(),
            session_exit: Some(1),
            ..Default::default()
        };
        let canaries = (Some(Passed), Some(Failed));
        assert!(cross_check(1, &records, Some(Ok(statuses.clone())), canaries).is_empty());
        // The JUnit file rewritten at exit: b passes there.
        let rewritten = map(&[("t.py::a", Passed), ("t.py::b", Passed)]);
        let e = cross_check(1, &records, Some(Ok(rewritten)), canaries);
        assert!(
            e[0].to_string()
                .contains("t.py::b is failed here, passed in JUnit"),
            "{e:?}"
        );
        // os._exit(0) after the session.
        let e = cross_check(0, &records, Some(Ok(statuses.clone())), canaries);
        assert!(e[0].to_string().contains("process exited 0"), "{e:?}");
        // os._exit(0) before it ended.
        let unfinished = ChannelReport {
            session_exit: None,
            ..records.clone()
        };
        assert_eq!(cross_check(0, &unfinished, None, canaries).len(), 1);
        // The must-fail canary passed (a hook turned failures into passes).
        let e = cross_check(
            1,
            &records,
            Some(Ok(statuses)),
            (Some(Passed), Some(Passed)),
        );
        assert!(
            matches!(e[..], [TamperEvidence::CanaryLied { .. }]),
            "{e:?}"
        );
    }
}
