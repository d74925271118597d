//! Sandbox: runs one test or detector command of an attempt, contained and time-limited.
//!
//! In: a [`CommandSpec`] (argv, working directory, the attempt's private home and temp dirs,
//! extra environment and writable paths, a wall-clock limit, resource [`Limits`], an output cap,
//! the [`SandboxMode`]). Out: a [`CommandOutput`] (its [`Ending`]: an exit code or signal, the
//! wall-clock limit, or a resource limit; captured stdout/stderr with a marked cut, duration), or a [`SandboxError`] when the command
//! could not be started at all, including a layer missing on the host (a harness error, never
//! a model failure).
//!
//! Layers of [`SandboxMode::Full`], following what OpenAI's Codex CLI does on Linux (see
//! [`layers`] for how each is applied):
//! - the environment is rebuilt from an allow-list: no API keys or tokens reach a test; HOME and
//!   TMPDIR point into the attempt;
//! - Landlock: read and execute only below the caller's [`ReadScope`] (system folders, the
//!   toolchain, the Python environment, the harness, the build cache) and the paths it may
//!   write; write only below the working directory, the scratch directory and the caller's
//!   extra paths (the attempt's cargo target dir); no TCP bind or connect. So graded code
//!   cannot read gold patches, hidden tests of other tasks, runs or other attempts. The
//!   ruleset must report `FullyEnforced`, else the command is refused;
//! - seccomp: `socket()` is refused (EACCES) for every domain but AF_UNIX;
//! - new PID and network namespaces (`unshare`): when the command ends or is killed, every
//!   process it started dies with it, `setsid` daemons included; only a down `lo` inside;
//! - rlimits: address space, CPU time, file size, open files, no core dumps; and a bound on
//!   processes: a pids cgroup per command when running as root (where RLIMIT_NPROC is ignored),
//!   RLIMIT_NPROC otherwise;
//! - a fresh process group, killed (SIGKILL) on timeout and after the command exits;
//! - stdout and stderr go to files in the attempt (never pipes a stray child could hold open)
//!   and are read back capped: the first and last part kept, the cut marked.
//!
//! Where a layer is missing the command is refused with [`SandboxError::LayerMissing`], naming
//! the layer and how to enable it. [`SandboxMode::None`] (the user's explicit `--sandbox none`)
//! keeps only the allow-listed environment, the process group, the timeout and the output cap;
//! runs record the mode and reports show it. Without Landlock nothing is confidential: the
//! code under test can then read every gold patch and hidden test on the machine.

mod cancel;
pub mod layers;
pub mod quota;
pub mod scope;

pub use cancel::{cancel_all, cancelled};
pub use scope::{ReadRole, ReadScope, Readable};

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Which containment a run used. Recorded with the run and shown in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Every layer: Landlock, seccomp, PID and network namespaces, rlimits, pids bound,
    /// process group, environment allow-list, output cap.
    #[default]
    Full,
    /// Chosen explicitly with `--sandbox none`: environment allow-list, process group,
    /// timeout and output cap only. The code under test can reach the network, read every
    /// gold patch, hidden test and run on the machine, and write anywhere refbench can.
    None,
    /// Runs recorded before the full sandbox existed: process group, timeout, environment
    /// allow-list, output cap.
    ProcessGroup,
}

impl std::fmt::Display for SandboxMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SandboxMode::Full => "full",
            // Said wherever the mode is shown: without Landlock, tests can read every gold
            // patch and hidden test on the machine.
            SandboxMode::None => "none (unsandboxed: tests can read answers, write anywhere)",
            SandboxMode::ProcessGroup => "process-group",
        })
    }
}

