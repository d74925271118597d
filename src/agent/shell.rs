//! The agent's shell: bash commands in the attempt's tree, each run in the same sandbox as the
//! task's tests, with the working directory, exported variables, functions and aliases kept
//! from one command to the next.
//!
//! In: a command line. Out: a [`ShellOutput`] (what it printed, stdout and stderr merged, cut
//! in the middle with the cut marked past the cap; how it ended; whether the per-command time
//! limit killed it), or a [`SandboxError`] when the command could not be started.
//!
//! Why not one long-lived `bash` fed through a pipe: every command here goes through
//! [`crate::sandbox::run_command`], the public API the graded tests use, so the agent's
//! commands get exactly their containment (no network, writes only in the tree and the
//! attempt's scratch, a PID namespace that kills whatever a command leaves running, rlimits)
//! and the sandbox stays the one place that knows how to contain a process. The persistence a
//! long-lived shell gives is kept another way: a wrapper sources the state the previous
//! command saved (`export -p`, `declare -f`, `alias -p` and `pwd`, written by an EXIT trap,
//! so a command that calls `exit` saves it too) and saves it again when the command ends. What
//! does not persist: background processes (the PID namespace ends them with their command) and
//! unexported shell variables.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::catalog::{Language, Task};
use crate::sandbox::{run_command, CommandSpec, SandboxError};
use crate::toolchain::{BuildSlot, Toolchain};

/// Sources the saved state, runs the command file, saves the state on the way out. `$1` is
/// the state folder (outside the tree).
const WRAPPER: &str = r#"readonly __rb_state="$1"
__rb_save() {
  { export -p; declare -f; alias -p; } >"$__rb_state/env.next" 2>/dev/null \
    && mv -f "$__rb_state/env.next" "$__rb_state/env"
  pwd >"$__rb_state/cwd" 2>/dev/null
}
if [ -f "$__rb_state/env" ]; then . "$__rb_state/env" >/dev/null 2>&1; fi
if [ -f "$__rb_state/cwd" ]; then cd "$(cat "$__rb_state/cwd")" 2>/dev/null; fi
trap __rb_save EXIT
shopt -s expand_aliases
. "$__rb_state/command"
"#;

/// What one command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellOutput {
    /// stdout and stderr, merged in order, capped with the cut marked.
    pub output: String,
    /// The exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Killed by the per-command time limit.
    pub timed_out: bool,
    /// How it ended, in words (`exit 0`, `timed out after 2.0 s`, `killed by signal 9`).
    pub status: String,
}

impl ShellOutput {
    /// The text the model gets back: the output and how the command ended.
    pub fn for_model(&self, timeout: Duration) -> String {
        let ending = if self.timed_out {
            format!(
                "[killed: the per-command time limit of {} s was reached]",
                timeout.as_secs()
            )
        } else {
            format!("[{}]", self.status)
        };
        if self.output.is_empty() {
            ending
        } else if self.output.ends_with('\n') {
            format!("{}{ending}", self.output)
        } else {
            format!("{}\n{ending}", self.output)
        }
    }
}

/// A shell bound to one attempt's tree.
pub struct Shell<'a> {
    task: &'a Task,
    toolchain: &'a Toolchain,
    /// No build cache: the attempt's tree is where commands run.
    slot: BuildSlot,
    repo: PathBuf,
    scratch: PathBuf,
    state: PathBuf,
    /// Rust: the shell's own cargo target dir (in the scratch folder), so that build output
    /// never lands in the tree and so in the diff.
    target: Option<PathBuf>,
    output_cap: usize,
}

