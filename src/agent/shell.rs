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
use crate::sandbox::{run_command, CommandSpec, Limits, SandboxError};
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
pub struct Shell {
    repo: PathBuf,
    scratch: PathBuf,
    state: PathBuf,
    env: Vec<(String, String)>,
    writable: Vec<PathBuf>,
    sandbox: crate::sandbox::SandboxMode,
    output_cap: usize,
}

impl Shell {
    /// A shell in `repo` for `task`. `scratch` is the attempt's private folder outside the tree
    /// (HOME, TMPDIR, the saved state and, for Rust, the cargo target dir live there).
    pub fn new(
        task: &Task,
        repo: &Path,
        scratch: &Path,
        toolchain: &Toolchain,
        output_cap: usize,
    ) -> std::io::Result<Shell> {
        let state = scratch.join("shell");
        std::fs::create_dir_all(&state)?;
        let mut env = toolchain.env(task, &BuildSlot::none(repo));
        let mut writable = Vec::new();
        if task.language == Language::Rust {
            // cargo's default target/ would land in the tree, and so in the diff.
            let target = scratch.join("target");
            env.push(("CARGO_TARGET_DIR".into(), target.display().to_string()));
            writable.push(target);
        }
        Ok(Shell {
            repo: repo.to_path_buf(),
            scratch: scratch.to_path_buf(),
            state,
            env,
            writable,
            sandbox: toolchain.sandbox,
            output_cap,
        })
    }

    /// Runs `command` (bash syntax) for at most `timeout`.
    pub fn run(&self, command: &str, timeout: Duration) -> Result<ShellOutput, SandboxError> {
        let file = self.state.join("command");
        std::fs::write(&file, command).map_err(|source| SandboxError::Io {
            action: "writing",
            path: file.clone(),
            source,
        })?;
        let out = run_command(&CommandSpec {
            argv: vec![
                "bash".into(),
                "--noprofile".into(),
                "--norc".into(),
                "-c".into(),
                WRAPPER.into(),
                "refbench-shell".into(),
                self.state.display().to_string(),
            ],
            cwd: self.repo.clone(),
            scratch: self.scratch.clone(),
            env: self.env.clone(),
            timeout,
            output_cap: self.output_cap,
            merge_output: true,
            writable: self.writable.clone(),
            limits: Limits::for_timeout(timeout),
            sandbox: self.sandbox,
        })?;
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

    /// A shell without the full sandbox (unit tests run anywhere; the end-to-end tests run
    /// the real one).
    fn shell(repo: &Path, scratch: &Path) -> Shell {
        Shell {
            repo: repo.to_path_buf(),
            scratch: scratch.to_path_buf(),
            state: {
                let s = scratch.join("shell");
                std::fs::create_dir_all(&s).unwrap();
                s
            },
            env: vec![],
            writable: vec![],
            sandbox: crate::sandbox::SandboxMode::None,
            output_cap: 2000,
        }
    }

    #[test]
    fn cwd_variables_and_functions_persist_between_commands() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("sub")).unwrap();
        let sh = shell(&repo, &dir.path().join("scratch"));
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
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        let sh = shell(&repo, &dir.path().join("scratch"));
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
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        let sh = shell(&repo, &dir.path().join("scratch"));
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
