//! The containment layers of [`SandboxMode::Full`](super::SandboxMode::Full): what the host
//! must provide, checked once per process (`host_support`), and what is applied to each
//! command between `fork` and `exec` (`Confinement`).
//!
//! Order in the child, after std has set the process group and the working directory:
//! join the command's pids cgroup (root only), set the rlimits, restrict the file system (read
//! only below the command's [`ReadScope`](super::ReadScope), write only below its writable
//! paths) and TCP with Landlock (asserting the ruleset is fully enforced), then install the
//! seccomp filter that refuses every non-Unix socket. The program exec'd is `unshare`, which puts the command
//! in new PID and network namespaces: the command is PID 1 there, and when it, or `unshare`
//! killed by our timeout, goes away, the kernel kills every process of the namespace, `setsid`
//! daemons included.
//!
//! Everything that allocates is done in the parent before `fork`; the closure only makes
//! syscalls.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use landlock::{
    Access, AccessFs, AccessNet, CompatLevel, Compatible, Ruleset, RulesetAttr, RulesetCreated,
    RulesetCreatedAttr, RulesetStatus, ABI,
};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule,
};

use super::{Limits, SandboxError};

/// The Landlock ABI whose rights we handle: file system (including truncate and device ioctl)
/// and TCP bind/connect. Any newer kernel enforces it fully.
const LANDLOCK_ABI: ABI = ABI::V5;

/// What the host offers, found once per process.
#[derive(Debug, Clone)]
pub(crate) struct HostSupport {
    /// Absolute path of util-linux `unshare`.
    unshare: PathBuf,
    /// Not root: the namespaces need a user namespace, and RLIMIT_NPROC bounds forks.
    unprivileged: bool,
    /// Root: the pids cgroup directory under which each command gets its own group.
    pids_cgroup: Option<PathBuf>,
}

/// Checks every layer once; the answer (or the missing layer) is cached for the process.
///
/// Also makes refbench's own process non-dumpable: sandboxed code without capabilities then
/// cannot read its environment (API keys) through /proc/PID/environ.
pub(crate) fn host_support() -> Result<&'static HostSupport, SandboxError> {
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    static SUPPORT: OnceLock<Result<HostSupport, (String, String)>> = OnceLock::new();
    SUPPORT
        .get_or_init(probe_host)
        .as_ref()
        .map_err(|(layer, how)| SandboxError::LayerMissing {
            layer: layer.clone(),
            how: how.clone(),
        })
}

fn probe_host() -> Result<HostSupport, (String, String)> {
    let missing = |layer: &str, how: String| (layer.to_string(), how);
    // Landlock: a ruleset handling every right of our ABI must be creatable.
    Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(LANDLOCK_ABI))
        .and_then(|r| r.handle_access(AccessNet::from_all(LANDLOCK_ABI)))
        .and_then(|r| r.create())
        .map_err(|e| {
            missing(
                "landlock",
                format!("{e}; Landlock ABI 5 is needed (Linux 6.10 or later with `landlock` in the `lsm=` boot parameter, see /sys/kernel/security/lsm)"),
            )
        })?;
    // seccomp: the filter must compile for this architecture.
    network_filter().map_err(|e| {
        missing(
            "seccomp",
            format!(
                "{e}; a kernel built with CONFIG_SECCOMP_FILTER on x86_64 or aarch64 is needed"
            ),
        )
    })?;
    let unprivileged = !nix::unistd::geteuid().is_root();
    let unshare = which("unshare").ok_or_else(|| {
        missing(
            "pid and network namespaces",
            "`unshare` (util-linux) is not on PATH; install util-linux".into(),
        )
    })?;
    let mut probe = std::process::Command::new(&unshare);
    probe.args(namespace_args(unprivileged)).arg("true");
    if !unprivileged {
        use std::os::unix::process::CommandExt;
        // SAFETY: only syscalls.
        unsafe {
            probe.pre_exec(enter_namespaces_and_drop_capabilities);
        }
    }
    match probe.output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            return Err(missing(
                "pid and network namespaces",
                format!(
                    "`unshare {} true` in new PID and network namespaces failed: {}; run as root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, kernel.apparmor_restrict_unprivileged_userns=0)",
                    namespace_args(unprivileged).join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ))
        }
        Err(e) => {
            return Err(missing(
                "pid and network namespaces",
                format!("cannot create them for {}: {e}; run as root, or as a user allowed to create user namespaces", unshare.display()),
            ))
        }
    }
    let pids_cgroup = if unprivileged {
        None
    } else {
        Some(pids_cgroup_root().map_err(|e| {
            missing(
                "pids cgroup",
                format!("{e}; as root RLIMIT_NPROC does not bound a fork bomb: mount the pids controller read-write (cgroup v1 /sys/fs/cgroup/pids, or cgroup v2 with `pids` in cgroup.controllers), or run refbench as an unprivileged user"),
            )
        })?)
    };
    Ok(HostSupport {
        unshare,
        unprivileged,
        pids_cgroup,
    })
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Options of `unshare`. As root the namespaces are made by the child itself (see
/// [`ChildSetup::enter`]), so that it can drop every capability before exec: `unshare` then
/// only forks the command into them. Unprivileged, `unshare` makes a user namespace first.
fn namespace_args(unprivileged: bool) -> Vec<&'static str> {
    if unprivileged {
        vec![
            "--user",
            "--map-root-user",
            "--pid",
            "--net",
            "--fork",
            "--kill-child",
            "--",
        ]
    } else {
        vec!["--fork", "--kill-child", "--"]
    }
}