impl<'a> Shell<'a> {
    /// A shell in `repo` for `task`. `scratch` is the attempt's private folder outside the tree
    /// (HOME, TMPDIR, the saved state and, for Rust, the cargo target dir live there).
    pub fn new(
        task: &'a Task,
        repo: &Path,
        scratch: &Path,
        toolchain: &'a Toolchain,
        output_cap: usize,
    ) -> std::io::Result<Shell<'a>> {
        let state = scratch.join("shell");
        std::fs::create_dir_all(&state)?;
        Ok(Shell {
            task,
            toolchain,
            slot: BuildSlot::none(repo),
            repo: repo.to_path_buf(),
            scratch: scratch.to_path_buf(),
            state,
            target: (task.language == Language::Rust).then(|| scratch.join("target")),
            output_cap,
        })
    }

    /// The spec `command` runs under: the one the hidden tests and detectors run under
    /// ([`Toolchain::attempt_command`]: environment, containment, resource limits), with the
    /// shell's output cap and its own cargo target dir.
    fn spec(&self, argv: Vec<String>, timeout: Duration) -> CommandSpec {
        let mut spec = self.toolchain.attempt_command(
            self.task,
            &self.slot,
            &self.repo,
            &self.scratch,
            argv,
            timeout,
        );
        spec.output_cap = self.output_cap;
        if let Some(target) = &self.target {
            spec.env
                .push(("CARGO_TARGET_DIR".into(), target.display().to_string()));
            spec.writable.push(target.clone());
        }
        spec
    }

    /// Runs `command` (bash syntax) for at most `timeout`.
    pub fn run(&self, command: &str, timeout: Duration) -> Result<ShellOutput, SandboxError> {
        let file = self.state.join("command");
        std::fs::write(&file, command).map_err(|source| SandboxError::Io {
            action: "writing",
            path: file.clone(),
            source,
        })?;
        let argv = vec![
            "bash".into(),
            "--noprofile".into(),
            "--norc".into(),
            "-c".into(),
            WRAPPER.into(),
            "refbench-shell".into(),
            self.state.display().to_string(),
        ];
        let out = run_command(&self.spec(argv, timeout))?;
        Ok(ShellOutput {
            output: out.stdout.clone(),
            exit_code: out.exit_code(),
            timed_out: out.timed_out(),
            status: out.describe(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task, a toolchain without the full sandbox (unit tests run anywhere; the end-to-end
    /// tests run the real one) and a folder with `repo/` and `scratch/`.
    struct Fixture {
        task: Task,
        toolchain: Toolchain,
        dir: tempfile::TempDir,
    }

    fn fixture(language: Language) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo").join("sub")).unwrap();
        let mut toolchain = Toolchain::in_cache(&dir.path().join("cache"), 1);
        toolchain.sandbox = crate::sandbox::SandboxMode::None;
        Fixture {
            task: crate::lang::testing::task(language, &[], &[]),
            toolchain,
            dir,
        }
    }

    fn shell(f: &Fixture) -> Shell<'_> {
        let repo = f.dir.path().join("repo");
        Shell::new(
            &f.task,
            &repo,
            &f.dir.path().join("scratch"),
            &f.toolchain,
            2000,
        )
        .unwrap()
    }

    #[test]
    fn commands_run_under_the_graders_spec_plus_the_shells_target_dir() {
        let f = fixture(Language::Rust);
        let sh = shell(&f);
        let argv = vec!["true".to_string()];
        let timeout = Duration::from_secs(7);
        let spec = sh.spec(argv.clone(), timeout);
        let repo = f.dir.path().join("repo");
        let scratch = f.dir.path().join("scratch");
        let graders = f.toolchain.attempt_command(
            &f.task,
            &BuildSlot::none(&repo),
            &repo,
            &scratch,
            argv,
            timeout,
        );
        assert_eq!(spec.sandbox, graders.sandbox);
        // The same limits and disk quota; the quota counts from when each took its slot.
        let counted_from_anywhere = |l: &crate::sandbox::Limits| crate::sandbox::Limits {
            disk_counted_since: None,
            ..*l
        };
        assert_eq!(
            counted_from_anywhere(&spec.limits),
            counted_from_anywhere(&graders.limits)
        );
        assert!(spec.limits.disk_counted_since.is_some());
        assert_eq!(spec.readable, graders.readable);
        assert_eq!((&spec.cwd, &spec.scratch), (&repo, &scratch));
        assert_eq!(spec.merge_output, graders.merge_output);
        assert_eq!(spec.output_cap, 2000);
        let target = scratch.join("target");
        assert_eq!(spec.env[..graders.env.len()], graders.env[..]);
        assert_eq!(
            spec.env[graders.env.len()..],
            [("CARGO_TARGET_DIR".to_string(), target.display().to_string())]
        );
        assert_eq!(spec.writable, [graders.writable, vec![target]].concat());
        // Python: nothing of the shell's own.
        let f = fixture(Language::Python);
        let spec = shell(&f).spec(vec!["true".into()], timeout);
        assert!(spec.writable.is_empty());
        assert!(!spec.env.iter().any(|(k, _)| k == "CARGO_TARGET_DIR"));
    }

    #[test]
    fn cwd_variables_and_functions_persist_between_commands() {
        let f = fixture(Language::Python);
        let sh = shell(&f);
        let t = Duration::from_secs(10);
        let first = sh
            .run("cd sub && export GREETING=hello && hi() { echo hi-$1; }", t)
            .unwrap();
        assert_eq!(first.exit_code, Some(0), "{first:?}");
        let second = sh.run("pwd; echo $GREETING; hi there", t).unwrap();
        let lines: Vec<_> = second.output.lines().collect();
        assert!(lines[0].ends_with("/repo/sub"), "{lines:?}");
        assert_eq!(&lines[1..], ["hello", "hi-there"]);
        // `exit` still saves the state.
        sh.run("cd .. && exit 3", t).unwrap();
        let third = sh.run("pwd", t).unwrap();
        assert!(third.output.trim().ends_with("/repo"), "{third:?}");
    }

    #[test]
    fn a_slow_command_is_killed_and_said_so() {
        let f = fixture(Language::Python);
        let sh = shell(&f);
        let out = sh
            .run("echo start; sleep 30", Duration::from_secs(1))
            .unwrap();
        assert!(out.timed_out, "{out:?}");
        let text = out.for_model(Duration::from_secs(1));
        assert!(text.starts_with("start\n"), "{text}");
        assert!(text.contains("per-command time limit of 1 s"), "{text}");
    }

    #[test]
    fn long_output_is_cut_with_a_mark() {
        let f = fixture(Language::Python);
        let sh = shell(&f);
        let out = sh.run("seq 1 20000", Duration::from_secs(10)).unwrap();
        assert!(out.output.len() < 2600, "{}", out.output.len());
        assert!(out.output.starts_with("1\n2\n"));
        assert!(out.output.trim_end().ends_with("20000"));
        assert!(
            out.output.contains("bytes of output cut here"),
            "{}",
            out.output
        );
    }
}
