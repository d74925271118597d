//! Sandbox: runs one test or detector command of an attempt, contained and time-limited.
//!
//! In: a [`CommandSpec`] (argv, working directory, the attempt's private home and temp dirs,
//! extra environment, a wall-clock limit, an output cap). Out: a [`CommandOutput`] (exit code or
//! signal, whether the limit was hit, captured stdout/stderr with a marked cut, duration), or a
//! [`SandboxError`] when the command could not be started at all (a harness error, never a
//! model failure).
//!
//! Layers in this version ([`SandboxMode::ProcessGroup`]):
//! - the environment is rebuilt from an allow-list: no API keys or tokens reach a test; HOME and
//!   TMPDIR point into the attempt;
//! - the command runs in a fresh process group; on timeout, and after it exits, the whole group
//!   is killed (SIGKILL), so ordinary children do not outlive it;
//! - stdout and stderr go to files in the attempt (never pipes a stray child could hold open)
//!   and are read back capped: the first and last part kept, the cut marked.
//!
//! Not yet here (tracked by the sandboxing issue): Landlock, seccomp or a network namespace,
//! rlimits, and a PID namespace that also kills `setsid` daemons. Every run records the mode it
//! used so reports can show it.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Which containment a run used. Recorded with the run and shown in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Process group, timeout, environment allow-list, output cap.
    ProcessGroup,
}

impl std::fmt::Display for SandboxMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SandboxMode::ProcessGroup => "process-group",
        })
    }
}

/// Variables passed through from refbench's own environment when set. Everything else is
/// dropped; see [`CommandSpec::env`] for what the caller adds.
const PASS_THROUGH: &[&str] = &[
    "PATH",
    "LANG",
    "LC_ALL",
    "RUSTUP_TOOLCHAIN",
    "SOURCE_DATE_EPOCH",
];

/// One command to run.
#[derive(Debug, Clone)]
pub struct CommandSpec {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// Working directory (the attempt's repository).
    pub cwd: PathBuf,
    /// The attempt's scratch directory: HOME, TMPDIR and the captured output live here.
    pub scratch: PathBuf,
    /// Extra variables (the language's toolchain needs), added after the allow-list.
    pub env: Vec<(String, String)>,
    /// Wall-clock limit.
    pub timeout: Duration,
    /// Bytes kept of each of stdout and stderr.
    pub output_cap: usize,
    /// Send stderr into stdout's file, so the two keep their relative order (cargo prints
    /// `Running ...` on stderr and libtest its results on stdout).
    pub merge_output: bool,
}

/// What a command did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommandOutput {
    /// Exit code, when it exited normally.
    pub exit_code: Option<i32>,
    /// Signal that ended it, when one did (including our own SIGKILL on timeout).
    pub signal: Option<i32>,
    /// Whether the wall-clock limit was hit.
    pub timed_out: bool,
    /// Captured stdout (capped).
    pub stdout: String,
    /// Captured stderr (capped).
    pub stderr: String,
    /// Wall time.
    pub duration_ms: u64,
}

impl CommandOutput {
    /// Exited with code 0 within the limit.
    pub fn success(&self) -> bool {
        !self.timed_out && self.exit_code == Some(0)
    }

    /// A one-line description: `exit 1`, `killed by signal 9`, `timed out after 30 s`.
    pub fn describe(&self) -> String {
        if self.timed_out {
            format!("timed out after {:.1} s", self.duration_ms as f64 / 1000.0)
        } else if let Some(code) = self.exit_code {
            format!("exit {code}")
        } else if let Some(sig) = self.signal {
            format!("killed by signal {sig}")
        } else {
            "ended without status".into()
        }
    }
}

/// The command could not be run.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The program could not be started.
    #[error("cannot start `{program}`: {source}; is it installed and on PATH?")]
    Spawn {
        /// argv[0].
        program: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Preparing or reading the scratch directory failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An empty argv.
    #[error("empty command")]
    EmptyCommand,
}