/// Resource limits of one command (per process, except `processes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// RLIMIT_AS: a runaway allocation fails (Python raises MemoryError, Rust aborts).
    pub address_space_bytes: u64,
    /// RLIMIT_CPU: SIGXCPU after this much CPU time.
    pub cpu_seconds: u64,
    /// RLIMIT_FSIZE: SIGXFSZ when a file (captured output included) grows past this.
    pub file_size_bytes: u64,
    /// RLIMIT_NOFILE.
    pub open_files: u64,
    /// Processes and threads the command may have at once.
    pub processes: u64,
    /// Bytes the command may leave in the places it may write (its tree, scratch and writable
    /// paths), measured while it runs (see [`quota`]); enforced by the full sandbox.
    pub disk_bytes: u64,
    /// From when written bytes count: the start of the attempt, so that the quota bounds all
    /// of its commands together; `None` counts from the command's own start.
    pub disk_counted_since: Option<std::time::SystemTime>,
}

/// The default disk quota of one command: room for a Rust fixture's build with its
/// dependencies (a fresh build cache, about 0.5 GiB) several times over.
pub const DEFAULT_DISK_QUOTA_BYTES: u64 = 2 << 30;

impl Limits {
    /// The defaults for a command with this wall-clock limit: 4 GiB of address space, CPU
    /// time twice the wall limit (two cores) plus 10 s, 256 MiB per file, 4096 open files,
    /// 512 processes and threads, [`DEFAULT_DISK_QUOTA_BYTES`] on disk.
    pub fn for_timeout(timeout: Duration) -> Limits {
        Limits {
            address_space_bytes: 4 << 30,
            cpu_seconds: timeout.as_secs() * 2 + 10,
            file_size_bytes: 256 << 20,
            open_files: 4096,
            processes: 512,
            disk_bytes: DEFAULT_DISK_QUOTA_BYTES,
            disk_counted_since: None,
        }
    }

    /// These limits with a disk quota of `bytes` for what was written since `since` (the
    /// attempt's start; `None`: the command's). A file may not be larger than the quota
    /// either.
    pub fn with_disk_quota(self, bytes: u64, since: Option<std::time::SystemTime>) -> Limits {
        Limits {
            disk_bytes: bytes,
            disk_counted_since: since,
            file_size_bytes: self.file_size_bytes.min(bytes),
            ..self
        }
    }
}

/// A resource limit a command ran into (the wall-clock limit is [`Ending::TimedOut`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    /// RLIMIT_CPU (SIGXCPU or SIGKILL after it).
    CpuTime,
    /// RLIMIT_FSIZE (SIGXFSZ): too much output or too large a file.
    FileSize,
    /// The process bound: a fork was refused.
    Processes,
    /// The address-space limit: an allocation failed (seen in the output).
    Memory,
    /// The sandbox refused a write outside the attempt, a socket or a connection (seen in the
    /// output as EACCES).
    Denied,
    /// The command left more than its disk quota in the places it may write; it was killed.
    DiskQuota {
        /// The quota, in bytes.
        limit_bytes: u64,
    },
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LimitHit::CpuTime => "CPU-time limit",
            LimitHit::FileSize => "file-size limit",
            LimitHit::Processes => "process limit",
            LimitHit::Memory => "memory limit",
            LimitHit::Denied => "sandbox denial",
            LimitHit::DiskQuota { limit_bytes } => {
                return write!(f, "disk quota of {} MiB", limit_bytes >> 20);
            }
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
    /// Directories the command may write besides `cwd` and `scratch` (a cargo target dir).
    pub writable: Vec<PathBuf>,
    /// Paths below `cwd` (relative to it) the command may read but not change: under the full
    /// sandbox it can neither write, truncate, remove nor rename them, nor add, remove or
    /// rename anything in a folder that holds one (see [`scope::writable_except`]). The
    /// grader's files while graded code runs.
    pub read_only: Vec<PathBuf>,
    /// What the command may read besides `cwd`, `scratch` and `writable` (enforced by the
    /// full sandbox only).
    pub readable: ReadScope,
    /// Resource limits.
    pub limits: Limits,
    /// Containment.
    pub sandbox: SandboxMode,
}

/// How a command's process ended, as the kernel reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exit {code}"),
            Exit::Signal(sig) => write!(f, "killed by signal {sig}"),
        }
    }
}