/// Enters new PID and network namespaces (for the children of the exec'd `unshare`) and
/// drops every capability, so that the command, although uid 0, can neither ptrace nor read
/// the environment of refbench (made non-dumpable) through /proc, mount, or leave.
fn enter_namespaces_and_drop_capabilities() -> std::io::Result<()> {
    use nix::sched::{unshare, CloneFlags};
    unshare(CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWNET)?;
    for cap in 0..64 {
        // EINVAL past the last capability the kernel knows.
        unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) };
    }
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        )
    };
    #[repr(C)]
    struct CapHeader {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    struct CapData {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    let header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let data = [
        CapData {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        },
        CapData {
            effective: 0,
            permitted: 0,
            inheritable: 0,
        },
    ];
    if unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The directory under which per-command pids cgroups are made (created if needed).
fn pids_cgroup_root() -> Result<PathBuf, String> {
    let v1 = Path::new("/sys/fs/cgroup/pids");
    if v1.join("pids.max").exists() || v1.join("cgroup.procs").exists() {
        let root = v1.join("refbench");
        std::fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
        return Ok(root);
    }
    let v2 = Path::new("/sys/fs/cgroup");
    let controllers = std::fs::read_to_string(v2.join("cgroup.controllers"))
        .map_err(|_| "no pids cgroup controller is mounted".to_string())?;
    if !controllers.split_whitespace().any(|c| c == "pids") {
        return Err("the cgroup v2 root does not offer the pids controller".into());
    }
    let root = v2.join("refbench");
    std::fs::create_dir_all(&root).map_err(|e| format!("creating {}: {e}", root.display()))?;
    for dir in [v2, root.as_path()] {
        let control = dir.join("cgroup.subtree_control");
        std::fs::write(&control, "+pids")
            .map_err(|e| format!("enabling pids in {}: {e}", control.display()))?;
    }
    Ok(root)
}

/// A per-command pids cgroup: created before the spawn, emptied (every process left in it
/// killed) and removed after.
pub(crate) struct PidsCgroup {
    dir: PathBuf,
    procs: OwnedFd,
}

impl PidsCgroup {
    fn create(root: &Path, max_pids: u64) -> Result<PidsCgroup, SandboxError> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| SandboxError::Io {
                action,
                path,
                source,
            }
        };
        // A name already taken was left by a process that had this one's PID and was killed
        // before it removed its groups: the stale group is removed (an empty group can be),
        // else the next name is tried.
        let dir = loop {
            let dir = root.join(format!(
                "cmd-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            match std::fs::create_dir(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if std::fs::remove_dir(&dir).is_ok() && std::fs::create_dir(&dir).is_ok() {
                        break dir;
                    }
                }
                Err(e) => return Err(io("creating the pids cgroup", &dir)(e)),
            }
        };
        let max = dir.join("pids.max");
        std::fs::write(&max, max_pids.to_string()).map_err(io("writing", &max))?;
        let procs_path = dir.join("cgroup.procs");
        let procs = std::fs::File::options()
            .write(true)
            .open(&procs_path)
            .map_err(io("opening", &procs_path))?;
        Ok(PidsCgroup {
            dir,
            procs: procs.into(),
        })
    }

    /// Whether a fork was refused because the group was full.
    pub(crate) fn limit_hit(&self) -> bool {
        std::fs::read_to_string(self.dir.join("pids.events"))
            .ok()
            .and_then(|s| {
                s.split_whitespace()
                    .skip_while(|w| *w != "max")
                    .nth(1)
                    .and_then(|n| n.parse::<u64>().ok())
            })
            .is_some_and(|n| n > 0)
    }

    /// Kills whatever is still in the group and removes it.
    pub(crate) fn destroy(&self) {
        use nix::sys::signal::{kill, Signal};
        for _ in 0..200 {
            let pids: Vec<i32> = std::fs::read_to_string(self.dir.join("cgroup.procs"))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect();
            for pid in &pids {
                let _ = kill(nix::unistd::Pid::from_raw(*pid), Signal::SIGKILL);
            }
            if std::fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        tracing::warn!("could not remove pids cgroup {}", self.dir.display());
    }
}

