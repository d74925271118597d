//! A compiled suite's run phase: the test executables the build made in, each run directly in
//! the sandbox as its own process, read from its own stdout; per-test statuses and the
//! [`TamperEvidence`] of any executable whose output contradicts itself or whose canaries came
//! back wrong out ([`run_executables`]).
//!
//! Before the build, each graded target (a file that FAIL_TO_PASS or PASS_TO_PASS ids name:
//! a hidden test file, the crate root for the library's unit tests) gets the harness canary
//! module appended in the slot's copy of the tree ([`inject_canaries`]); after the build the
//! files are put back, so the running tests cannot read the canaries' names from the sources.
//! An executable whose results are not trusted (it contradicts itself, a canary lied, it did
//! not finish) contributes no status: its tests count as failed. Lines printed by one
//! executable never count for another: ids are `TARGET::NAME` with the target the executable
//! was built from.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::canary::{check_canaries, CanaryNames};
use super::suite::{format_log, AttemptCommands};
use super::{CanarySite, TamperEvidence};
use crate::catalog::{Task, TestId};
use crate::lang::{BuildReport, CompiledSuite, StatusMap, TestExecutable};
use crate::sandbox::SandboxError;

/// The targets the task's test ids name (`src/lib.rs`, `tests/flow.rs`), relative to the tree.
pub(super) fn graded_targets(task: &Task) -> BTreeSet<String> {
    task.fail_to_pass
        .iter()
        .chain(&task.pass_to_pass)
        .filter_map(|id| id.0.split_once("::").map(|(target, _)| target.to_string()))
        .collect()
}

/// Files changed by [`inject_canaries`], with what they held before.
#[must_use = "the injected files must be restored after the build"]
pub(super) struct Injected {
    files: Vec<(PathBuf, Vec<u8>)>,
}

impl Injected {
    /// Puts every file back as it was.
    pub(super) fn restore(self) -> std::io::Result<()> {
        for (path, original) in self.files {
            // The slot's copy is the attempt's own: written in place.
            std::fs::write(&path, &original)?;
        }
        Ok(())
    }
}

/// Appends the canary module (`canary_module` of the names) to every target file of
/// `targets` present in `tree`.
pub(super) fn inject_canaries(
    tree: &Path,
    targets: &BTreeSet<String>,
    names: &CanaryNames,
    canary_module: fn(&str, &str, &str) -> String,
) -> std::io::Result<Injected> {
    let mut injected = Injected { files: Vec::new() };
    let module = canary_module(&names.module, &names.pass, &names.fail);
    for target in targets {
        let path = tree.join(target);
        let Ok(original) = std::fs::read(&path) else {
            // Not in the tree (the attempt did not add it): its tests are missing anyway.
            continue;
        };
        let mut text = original.clone();
        text.extend_from_slice(module.as_bytes());
        std::fs::write(&path, &text)?;
        injected.files.push((path, original));
    }
    Ok(injected)
}

/// What the executables reported.
#[derive(Debug, Default)]
pub(super) struct ExecutablesRun {
    pub(super) statuses: StatusMap,
    pub(super) evidence: Vec<TamperEvidence>,
    /// Executables run.
    pub(super) ran: usize,
    pub(super) timed_out: bool,
    /// How the last one ended.
    pub(super) detail: Option<String>,
    pub(super) duration_ms: u64,
}

/// The target an executable was built from, relative to `tree`.
pub(super) fn target_of(tree: &Path, exe: &TestExecutable) -> String {
    let relative = exe.source.strip_prefix(tree).ok().map(Path::to_path_buf);
    let relative = relative.or_else(|| {
        let tree = tree.canonicalize().ok()?;
        let source = exe.source.canonicalize().ok()?;
        source.strip_prefix(tree).ok().map(Path::to_path_buf)
    });
    relative
        .unwrap_or_else(|| exe.source.clone())
        .to_string_lossy()
        .into_owned()
}

/// Runs each executable of a graded target until `deadline`, one process each.
pub(super) fn run_executables(
    commands: &AttemptCommands<'_>,
    scratch: &Path,
    plan: &CompiledSuite,
    build: &BuildReport,
    names: &CanaryNames,
    deadline: Instant,
    log: &mut String,
) -> Result<ExecutablesRun, SandboxError> {
    let targets = graded_targets(commands.task);
    let mut run = ExecutablesRun::default();
    let mut done = BTreeSet::new();
    for (i, exe) in build.executables.iter().enumerate() {
        let target = target_of(commands.repo, exe);
        if !targets.contains(&target) || !done.insert(target.clone()) {
            continue;
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining < Duration::from_millis(100) {
            log.push_str(&format!("# time limit reached before {target} ran\n"));
            run.timed_out = true;
            break;
        }
        let argv = vec![exe.path.display().to_string()];
        let out = commands.run_built(
            &scratch.join(format!("bin-{i}")),
            &argv,
            remaining,
            &build.programs,
        )?;
        log.push_str(&format!("# {target}\n"));
        log.push_str(&format_log(&argv, &out));
        run.ran += 1;
        run.duration_ms += out.duration_ms;
        run.timed_out |= out.timed_out();
        run.detail = Some(out.describe());
        let parsed = (plan.parse_binary)(&out.stdout, out.exit_code());
        let site = CanarySite::Tests {
            runner: target.clone(),
        };
        if !parsed.contradictions.is_empty() {
            let detail = parsed.contradictions.join("; ");
            log.push_str(&format!(
                "# {target} contradicts itself ({detail}): its results are not trusted\n"
            ));
            run.evidence.push(TamperEvidence::ResultsDisagree {
                source: target,
                detail,
            });
            continue;
        }
        if !parsed.finished {
            log.push_str(&format!(
                "# {target} did not finish ({}): its tests count as failed\n",
                out.describe()
            ));
            continue;
        }
        let (pass, fail) = names.reported(&parsed.statuses);
        let lied = check_canaries(&site, pass, fail);
        if !lied.is_empty() {
            log.push_str(&format!(
                "# a canary of {target} came back wrong: its results are not trusted\n"
            ));
            run.evidence.extend(lied);
            continue;
        }
        // The exit status the graded tests alone would have had (the canary's failure is
        // the harness's own).
        let graded_pass = parsed
            .statuses
            .iter()
            .all(|(name, status)| names.owns(name) || status.is_pass());
        if graded_pass {
            run.detail = Some(crate::sandbox::Exit::Code(0).to_string());
        }
        for (name, status) in parsed.statuses {
            if !names.owns(&name) {
                crate::lang::record_status(
                    &mut run.statuses,
                    TestId(format!("{target}::{name}")),
                    status,
                );
            }
        }
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_map_to_their_targets_and_graded_targets_come_from_the_ids() {
        let tree = Path::new("/s/tree");
        let exe = |src: &str| TestExecutable {
            source: PathBuf::from(src),
            path: PathBuf::from("/t/deps/x-1"),
        };
        assert_eq!(target_of(tree, &exe("/s/tree/src/lib.rs")), "src/lib.rs");
        assert_eq!(target_of(tree, &exe("/s/tree/tests/a.rs")), "tests/a.rs");
        let task = crate::lang::testing::task(
            crate::catalog::Language::Rust,
            &["tests/a.rs::x"],
            &["src/lib.rs::m::t", "tests/a.rs::y"],
        );
        assert_eq!(
            graded_targets(&task).into_iter().collect::<Vec<_>>(),
            vec!["src/lib.rs".to_string(), "tests/a.rs".into()]
        );
    }
}