/// How a command ended: on its own, at the wall-clock limit, or because of a resource limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It ended on its own (successfully or not); no limit was involved.
    Finished(Exit),
    /// It was killed at the wall-clock limit; `also` is a resource limit it hit on the way.
    TimedOut {
        /// Another limit it hit, if any.
        also: Option<LimitHit>,
    },
    /// A resource limit ended it (a signal) or made it fail (seen in its output).
    Limited {
        /// The limit.
        limit: LimitHit,
        /// How the process ended.
        exit: Exit,
    },
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    /// How it ended.
    pub ending: Ending,
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
        self.exit_code() == Some(0)
    }

    /// The wall-clock limit ended it.
    pub fn timed_out(&self) -> bool {
        matches!(self.ending, Ending::TimedOut { .. })
    }

    /// Its exit code, when it exited by itself (with or without a limit's help).
    pub fn exit_code(&self) -> Option<i32> {
        match self.ending {
            Ending::Finished(Exit::Code(code))
            | Ending::Limited {
                exit: Exit::Code(code),
                ..
            } => Some(code),
            _ => None,
        }
    }

    /// The disk quota it exceeded (in bytes), if it did: the scorer records it as
    /// tampering evidence.
    pub fn disk_quota_exceeded(&self) -> Option<u64> {
        match self.limit() {
            Some(LimitHit::DiskQuota { limit_bytes }) => Some(limit_bytes),
            _ => None,
        }
    }

    /// The resource limit it ran into, if any.
    pub fn limit(&self) -> Option<LimitHit> {
        match self.ending {
            Ending::Finished(_) => None,
            Ending::TimedOut { also } => also,
            Ending::Limited { limit, .. } => Some(limit),
        }
    }

    /// A one-line description: `exit 1`, `killed by signal 9`, `timed out after 30.0 s`,
    /// `killed by signal 25 (file-size limit)`.
    pub fn describe(&self) -> String {
        match self.ending {
            Ending::Finished(exit) => exit.to_string(),
            Ending::TimedOut { also } => {
                let timed_out =
                    format!("timed out after {:.1} s", self.duration_ms as f64 / 1000.0);
                match also {
                    Some(limit) => format!("{timed_out} ({limit})"),
                    None => timed_out,
                }
            }
            Ending::Limited { limit, exit } => format!("{exit} ({limit})"),
        }
    }
}

/// The command could not be run.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The run was interrupted (SIGINT or SIGTERM): the command was killed or not started.
    #[error("interrupted: the run is stopping")]
    Cancelled,
    /// The program could not be started.
    #[error("cannot start `{program}`: {source}; is it installed and on PATH?")]
    Spawn {
        /// `argv[0]`.
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
    /// A sandbox layer is not available on this host (or failed to apply).
    #[error("sandbox layer `{layer}` is not available: {how}; to run without any sandbox (the code under test can then reach the network, read every gold patch and hidden test, and write anywhere), pass --sandbox none")]
    LayerMissing {
        /// landlock, seccomp, pid and network namespaces, pids cgroup.
        layer: String,
        /// What failed and how to enable it.
        how: String,
    },
}

/// Checks that every layer of [`SandboxMode::Full`] is available here (cached per process).
pub fn check_host() -> Result<(), SandboxError> {
    layers::host_support().map(|_| ())
}