/// Refuses `socket()` for every domain but AF_UNIX (EACCES), so neither TCP, UDP, raw nor
/// netlink sockets can be made; Unix socketpairs (used by test runners) still work.
fn network_filter() -> Result<BpfProgram, String> {
    let arch = std::env::consts::ARCH
        .try_into()
        .map_err(|e| format!("unsupported architecture: {e:?}"))?;
    let not_unix = SeccompCondition::new(
        0,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::Ne,
        libc::AF_UNIX as u64,
    )
    .map_err(|e| e.to_string())?;
    let rule = SeccompRule::new(vec![not_unix]).map_err(|e| e.to_string())?;
    let mut rules = BTreeMap::new();
    rules.insert(libc::SYS_socket, vec![rule]);
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        arch,
    )
    .map_err(|e| e.to_string())?;
    filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())
}

/// What the parent keeps for one command: its pids cgroup (removed on drop) and the
/// `unshare` prefix of its argv.
pub(crate) struct Confinement {
    cgroup: Option<PidsCgroup>,
    /// `unshare` and its options, to put before the command's argv.
    pub(crate) prefix: Vec<std::ffi::OsString>,
}

/// What the child applies to itself between fork and exec ([`ChildSetup::enter`]).
pub(crate) struct ChildSetup {
    ruleset: Option<RulesetCreated>,
    filter: BpfProgram,
    rlimits: Vec<(nix::sys::resource::Resource, u64)>,
    /// Root: make the namespaces here and drop capabilities.
    privileged: bool,
    /// `cgroup.procs` of the command's pids cgroup (kept open by the parent's [`Confinement`]).
    cgroup_procs: Option<std::os::fd::RawFd>,
}