/// Runs `spec` and waits for it, at most `spec.timeout`.
pub fn run_command(spec: &CommandSpec) -> Result<CommandOutput, SandboxError> {
    let (program, args) = spec.argv.split_first().ok_or(SandboxError::EmptyCommand)?;
    let home = spec.scratch.join("home");
    let tmp = spec.scratch.join("tmp");
    for dir in [&home, &tmp] {
        std::fs::create_dir_all(dir).map_err(|source| SandboxError::Io {
            action: "creating",
            path: dir.clone(),
            source,
        })?;
    }
    let out_path = spec.scratch.join("stdout.log");
    let err_path = spec.scratch.join("stderr.log");
    let create = |p: &Path| {
        std::fs::File::create(p).map_err(|source| SandboxError::Io {
            action: "creating",
            path: p.to_path_buf(),
            source,
        })
    };
    let stdout_file = create(&out_path)?;
    let stderr_file = if spec.merge_output {
        create(&err_path)?;
        stdout_file.try_clone().map_err(|source| SandboxError::Io {
            action: "duplicating",
            path: out_path.clone(),
            source,
        })?
    } else {
        create(&err_path)?
    };

    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(&spec.cwd)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(stdout_file)
        .stderr(stderr_file);
    for key in PASS_THROUGH {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("HOME", &home).env("TMPDIR", &tmp);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|source| SandboxError::Spawn {
        program: program.clone(),
        source,
    })?;
    let pgid = child.id() as i32;
    let status = {
        use wait_timeout::ChildExt;
        child
            .wait_timeout(spec.timeout)
            .map_err(|source| SandboxError::Io {
                action: "waiting for",
                path: PathBuf::from(program),
                source,
            })?
    };
    let (status, timed_out) = match status {
        Some(status) => (status, false),
        None => {
            kill_group(pgid);
            let status = child.wait().map_err(|source| SandboxError::Io {
                action: "waiting for",
                path: PathBuf::from(program),
                source,
            })?;
            (status, true)
        }
    };
    // Children left in the group (background jobs) end with the command.
    kill_group(pgid);
    let duration_ms = start.elapsed().as_millis() as u64;
    use std::os::unix::process::ExitStatusExt;
    Ok(CommandOutput {
        exit_code: status.code(),
        signal: status.signal(),
        timed_out,
        stdout: read_capped(&out_path, spec.output_cap)?,
        stderr: read_capped(&err_path, spec.output_cap)?,
        duration_ms,
    })
}

fn kill_group(pgid: i32) {
    use nix::sys::signal::{killpg, Signal};
    use nix::unistd::Pid;
    // ESRCH (no such group) is the normal case once everything has exited.
    let _ = killpg(Pid::from_raw(pgid), Signal::SIGKILL);
}

/// Reads at most `cap` bytes of `path`: the first and last halves, with a marker in between
/// saying how much was cut. Invalid UTF-8 is replaced.
pub fn read_capped(path: &Path, cap: usize) -> Result<String, SandboxError> {
    let io_err = |source| SandboxError::Io {
        action: "reading",
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len() as usize;
    if len <= cap {
        let mut buf = Vec::with_capacity(len);
        file.read_to_end(&mut buf).map_err(io_err)?;
        return Ok(String::from_utf8_lossy(&buf).into_owned());
    }
    let half = cap / 2;
    let mut head = vec![0u8; half];
    file.read_exact(&mut head).map_err(io_err)?;
    file.seek(SeekFrom::Start((len - half) as u64))
        .map_err(io_err)?;
    let mut tail = vec![0u8; half];
    file.read_exact(&mut tail).map_err(io_err)?;
    Ok(format!(
        "{}\n[refbench: {} bytes of output cut here]\n{}",
        String::from_utf8_lossy(&head),
        len - 2 * half,
        String::from_utf8_lossy(&tail)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &Path, argv: &[&str], timeout_ms: u64) -> CommandSpec {
        CommandSpec {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            cwd: dir.to_path_buf(),
            scratch: dir.join("scratch"),
            env: vec![],
            timeout: Duration::from_millis(timeout_ms),
            output_cap: 1000,
            merge_output: false,
        }
    }

    #[test]
    fn captures_exit_code_and_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = run_command(&spec(
            dir.path(),
            &["sh", "-c", "echo hi; echo err >&2; exit 3"],
            10_000,
        ))
        .unwrap();
        assert_eq!(out.exit_code, Some(3));
        assert_eq!(out.stdout, "hi\n");
        assert_eq!(out.stderr, "err\n");
        assert!(!out.timed_out);
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let script = format!("sleep 60 & echo $! > {}; wait", pidfile.display());
        let out = run_command(&spec(dir.path(), &["sh", "-c", &script], 300)).unwrap();
        assert!(out.timed_out);
        assert!(out.describe().starts_with("timed out"));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The background sleep was in the group and must be gone (reaped by init or a zombie).
        // SIGKILL is delivered asynchronously: allow the kernel a moment to finish it.
        let alive = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| !s.contains(") Z") && !s.contains(") X"))
                .unwrap_or(false)
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(), "background child {pid} survived the timeout");
    }

    #[test]
    fn environment_is_an_allow_list() {
        let dir = tempfile::tempdir().unwrap();
        std::env::set_var("REFBENCH_TEST_FAKE_API_KEY", "sk-should-not-leak");
        let out = run_command(&spec(dir.path(), &["env"], 10_000)).unwrap();
        assert!(!out.stdout.contains("sk-should-not-leak"));
        assert!(out.stdout.contains(&format!(
            "HOME={}",
            dir.path().join("scratch/home").display()
        )));
    }

    #[test]
    fn output_is_capped_with_a_marker() {
        let dir = tempfile::tempdir().unwrap();
        let out = run_command(&spec(
            dir.path(),
            &["sh", "-c", "yes abcdefgh | head -c 100000"],
            10_000,
        ))
        .unwrap();
        assert!(out.stdout.len() < 1200);
        assert!(out.stdout.contains("bytes of output cut here"));
        assert!(out.stdout.starts_with("abcdefgh"));
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = run_command(&spec(dir.path(), &["refbench-no-such-program"], 1000)).unwrap_err();
        assert!(matches!(err, SandboxError::Spawn { .. }));
    }
}