/// Runs `spec` and waits for it, at most `spec.timeout`.
pub fn run_command(spec: &CommandSpec) -> Result<CommandOutput, SandboxError> {
    let (program, args) = spec.argv.split_first().ok_or(SandboxError::EmptyCommand)?;
    if cancel::cancelled() {
        return Err(SandboxError::Cancelled);
    }
    let home = spec.scratch.join("home");
    let tmp = spec.scratch.join("tmp");
    // Writable directories must exist before Landlock opens them (cargo would otherwise
    // create its target dir through a temporary sibling, outside what it may write).
    for dir in [&home, &tmp].into_iter().chain(&spec.writable) {
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

    let mut env: Vec<(std::ffi::OsString, std::ffi::OsString)> = Vec::new();
    for key in PASS_THROUGH {
        if let Some(v) = std::env::var_os(key) {
            env.push((key.into(), v));
        }
    }
    env.push(("HOME".into(), home.clone().into()));
    env.push(("TMPDIR".into(), tmp.clone().into()));
    for (k, v) in &spec.env {
        env.push((k.into(), v.into()));
    }
    // The program is looked up here, on the PATH the command will see, so a missing one is a
    // spawn error rather than an exit code of the namespace wrapper.
    let path_var = env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let resolved =
        resolve_program(program, &path_var, &spec.cwd).ok_or_else(|| SandboxError::Spawn {
            program: program.clone(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })?;

    let prepare_started = Instant::now();
    let (confinement, mut cmd) = match spec.sandbox {
        SandboxMode::Full => {
            let tree = scope::writable_except(&spec.cwd, &spec.read_only);
            let mut writable: Vec<&Path> = tree.iter().map(PathBuf::as_path).collect();
            writable.push(&spec.scratch);
            writable.extend(spec.writable.iter().map(PathBuf::as_path));
            let mut readable: Vec<&Path> = spec.readable.paths().collect();
            readable.push(&spec.cwd);
            let (confinement, mut setup) =
                layers::Confinement::prepare(&readable, &writable, &spec.limits)?;
            let mut cmd = Command::new(&confinement.prefix[0]);
            cmd.args(&confinement.prefix[1..]).arg(&resolved);
            use std::os::unix::process::CommandExt;
            // SAFETY: `enter` only makes syscalls (write, setrlimit, prctl, landlock, seccomp)
            // on data prepared before the fork.
            unsafe {
                cmd.pre_exec(move || setup.enter());
            }
            (Some(confinement), cmd)
        }
        SandboxMode::None | SandboxMode::ProcessGroup => (None, Command::new(&resolved)),
    };
    cmd.args(args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stdout(stdout_file)
        .stderr(stderr_file);
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        // The command gets the host's transparent huge pages setting, not refbench's (the
        // binary turns them off for itself; see main.rs).
        // SAFETY: one prctl on the forked child, nothing allocated.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0);
                Ok(())
            });
        }
    }
    let prepare_us = prepare_started.elapsed().as_micros() as u64;
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|source| match spec.sandbox {
        SandboxMode::Full => SandboxError::LayerMissing {
            layer: "landlock, seccomp, rlimits or pids cgroup".into(),
            how: format!(
                "applying them to `{program}` failed ({source}); check `refbench` runs on Linux 6.10+ with Landlock enabled"
            ),
        },
        _ => SandboxError::Spawn {
            program: program.clone(),
            source,
        },
    })?;
    let spawn_us = start.elapsed().as_micros() as u64;
    let pgid = child.id() as i32;
    let registered = cancel::Registered::new(pgid);
    let mut quota = (spec.sandbox == SandboxMode::Full).then(|| {
        let mut places: Vec<&Path> = vec![&spec.cwd, &spec.scratch];
        places.extend(spec.writable.iter().map(PathBuf::as_path));
        quota::DiskWatch::start(
            &places,
            spec.limits.disk_bytes,
            spec.limits.disk_counted_since,
        )
    });
    let mut quota_hit = false;
    // Waits in steps of the quota's poll interval (the wait ends as soon as the command
    // does), checking the disk quota between them.
    let status = loop {
        use wait_timeout::ChildExt;
        let left = spec.timeout.saturating_sub(start.elapsed());
        let step = match &quota {
            Some(_) => left.min(quota::POLL),
            None => left,
        };
        let status = child
            .wait_timeout(step)
            .map_err(|source| SandboxError::Io {
                action: "waiting for",
                path: PathBuf::from(program),
                source,
            })?;
        if status.is_some() || start.elapsed() >= spec.timeout {
            break status;
        }
        if quota.as_mut().is_some_and(|q| q.over()) {
            quota_hit = true;
            break None;
        }
    };
    let (status, timed_out) = match status {
        Some(status) => (status, false),
        // Stopped by the quota or the clock: killed here; only the clock is a timeout.
        None => {
            kill_group(pgid);
            let status = child.wait().map_err(|source| SandboxError::Io {
                action: "waiting for",
                path: PathBuf::from(program),
                source,
            })?;
            (status, !quota_hit)
        }
    };
    // Children left in the group (background jobs) end with the command; with the full
    // sandbox the PID namespace and the pids cgroup have already taken everything else.
    kill_group(pgid);
    drop(registered);
    if cancel::cancelled() {
        // Killed by the interruption, or finished as it came: either way not a result.
        return Err(SandboxError::Cancelled);
    }
    let processes_hit = confinement
        .as_ref()
        .and_then(|c| c.cgroup())
        .is_some_and(|c| c.limit_hit());
    drop(confinement);
    let duration_ms = start.elapsed().as_millis() as u64;
    use std::os::unix::process::ExitStatusExt;
    let stdout = read_capped(&out_path, spec.output_cap)?;
    let stderr = read_capped(&err_path, spec.output_cap)?;
    tracing::trace!(
        program = %program,
        prepare_us,
        spawn_us,
        total_us = prepare_started.elapsed().as_micros() as u64,
        "sandboxed command"
    );
    let signal = status.signal();
    let limit = if quota_hit {
        Some(LimitHit::DiskQuota {
            limit_bytes: spec.limits.disk_bytes,
        })
    } else if signal == Some(libc::SIGXCPU) {
        Some(LimitHit::CpuTime)
    } else if signal == Some(libc::SIGXFSZ) {
        Some(LimitHit::FileSize)
    } else if processes_hit {
        Some(LimitHit::Processes)
    } else if !timed_out && !status.success() && spec.sandbox == SandboxMode::Full {
        limit_in_output(&stdout, &stderr)
    } else {
        None
    };
    // Every status the kernel reports is an exit code or a signal.
    let exit = match (status.code(), signal) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(sig)) => Exit::Signal(sig),
        (None, None) => Exit::Signal(0),
    };
    let ending = match (timed_out, limit) {
        (true, also) => Ending::TimedOut { also },
        (false, Some(limit)) => Ending::Limited { limit, exit },
        (false, None) => Ending::Finished(exit),
    };
    Ok(CommandOutput {
        ending,
        stdout,
        stderr,
        duration_ms,
    })
}