impl Confinement {
    /// Prepares the layers for a command that may read only below `readable` and write only
    /// below `writable` (which it may also read).
    pub(crate) fn prepare(
        readable: &[&Path],
        writable: &[&Path],
        limits: &Limits,
    ) -> Result<(Confinement, ChildSetup), SandboxError> {
        let host = host_support()?;
        let landlock_err = |e: landlock::RulesetError| SandboxError::LayerMissing {
            layer: "landlock".into(),
            how: e.to_string(),
        };
        let mut ruleset = Ruleset::default()
            .handle_access(AccessFs::from_all(LANDLOCK_ABI))
            .and_then(|r| r.handle_access(AccessNet::from_all(LANDLOCK_ABI)))
            .and_then(|r| r.create())
            .map_err(landlock_err)?;
        // Read and execute only below the allow-list (paths that cannot be opened are
        // skipped); no TCP bind or connect rule at all.
        ruleset = ruleset
            .add_rules(landlock::path_beneath_rules(
                readable,
                AccessFs::from_read(LANDLOCK_ABI),
            ))
            .map_err(landlock_err)?;
        let mut writable: Vec<PathBuf> = writable.iter().map(|p| p.to_path_buf()).collect();
        writable.push("/dev/null".into());
        if host.unprivileged {
            // unshare --map-root-user writes /proc/self/{uid_map,gid_map,setgroups}.
            writable.push("/proc".into());
        }
        ruleset = ruleset
            .add_rules(landlock::path_beneath_rules(
                &writable,
                AccessFs::from_all(LANDLOCK_ABI),
            ))
            .map_err(landlock_err)?;
        let filter = network_filter().map_err(|how| SandboxError::LayerMissing {
            layer: "seccomp".into(),
            how,
        })?;
        use nix::sys::resource::Resource;
        let mut rlimits = vec![
            (Resource::RLIMIT_AS, limits.address_space_bytes),
            (Resource::RLIMIT_CPU, limits.cpu_seconds),
            (Resource::RLIMIT_FSIZE, limits.file_size_bytes),
            (Resource::RLIMIT_NOFILE, limits.open_files),
            (Resource::RLIMIT_CORE, 0),
        ];
        let cgroup = match &host.pids_cgroup {
            Some(root) => Some(PidsCgroup::create(root, limits.processes)?),
            None => {
                // Unprivileged: the limit counts every process of the user, so leave room for
                // the ones already running.
                let running = std::fs::read_dir("/proc")
                    .map(|d| d.flatten().count() as u64)
                    .unwrap_or(0);
                rlimits.push((Resource::RLIMIT_NPROC, running + limits.processes));
                None
            }
        };
        let mut prefix = vec![host.unshare.clone().into_os_string()];
        prefix.extend(
            namespace_args(host.unprivileged)
                .into_iter()
                .map(Into::into),
        );
        let cgroup_procs = cgroup.as_ref().map(|c| c.procs.as_raw_fd());
        Ok((
            Confinement { cgroup, prefix },
            ChildSetup {
                ruleset: Some(ruleset),
                filter,
                rlimits,
                privileged: !host.unprivileged,
                cgroup_procs,
            },
        ))
    }

    /// The command's pids cgroup, when it has one.
    pub(crate) fn cgroup(&self) -> Option<&PidsCgroup> {
        self.cgroup.as_ref()
    }
}

impl ChildSetup {
    /// Applies the layers to the calling (freshly forked) process. Only syscalls.
    pub(crate) fn enter(&mut self) -> std::io::Result<()> {
        use std::io::Error;
        // Die with the worker thread that spawned us (refbench killed, even by SIGKILL).
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) } != 0 {
            return Err(Error::last_os_error());
        }
        if let Some(fd) = self.cgroup_procs {
            // "0" moves the writing process.
            if unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) } != 1 {
                return Err(Error::last_os_error());
            }
        }
        for (resource, limit) in &self.rlimits {
            nix::sys::resource::setrlimit(*resource, *limit, *limit)?;
        }
        if self.privileged {
            enter_namespaces_and_drop_capabilities()?;
        }
        // Only the errno reaches the parent (std passes it through a pipe), so each layer
        // fails with its own: EINVAL entered twice, EOPNOTSUPP Landlock not fully enforced,
        // the kernel's errno otherwise.
        let ruleset = self
            .ruleset
            .take()
            .ok_or_else(|| Error::from_raw_os_error(libc::EINVAL))?;
        match ruleset.restrict_self() {
            Ok(status) if status.ruleset == RulesetStatus::FullyEnforced && status.no_new_privs => {
            }
            Ok(_) => return Err(Error::from_raw_os_error(libc::EOPNOTSUPP)),
            Err(_) => return Err(Error::last_os_error()),
        }
        seccompiler::apply_filter(&self.filter).map_err(|_| Error::last_os_error())?;
        Ok(())
    }
}

impl Drop for Confinement {
    fn drop(&mut self) {
        if let Some(cgroup) = &self.cgroup {
            cgroup.destroy();
        }
    }
}