/// Limits a failed command saw as errors rather than signals, recognised in its output.
fn limit_in_output(stdout: &str, stderr: &str) -> Option<LimitHit> {
    let said = |needles: &[&str]| {
        [stdout, stderr]
            .iter()
            .any(|o| needles.iter().any(|n| o.contains(n)))
    };
    if said(&["File too large", "file size limit exceeded"]) {
        Some(LimitHit::FileSize)
    } else if said(&[
        "MemoryError",
        "memory allocation of",
        "Cannot allocate memory",
    ]) {
        Some(LimitHit::Memory)
    } else if said(&[
        "Permission denied",
        "PermissionError",
        "Operation not permitted",
    ]) {
        Some(LimitHit::Denied)
    } else {
        None
    }
}

fn resolve_program(program: &str, path_var: &std::ffi::OsStr, cwd: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        let p = cwd.join(program);
        return executable(&p).then_some(p);
    }
    std::env::split_paths(path_var)
        .map(|d| d.join(program))
        .find(|p| executable(p))
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
            writable: vec![],
            read_only: vec![],
            readable: ReadScope::system(),
            limits: Limits::for_timeout(Duration::from_millis(timeout_ms)),
            sandbox: SandboxMode::None,
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
        assert_eq!(out.ending, Ending::Finished(Exit::Code(3)));
        assert_eq!(out.describe(), "exit 3");
        assert_eq!(out.stdout, "hi\n");
        assert_eq!(out.stderr, "err\n");
        assert!(!out.timed_out());
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("child.pid");
        let script = format!("sleep 60 & echo $! > {}; wait", pidfile.display());
        let out = run_command(&spec(dir.path(), &["sh", "-c", &script], 300)).unwrap();
        assert!(out.timed_out());
        assert!(!out.success());
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
    fn commands_get_transparent_huge_pages_back() {
        // Older kernels do not report the flag; then there is nothing to check.
        let own = std::fs::read_to_string("/proc/self/status").unwrap();
        if !own.contains("THP_enabled:") {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let argv = ["grep", "THP_enabled", "/proc/self/status"];
        // As the refbench binary does for itself (inherited by forks).
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
        let outs: Vec<_> = [SandboxMode::None, SandboxMode::Full]
            .into_iter()
            .map(|sandbox| {
                run_command(&CommandSpec {
                    sandbox,
                    ..spec(dir.path(), &argv, 10_000)
                })
            })
            .collect();
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0) };
        for out in outs {
            let out = out.unwrap();
            assert_eq!(
                out.stdout.split_whitespace().nth(1),
                Some("1"),
                "{}",
                out.stdout
            );
        }
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

    /// The layers themselves; the whole suite of hostile tests is tests/sandbox_adversarial.rs.
    #[test]
    fn full_sandbox_refuses_writes_outside_and_network_and_kills_daemons() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let canary = outside.path().join("canary");
        let mut s = spec(
            dir.path(),
            &[
                "sh",
                "-c",
                &format!(
                    "echo x > {}; echo write=$?; setsid sleep 600 & echo $$",
                    canary.display()
                ),
            ],
            10_000,
        );
        s.sandbox = SandboxMode::Full;
        let out = run_command(&s).unwrap();
        assert!(!canary.exists(), "{out:?}");
        assert!(
            out.stdout.contains("write=1") || out.stdout.contains("write=2"),
            "{out:?}"
        );
        // PID 1 of its own namespace.
        assert!(out.stdout.lines().any(|l| l == "1"), "{out:?}");
        let (python, prefix) = host_python();
        let mut s = spec(
            dir.path(),
            &[&python, "-c", "import socket; socket.socket()"],
            10_000,
        );
        s.sandbox = SandboxMode::Full;
        s.readable.add(ReadRole::PythonEnv, prefix);
        let out = run_command(&s).unwrap();
        assert_eq!(out.exit_code(), Some(1), "{out:?}");
        assert!(out.stderr.contains("Permission denied"), "{out:?}");
        assert_eq!(out.limit(), Some(LimitHit::Denied));
        assert_eq!(out.describe(), "exit 1 (sandbox denial)");
    }

    /// The machine's Python interpreter (resolved through pyenv shims and the like) and the
    /// prefix holding its standard library.
    fn host_python() -> (String, PathBuf) {
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys; print(sys.executable); print(sys.base_prefix)",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let mut lines = text.lines();
        let exe = lines.next().unwrap().to_string();
        (exe, PathBuf::from(lines.next().unwrap()))
    }

    #[test]
    fn full_sandbox_reads_only_its_scope() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.txt"), "own tree\n").unwrap();
        let outside = tempfile::tempdir().unwrap();
        let secret = outside.path().join("gold.patch");
        std::fs::write(&secret, "THE-ANSWER\n").unwrap();
        let granted = tempfile::tempdir().unwrap();
        std::fs::write(granted.path().join("lib.py"), "harness code\n").unwrap();
        let script = format!(
            "cat mine.txt; cat {}/lib.py; cat {} || echo refused; ls {} || echo unlisted",
            granted.path().display(),
            secret.display(),
            outside.path().display()
        );
        let mut s = spec(dir.path(), &["sh", "-c", &script], 10_000);
        s.sandbox = SandboxMode::Full;
        s.readable.add(ReadRole::Harness, granted.path());
        let out = run_command(&s).unwrap();
        assert!(out.stdout.contains("own tree"), "{out:?}");
        assert!(out.stdout.contains("harness code"), "{out:?}");
        assert!(!out.stdout.contains("THE-ANSWER"), "{out:?}");
        assert!(out.stdout.contains("refused"), "{out:?}");
        assert!(out.stdout.contains("unlisted"), "{out:?}");
        assert!(out.stderr.contains("Permission denied"), "{out:?}");
        // Without the sandbox nothing is confidential (the mode runs record and reports show).
        s.sandbox = SandboxMode::None;
        let out = run_command(&s).unwrap();
        assert!(out.stdout.contains("THE-ANSWER"), "{out:?}");
    }

    #[test]
    fn full_sandbox_keeps_read_only_files_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        for f in ["tests/test_hidden.py", "tests/test_a.py", "pkg/a.py"] {
            std::fs::write(root.join(f), "original\n").unwrap();
        }
        // Each attempt on its own line: `name=STATUS`.
        let script = "try() { n=$1; shift; if \"$@\" 2>/dev/null; then echo $n=ok; else echo $n=denied; fi; }
            try write sh -c 'echo forged > tests/test_hidden.py'
            try truncate sh -c ': > tests/test_hidden.py'
            try remove rm -f tests/test_hidden.py
            try rename mv tests/test_hidden.py pkg/moved.py
            try link ln tests/test_hidden.py pkg/linked.py
            try plant sh -c 'echo x > tests/conftest.py'
            try sibling sh -c 'echo changed > tests/test_a.py'
            try package sh -c 'echo changed > pkg/a.py && echo new > pkg/b.py && mkdir pkg/__pycache__'
            cat tests/test_hidden.py";
        let mut s = spec(root, &["sh", "-c", script], 20_000);
        s.sandbox = SandboxMode::Full;
        s.read_only = vec![PathBuf::from("tests/test_hidden.py")];
        let out = run_command(&s).unwrap();
        for denied in ["write", "truncate", "remove", "rename", "link", "plant"] {
            assert!(
                out.stdout.contains(&format!("{denied}=denied")),
                "{denied}: {out:?}"
            );
        }
        for allowed in ["sibling", "package"] {
            assert!(
                out.stdout.contains(&format!("{allowed}=ok")),
                "{allowed}: {out:?}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(root.join("tests/test_hidden.py")).unwrap(),
            "original\n"
        );
        assert!(!root.join("tests/conftest.py").exists());
        assert!(root.join("pkg/b.py").exists());
    }

    #[test]
    fn filling_the_disk_ends_the_command_at_its_quota() {
        let dir = tempfile::tempdir().unwrap();
        let script = "i=0; while [ $i -lt 400 ]; do head -c 1048576 /dev/zero > f$i || exit 9; \
                      i=$((i+1)); done; echo finished";
        let mut s = spec(dir.path(), &["sh", "-c", script], 60_000);
        s.sandbox = SandboxMode::Full;
        s.limits = s.limits.with_disk_quota(16 << 20, None);
        let out = run_command(&s).unwrap();
        assert!(!out.stdout.contains("finished"), "{out:?}");
        assert_eq!(out.disk_quota_exceeded(), Some(16 << 20), "{out:?}");
        assert!(out.describe().contains("(disk quota of 16 MiB)"), "{out:?}");
        let left = quota::written_since(&[dir.path()], std::time::UNIX_EPOCH, u64::MAX);
        // The quota plus what one poll interval lets through, far from the 400 MiB asked.
        assert!(left < 200 << 20, "{left} bytes left");
        // Within the quota nothing happens.
        let out = run_command(&spec(
            dir.path(),
            &["sh", "-c", "head -c 1000 /dev/zero > g"],
            10_000,
        ))
        .unwrap();
        assert_eq!(out.limit(), None);
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = run_command(&spec(dir.path(), &["refbench-no-such-program"], 1000)).unwrap_err();
        assert!(matches!(err, SandboxError::Spawn { .. }));
    }
}
