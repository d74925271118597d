//! Score: checks the architectural rules, runs hidden tests and seeded-bug detectors on a
//! patched attempt, and grades it.
//!
//! In: the attempt's repository (base + applied reply, protected files restored), the
//! [`crate::patch::Applied`] outcome, the [`Task`] (with its rules) and its [`SeededBug`]s, and
//! a [`Toolchain`] saying where the language tools and caches are. Out: a [`Scored`] attempt:
//! the [`Verdict`], one field per dimension (per-test statuses, the FAIL_TO_PASS and
//! PASS_TO_PASS sets and the [`TestGrade`]; per-detector [`DetectorStatus`]; per-rule
//! [`RuleResult`] with evidence; hygiene flags; resolved = all clean) and the logs to keep as
//! artifacts; or a [`ScoreError`] when the harness itself could not run the tests (never
//! recorded as a model failure).
//!
//! Steps: check the task's rules on the dependency graph of the tree the edit left
//! ([`rules`], the packer's graph code), before anything else is copied in. Then, as in
//! SWE-bench: copy the task's hidden/ files in; take a build slot ([`BuildSlot`]: for Rust, a
//! copy of the tree at a fixed place and a warm cargo target dir); run the language's test
//! command in the sandbox (for Rust in two phases, build then run, so that whatever the
//! attempt's code writes into the shared build cache is caught and the cache discarded);
//! parse its machine-readable output ([`parse`]); grade the status map
//! against the task's lists ([`grade`]). A test missing from the output counts as failed, so a
//! build failure fails every test. Then, for each seeded bug, copy its detector/ files in and
//! run its command: exit 0 within the limit means no race was found; anything else (failure,
//! crash, timeout: a hang is a deadlock) means the bug is still there.

pub mod parse;
pub mod pyenv;
pub mod rules;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fsutil::remove_all;
use crate::materialize::overlay_files;
use crate::sandbox::{run_command, CommandOutput, CommandSpec, Limits, SandboxError, SandboxMode};
use crate::task::{BugId, Language, SeededBug, Task, TestId};
pub use parse::TestStatus;
pub use rules::{RuleResult, RuleStatus};

/// Output kept per command, per stream.
const OUTPUT_CAP: usize = 256 * 1024;

/// Harness failures while scoring.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The sandbox could not run a command.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// Copying hidden tests or detectors failed.
    #[error("copying {what}: {source}")]
    Overlay {
        /// hidden tests or which detector.
        what: String,
        /// The cause.
        source: crate::materialize::MaterializeError,
    },
    /// The tree could not be parsed for the architectural rules.
    #[error("checking the architectural rules: {0}")]
    Rules(crate::pack::PackError),
    /// The test runner itself is missing or broken on this machine.
    #[error("the {language} test runner could not run: {detail}")]
    Runner {
        /// Which language.
        language: Language,
        /// What it printed.
        detail: String,
    },
}

/// Where the language toolchains and their caches are. Everything here is environment the
/// sandbox passes to test commands on purpose; nothing secret.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The refbench project root (its `harness/python` goes on PYTHONPATH).
    pub root: PathBuf,
    /// refbench's cache directory (cargo target dirs live below it).
    pub cache_dir: PathBuf,
    /// Worker slot, so parallel workers never share a cargo target dir.
    pub worker: usize,
    /// How many cargo target dirs per fixture to keep (the number of workers): when fewer are
    /// built, a worker that holds a built one copies it into a new one (see
    /// [`Toolchain::build_slot`]).
    pub slots: usize,
    /// `bin` of the private Python environment (see [`pyenv`]); put first on PATH for Python
    /// fixtures. `None` uses the machine's python3.
    pub python_bin: Option<PathBuf>,
    /// Containment of every test and detector command.
    pub sandbox: SandboxMode,
}

/// Exclusive use of a build cache (a cargo target dir) while an attempt's tree is built and
/// tested. Dropping it releases the lock.
///
/// A Rust attempt is built and tested in the slot's own copy of its tree (see
/// [`slot_tree_path`]), not in the attempt folder: rustc's incremental cache is only reused
/// when the crate is compiled at the same path, so every attempt on a slot compiles at the same
/// place and recompiles only what differs from the slot's last build. The copy is made afresh
/// for each attempt (every file new, so cargo never takes an attempt's crate for fresh: it is
/// always rebuilt from its own sources, incrementally), and a target dir is only ever used by
/// one attempt at a time (an flock, across processes too). Dependencies (shuttle) stay
/// compiled.
///
/// The target dir is writable by the attempt's commands (cargo builds there), so what they
/// leave in it must not reach later attempts. Each cargo command runs in two phases: the build
/// (`cargo test --no-run`), in which only the toolchain writes, and the run; anything
/// in the target dir changed after the build (by its inode change time, which a process cannot
/// set back) means the attempt's code wrote there. So does a build that ran code of the tree
/// (a build script, a proc macro, `.cargo/` settings, a `rust-toolchain` file). Either way the
/// slot is *tainted*: its target dir is deleted when the attempt ends, and the next attempt
/// starts from a clean build. `target/tmp` (`CARGO_TARGET_TMPDIR`, tests' own scratch space)
/// is emptied before every attempt instead.
pub struct BuildSlot {
    target_dir: Option<PathBuf>,
    /// Where the attempt's commands run: the slot's copy of the tree for Rust, the attempt's
    /// own tree otherwise.
    tree: PathBuf,
    /// Why the target dir must be thrown away when the attempt ends, once it must.
    tainted: std::cell::RefCell<Option<String>>,
    _lock: Option<nix::fcntl::Flock<std::fs::File>>,
}

impl Drop for BuildSlot {
    /// The copy of the tree goes with the attempt (the next one makes its own at the same
    /// place), and a tainted target dir with it, while the slot is still locked.
    fn drop(&mut self) {
        if let Some(target) = &self.target_dir {
            let _ = remove_all(&self.tree);
            if let Some(why) = self.tainted.get_mut() {
                tracing::info!("discarding build cache {}: {why}", target.display());
                // Renamed first (atomic), so that even if removing fails no later attempt
                // takes what is left for a built slot.
                let mut name = target.as_os_str().to_owned();
                name.push(".discarded");
                let gone = PathBuf::from(name);
                if gone.symlink_metadata().is_ok() {
                    let _ = remove_all(&gone);
                }
                let removed = match std::fs::rename(target, &gone) {
                    Ok(()) => remove_all(&gone),
                    Err(_) => remove_all(target),
                };
                if let Err(e) = removed {
                    tracing::warn!(
                        "could not remove tainted build cache {} ({e}); run `refbench cache clear --only builds`",
                        target.display()
                    );
                }
            }
        }
    }
}

/// Where the Rust build slot with target dir `target_dir` builds its copy of an attempt's tree:
/// `refbench-build-UID-SLOT-HASH` in the temp dir, like the attempt folders. Not under the
/// cache dir, whose parent folders may hold a Cargo workspace, a `.cargo/config.toml` or a
/// `rust-toolchain.toml` that cargo and rustup would apply to the fixture. The name is fixed
/// per slot (the incremental cache needs the same path every time), per user and per cache
/// (the hash of the target dir's absolute path).
pub fn slot_tree_path(target_dir: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    use std::os::unix::ffi::OsStrExt;
    let target_dir = std::path::absolute(target_dir).unwrap_or_else(|_| target_dir.to_path_buf());
    let digest = Sha256::digest(target_dir.as_os_str().as_bytes());
    let hash = crate::materialize::hex(&digest[..6]);
    let slot = target_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::env::temp_dir().join(format!(
        "refbench-build-{}-{slot}-{hash}",
        nix::unistd::geteuid()
    ))
}

/// Removes the trees of the build slots in `cargo_target` (a cache's `cargo-target`), for
/// `refbench cache clear`. Missing ones are fine.
pub fn remove_slot_trees(cargo_target: &Path) -> std::io::Result<()> {
    let Ok(entries) = std::fs::read_dir(cargo_target) else {
        return Ok(());
    };
    // A slot is known by its target dir or, before cargo made that, by its lock file.
    let slots: std::collections::BTreeSet<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .map(|p| match p.extension() {
            Some(x) if x == "lock" => p.with_extension(""),
            _ => p,
        })
        .collect();
    for slot in slots {
        let tree = slot_tree_path(&slot);
        if tree.symlink_metadata().is_ok() {
            remove_all(&tree)?;
        }
    }
    Ok(())
}

impl BuildSlot {
    /// Directories the commands of the attempt may write besides its tree (the target dir).
    pub fn writable(&self) -> Vec<PathBuf> {
        self.target_dir.iter().cloned().collect()
    }

    /// The tree the attempt's commands run in (and detectors are copied into).
    pub fn tree(&self) -> &Path {
        &self.tree
    }

    /// A slot for languages without a build cache: commands run in the attempt's own tree.
    pub fn none(repo: &Path) -> BuildSlot {
        BuildSlot {
            target_dir: None,
            tree: repo.to_path_buf(),
            tainted: std::cell::RefCell::new(None),
            _lock: None,
        }
    }

    /// Marks the target dir for deletion when the attempt ends (the first reason is kept),
    /// and says so in `log`.
    fn taint(&self, why: String, log: &mut String) {
        if self.target_dir.is_some() {
            log.push_str(&format!(
                "# {why}: the build cache is discarded after this attempt\n"
            ));
            self.tainted.borrow_mut().get_or_insert(why);
        }
    }

    /// Whether the slot will be thrown away, and why.
    pub fn tainted(&self) -> Option<String> {
        self.tainted.borrow().clone()
    }

    /// Taints the slot if anything in its target dir (but `tmp/`) changed after `since`, the
    /// end of a command's build phase.
    fn check_untouched_since(&self, since: std::time::SystemTime, log: &mut String) {
        let Some(target) = &self.target_dir else {
            return;
        };
        let clock = std::time::Instant::now();
        let changed = changed_since(target, since);
        tracing::debug!(
            ms = clock.elapsed().as_millis() as u64,
            changed = changed.len(),
            "build cache checked"
        );
        if !changed.is_empty() {
            let shown: Vec<&str> = changed.iter().take(3).map(String::as_str).collect();
            let more = changed.len().saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            self.taint(
                format!(
                    "the attempt's code changed the build cache ({}{more})",
                    shown.join(", ")
                ),
                log,
            );
        }
    }
}

/// Entries of `dir` (itself included, `tmp/` left out, links not followed) whose inode
/// changed after `since`, as paths relative to it, sorted. An unreadable folder counts as
/// changed: the toolchain never makes one.
fn changed_since(dir: &Path, since: std::time::SystemTime) -> Vec<String> {
    let mut changed = Vec::new();
    match dir.symlink_metadata() {
        Ok(m) if changed_at(&m) <= since => {}
        _ => changed.push(".".to_string()),
    }
    // Folders to read, relative to `dir`. Entries are stat'ed through their folder
    // (`DirEntry::metadata`, which does not follow links), not by full path.
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&rel)) else {
            changed.push(rel.to_string_lossy().into_owned());
            continue;
        };
        for entry in entries.flatten() {
            let path = rel.join(entry.file_name());
            if path == Path::new("tmp") || uplifted_dep_info(&path) {
                continue;
            }
            match entry.metadata() {
                Ok(m) => {
                    if changed_at(&m) > since {
                        changed.push(path.to_string_lossy().into_owned());
                    }
                    if m.is_dir() {
                        stack.push(path);
                    }
                }
                Err(_) => changed.push(path.to_string_lossy().into_owned()),
            }
        }
    }
    changed.sort();
    changed.dedup();
    changed
}

/// Whether `rel` (in a target dir) is a dep-info file cargo copies next to the artifacts of a
/// profile for other build systems (`debug/NAME.d`, `debug/examples/NAME.d`). cargo never
/// reads them back, and a `cargo test` run may rewrite them after `--no-run` built everything.
fn uplifted_dep_info(rel: &Path) -> bool {
    let parts: Vec<&std::ffi::OsStr> = rel.iter().collect();
    let is_d = rel.extension().is_some_and(|e| e == "d");
    is_d && (parts.len() == 2 || (parts.len() == 3 && parts[1] == "examples"))
}

/// Now, by the clock the kernel stamps inode changes with (a coarse one, up to a tick behind
/// the fine clock): the change time of a file written in `scratch` now. Falls back to the fine
/// clock.
fn clock_mark(scratch: &Path) -> std::time::SystemTime {
    let mark = scratch.join(".clock-mark");
    std::fs::create_dir_all(scratch)
        .and_then(|()| std::fs::write(&mark, b""))
        .and_then(|()| mark.symlink_metadata())
        .map(|m| changed_at(&m))
        .unwrap_or_else(|_| std::time::SystemTime::now())
}

/// When an inode last changed (its ctime).
fn changed_at(m: &std::fs::Metadata) -> std::time::SystemTime {
    use std::os::unix::fs::MetadataExt;
    std::time::UNIX_EPOCH
        + Duration::new(
            m.ctime().max(0) as u64,
            m.ctime_nsec().clamp(0, 999_999_999) as u32,
        )
}

/// A cargo or rustup settings file in a folder above `tree` that another user owns, which
/// cargo and rustup would apply to a build in it (`.cargo/config.toml`, `.cargo/config`,
/// `rust-toolchain.toml`, `rust-toolchain`): the temp dir is shared, and anyone can create
/// `/tmp/.cargo`. The user's own files and root's are theirs to keep.
fn settings_above(tree: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let me = nix::unistd::geteuid().as_raw();
    tree.ancestors().skip(1).find_map(|dir| {
        [
            ".cargo/config.toml",
            ".cargo/config",
            "rust-toolchain.toml",
            "rust-toolchain",
        ]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|p| {
            p.symlink_metadata()
                .is_ok_and(|m| m.uid() != me && m.uid() != 0)
        })
    })
}

/// Why a build of `tree` may run the tree's own code besides rustc on its sources: cargo
/// settings or a toolchain file in it (a `rustc-wrapper`, a `runner`, a toolchain path).
fn tree_steers_the_build(tree: &Path) -> Option<String> {
    [".cargo", "rust-toolchain", "rust-toolchain.toml"]
        .into_iter()
        .find(|name| tree.join(name).symlink_metadata().is_ok())
        .map(|name| format!("the tree has {name}, which cargo or rustup would follow"))
}

/// Replaces `tree` with a copy of `repo` (its `.git` left out: cargo does not read it), every
/// file written now. The folder is made anew, private, and never through a link that someone
/// else left at its (predictable) name.
fn refresh_slot_tree(repo: &Path, tree: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if tree.symlink_metadata().is_ok() {
        remove_all(tree)?;
    }
    std::fs::DirBuilder::new().mode(0o700).create(tree)?;
    crate::materialize::copy_tree_filtered(repo, tree, &|rel| rel != Path::new(".git"))
        .map_err(std::io::Error::other)
}

/// Copies a cargo target dir to `to` (absent), through a temporary name so that a half-made
/// copy never looks built.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    let tmp = to.with_extension("seeding");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    let status = std::process::Command::new("cp")
        .args(["-a", "--reflink=auto"])
        .arg(from)
        .arg(&tmp)
        .status()?;
    if !status.success() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(std::io::Error::other(format!("cp -a exited with {status}")));
    }
    std::fs::rename(&tmp, to)
}

impl Toolchain {
    /// Takes a build slot for grading `task` in `repo`: for Rust, the first free cargo target
    /// dir of the fixture (`cargo-target/FIXTURE-wN`), waiting for `-w0` if all are taken.
    pub fn build_slot(&self, task: &Task, repo: &Path) -> Result<BuildSlot, ScoreError> {
        if task.language != Language::Rust {
            return Ok(BuildSlot::none(repo));
        }
        use nix::fcntl::{Flock, FlockArg};
        let root = self.cache_dir.join("cargo-target");
        let runner = |detail: String| ScoreError::Runner {
            language: task.language,
            detail,
        };
        std::fs::create_dir_all(&root)
            .map_err(|e| runner(format!("creating {}: {e}", root.display())))?;
        let open = |n: usize| {
            let path = root.join(format!("{}-w{n}.lock", task.fixture));
            std::fs::File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .map_err(|e| runner(format!("opening {}: {e}", path.display())))
        };
        // Only slots that have been built are used once one exists: a fresh slot would compile
        // every dependency (shuttle and its tree) from scratch, minutes on a busy machine. So
        // the first attempt of a fixture builds w0, and later ones take a free built slot or
        // wait for one; a worker holding a built slot seeds new ones by copying it (below).
        let built: Vec<usize> = (0..64)
            .filter(|n| root.join(format!("{}-w{n}", task.fixture)).is_dir())
            .collect();
        let mut chosen = None;
        if built.is_empty() {
            let lock = Flock::lock(open(0)?, FlockArg::LockExclusive)
                .map_err(|(_, e)| runner(format!("locking a build cache: {e}")))?;
            chosen = Some((0, lock));
        } else {
            let start = self.worker % built.len();
            for i in 0..built.len() {
                let n = built[(start + i) % built.len()];
                if let Ok(lock) = Flock::lock(open(n)?, FlockArg::LockExclusiveNonblock) {
                    chosen = Some((n, lock));
                    break;
                }
            }
        }
        let (n, lock) = match chosen {
            Some(c) => c,
            None => {
                let n = built[self.worker % built.len()];
                let lock = Flock::lock(open(n)?, FlockArg::LockExclusive)
                    .map_err(|(_, e)| runner(format!("locking a build cache: {e}")))?;
                (n, lock)
            }
        };
        let dir = |n: usize| root.join(format!("{}-w{n}", task.fixture));
        // Seed ahead: while this worker holds a built slot (so nothing writes it), copy it into
        // a new slot, up to one per worker. cargo then finds every dependency fresh there and
        // rebuilds only the fixture crate: about a second of copying instead of minutes of
        // compiling, and from then on the fixture's Rust attempts run in parallel.
        if dir(n).is_dir() && built.len() < self.slots {
            let free = (0..64).filter(|m| !dir(*m).exists()).find_map(|m| {
                let file = open(m).ok()?;
                Flock::lock(file, FlockArg::LockExclusiveNonblock)
                    .ok()
                    .map(|l| (m, l))
            });
            if let Some((m, _seed_lock)) = free {
                // Failing to seed costs parallelism, never correctness: go on without it.
                if let Err(e) = copy_dir(&dir(n), &dir(m)) {
                    tracing::warn!("seeding build cache {}: {e}", dir(m).display());
                }
            }
        }
        let tree = slot_tree_path(&dir(n));
        if let Some(found) = settings_above(&tree) {
            return Err(runner(format!(
                "{} belongs to another user and would configure cargo or rustup for every Rust attempt built in {}; remove it, or point TMPDIR at a folder only you can write",
                found.display(),
                tree.parent().unwrap_or(&tree).display()
            )));
        }
        refresh_slot_tree(repo, &tree).map_err(|e| {
            runner(format!(
                "copying {} into the build cache at {}: {e}",
                repo.display(),
                tree.display()
            ))
        })?;
        // Tests' scratch space (CARGO_TARGET_TMPDIR) starts empty: nothing an earlier
        // attempt's tests left there is seen by this one's.
        let tmp = dir(n).join("tmp");
        if tmp.symlink_metadata().is_ok() {
            remove_all(&tmp)
                .and_then(|()| std::fs::create_dir(&tmp))
                .map_err(|e| runner(format!("emptying {}: {e}", tmp.display())))?;
        }
        Ok(BuildSlot {
            target_dir: Some(dir(n)),
            tree,
            tainted: std::cell::RefCell::new(None),
            _lock: Some(lock),
        })
    }

    /// A toolchain for worker `worker`, preparing the private Python environment when Python
    /// tasks are to be graded.
    pub fn prepare(
        root: &Path,
        cache_dir: &Path,
        worker: usize,
        needs_python: bool,
    ) -> Result<Toolchain, ScoreError> {
        let python_bin = if needs_python {
            Some(pyenv::prepare_python_env(root, cache_dir)?)
        } else {
            None
        };
        // Commands run in attempt folders: a relative cache path would name a new build cache
        // inside every attempt.
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        Ok(Toolchain {
            root: absolute(root),
            cache_dir: absolute(cache_dir),
            worker,
            slots: 1,
            python_bin,
            sandbox: SandboxMode::Full,
        })
    }

    fn env(&self, task: &Task, slot: &BuildSlot) -> Vec<(String, String)> {
        let mut env = vec![("NO_COLOR".to_string(), "1".to_string())];
        match task.language {
            Language::Python => {
                if let Some(bin) = &self.python_bin {
                    let path = std::env::var("PATH").unwrap_or_default();
                    env.push(("PATH".into(), format!("{}:{path}", bin.display())));
                }
                let harness = self.root.join("harness").join("python");
                env.push(("PYTHONPATH".into(), harness.display().to_string()));
                env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
                env.push(("PYTHONHASHSEED".into(), "0".into()));
            }
            Language::Rust => {
                let home = std::env::var("HOME").unwrap_or_default();
                let cargo_home =
                    std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{home}/.cargo"));
                let rustup_home =
                    std::env::var("RUSTUP_HOME").unwrap_or_else(|_| format!("{home}/.rustup"));
                env.push(("CARGO_HOME".into(), cargo_home));
                env.push(("RUSTUP_HOME".into(), rustup_home));
                if let Some(target) = &slot.target_dir {
                    env.push(("CARGO_TARGET_DIR".into(), target.display().to_string()));
                }
                env.push(("CARGO_NET_OFFLINE".into(), "true".into()));
                env.push(("CARGO_TERM_COLOR".into(), "never".into()));
                // Incremental: the slot's tree is always at the same path (see [`BuildSlot`]),
                // so rustc reuses what the last attempt on the slot compiled.
                env.push(("CARGO_INCREMENTAL".into(), "1".into()));
                // No debug info: nothing reads it (tests report panics by location, not
                // backtrace), and without it rebuilding and linking the fixture crate's test
                // binaries after a patch takes about 40% less time.
                env.push(("CARGO_PROFILE_DEV_DEBUG".into(), "0".into()));
                env.push(("CARGO_PROFILE_TEST_DEBUG".into(), "0".into()));
            }
        }
        env
    }
}

/// Which list of the task a test belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TestKind {
    /// Hidden test that must go from failing to passing.
    FailToPass,
    /// Visible test that must keep passing.
    PassToPass,
}

/// One graded test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test id.
    pub id: TestId,
    /// Its list.
    pub kind: TestKind,
    /// Its status.
    pub status: TestStatus,
}

/// SWE-bench's resolution levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TestGrade {
    /// Every FAIL_TO_PASS and PASS_TO_PASS test passes.
    Full,
    /// Some but not all FAIL_TO_PASS pass; every PASS_TO_PASS passes.
    Partial,
    /// Anything else.
    No,
}

impl std::fmt::Display for TestGrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TestGrade::Full => "FULL",
            TestGrade::Partial => "PARTIAL",
            TestGrade::No => "NO",
        })
    }
}

/// What a detector found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorStatus {
    /// Exit 0 within the limit: no race found.
    Passed,
    /// Non-zero exit or a signal: the race (or a build break) is there.
    Failed,
    /// Ran out of time: counted as a hang, i.e. detected.
    TimedOut,
}

impl std::fmt::Display for DetectorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DetectorStatus::Passed => "passed",
            DetectorStatus::Failed => "failed",
            DetectorStatus::TimedOut => "timed-out",
        })
    }
}

/// One detector run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectorResult {
    /// The bug it looks for.
    pub bug: BugId,
    /// What it found.
    pub status: DetectorStatus,
    /// `exit 1`, `timed out after 60.0 s`, ...
    pub detail: String,
    /// Wall time.
    pub duration_ms: u64,
    /// The part of it cargo spent building (Rust detectors; `None` otherwise or when cargo
    /// printed no build time).
    #[serde(default)]
    pub build_ms: Option<u64>,
}

/// The grade of the test suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestsVerdict {
    /// FULL / PARTIAL / NO.
    pub grade: TestGrade,
    /// Every test of both lists with its status, FAIL_TO_PASS first, each list in task order.
    pub tests: Vec<TestResult>,
    /// FAIL_TO_PASS passing / total.
    pub f2p: (usize, usize),
    /// PASS_TO_PASS passing / total.
    pub p2p: (usize, usize),
    /// The build failed (no test binary ran).
    pub build_failed: bool,
    /// The test command hit its time limit.
    pub timed_out: bool,
    /// How the test command ended.
    pub detail: String,
    /// Wall time of the test commands (after a build error, with the build and run of the
    /// targets that compile).
    pub duration_ms: u64,
    /// The part of it spent building, as cargo reports it (Rust only; `None` when it printed
    /// no build time, e.g. the build failed).
    #[serde(default)]
    pub build_ms: Option<u64>,
}

/// The verdict on one attempt, one field per dimension; each is reported apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The test suite.
    pub tests: TestsVerdict,
    /// One per seeded bug, in the task's order.
    pub detectors: Vec<DetectorResult>,
    /// One per architectural rule of the task, in the task's order.
    #[serde(default)]
    pub rules: Vec<RuleResult>,
    /// Hygiene flags raised by the edit: protected files it changed (restored before grading)
    /// and placeholder lines standing for elided code.
    #[serde(default)]
    pub hygiene: Vec<String>,
    /// Every dimension clean: tests FULL, every detector passed, every rule holds, no hygiene
    /// flag. (An edit that did not apply is never scored.)
    pub resolved: bool,
}

impl Verdict {
    /// Every architectural rule holds (true when the task has none).
    pub fn rules_hold(&self) -> bool {
        self.rules.iter().all(|r| r.status == RuleStatus::Holds)
    }

    /// Every detector passed: the seeded races are fixed.
    pub fn races_fixed(&self) -> bool {
        self.detectors
            .iter()
            .all(|d| d.status == DetectorStatus::Passed)
    }
}

/// The hygiene flags of an applied edit (see [`Verdict::hygiene`]).
pub fn hygiene_flags(applied: &crate::patch::Applied) -> Vec<String> {
    applied
        .protected_touched
        .iter()
        .map(|p| format!("changed protected file {p} (restored)"))
        .chain(
            applied
                .hygiene
                .placeholders
                .iter()
                .map(|p| format!("placeholder for elided code at {p}")),
        )
        .collect()
}

/// A verdict with the logs to keep.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The verdict.
    pub verdict: Verdict,
    /// Time spent parsing the tree and checking the architectural rules.
    pub rules_ms: u64,
    /// Time spent putting the hidden tests and detectors in place and taking the build slot
    /// (for Rust, the copy of the tree at the slot's place).
    pub setup_ms: u64,
    /// Time spent parsing the test runner's report and grading it (FAIL_TO_PASS, PASS_TO_PASS,
    /// the verdict).
    pub grade_ms: u64,
    /// (artifact file name, contents).
    pub logs: Vec<(String, String)>,
}

/// Grades a status map against the task's lists, SWE-bench style.
pub fn grade(
    task: &Task,
    statuses: &parse::StatusMap,
) -> (TestGrade, Vec<TestResult>, (usize, usize), (usize, usize)) {
    let lookup = |id: &TestId| statuses.get(id).copied().unwrap_or(TestStatus::Missing);
    let mut tests = Vec::new();
    for id in &task.fail_to_pass {
        tests.push(TestResult {
            id: id.clone(),
            kind: TestKind::FailToPass,
            status: lookup(id),
        });
    }
    for id in &task.pass_to_pass {
        tests.push(TestResult {
            id: id.clone(),
            kind: TestKind::PassToPass,
            status: lookup(id),
        });
    }
    let count = |kind: TestKind| {
        let of_kind = tests.iter().filter(|t| t.kind == kind);
        let total = of_kind.clone().count();
        let passed = of_kind.filter(|t| t.status.is_pass()).count();
        (passed, total)
    };
    let f2p = count(TestKind::FailToPass);
    let p2p = count(TestKind::PassToPass);
    let grade = if f2p.0 == f2p.1 && p2p.0 == p2p.1 {
        TestGrade::Full
    } else if f2p.0 > 0 && p2p.0 == p2p.1 {
        TestGrade::Partial
    } else {
        TestGrade::No
    };
    (grade, tests, f2p, p2p)
}

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

/// Runs the task's test suite (hidden tests already in place) and grades it.
pub fn run_tests(
    task: &Task,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
) -> Result<(TestsVerdict, String), ScoreError> {
    let run = run_suite(task, repo, scratch, toolchain, slot)?;
    let (verdict, log, _) = grade_suite(task, run);
    Ok((verdict, log))
}

/// Runs the task's test command (see [`run_tests`]), without grading.
fn run_suite(
    task: &Task,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
) -> Result<SuiteRun, ScoreError> {
    let commands = AttemptCommands {
        task,
        repo,
        toolchain,
        slot,
    };
    match task.language {
        Language::Python => run_pytest(&commands, scratch),
        Language::Rust => run_cargo_tests(&commands, scratch),
    }
}

/// Grades what the test command found; also returns the time parsing its report and grading
/// took.
fn grade_suite(task: &Task, run: SuiteRun) -> (TestsVerdict, String, u64) {
    let started = std::time::Instant::now();
    let (grade, tests, f2p, p2p) = grade(task, &run.statuses);
    let grade_ms = run.parse_ms + started.elapsed().as_millis() as u64;
    (
        TestsVerdict {
            grade,
            tests,
            f2p,
            p2p,
            build_failed: run.build_failed,
            timed_out: run.timed_out,
            detail: run.detail,
            duration_ms: run.duration_ms,
            build_ms: run.build_ms,
        },
        run.log,
        grade_ms,
    )
}

/// What a language's test commands found, before grading.
struct SuiteRun {
    statuses: parse::StatusMap,
    build_failed: bool,
    timed_out: bool,
    /// How the last command ended.
    detail: String,
    /// The test commands' wall time, all phases.
    duration_ms: u64,
    build_ms: Option<u64>,
    /// Time spent parsing the runner's report.
    parse_ms: u64,
    log: String,
}

/// What every command of one attempt shares: the task, the tree it runs in, the toolchain
/// and the build slot.
struct AttemptCommands<'a> {
    task: &'a Task,
    repo: &'a Path,
    toolchain: &'a Toolchain,
    slot: &'a BuildSlot,
}

impl AttemptCommands<'_> {
    /// Runs `argv` sandboxed in the attempt's tree, with `scratch` as its own scratch dir.
    fn run(
        &self,
        scratch: &Path,
        argv: &[String],
        timeout: Duration,
    ) -> Result<CommandOutput, SandboxError> {
        run_command(&CommandSpec {
            argv: argv.to_vec(),
            cwd: self.repo.to_path_buf(),
            scratch: scratch.to_path_buf(),
            env: self.toolchain.env(self.task, self.slot),
            timeout,
            output_cap: OUTPUT_CAP,
            merge_output: true,
            writable: self.slot.writable(),
            limits: Limits::for_timeout(timeout),
            sandbox: self.toolchain.sandbox,
        })
    }

    /// Runs a cargo build with `--message-format=json-render-diagnostics` in `argv`: logs its
    /// output without cargo's JSON, and taints the slot if the build ran the tree's own code.
    fn build(
        &self,
        scratch: &Path,
        argv: &[String],
        timeout: Duration,
        log: &mut String,
    ) -> Result<(CommandOutput, parse::CargoTestBuild), SandboxError> {
        let out = self.run(scratch, argv, timeout)?;
        let build = parse::parse_cargo_test_build(&out.stdout);
        let human = CommandOutput {
            stdout: build.human.clone(),
            ..out.clone()
        };
        log.push_str(&format_log(argv, &human));
        if let Some(why) = &build.ran_local_code {
            self.slot
                .taint(format!("the build ran the tree's own code: {why}"), log);
        }
        Ok((out, build))
    }
}

fn run_pytest(commands: &AttemptCommands<'_>, scratch: &Path) -> Result<SuiteRun, ScoreError> {
    let task = commands.task;
    // Inside the command's scratch directory: the only place besides the tree it may write.
    let junit = scratch.join("tests").join("junit.xml");
    let argv: Vec<String> = vec![
        "python3".into(),
        "-m".into(),
        "pytest".into(),
        "-p".into(),
        "no:cacheprovider".into(),
        "-o".into(),
        "junit_family=xunit1".into(),
        // One hidden test module that does not import (the interface is missing) must not
        // stop pytest from running, and grading, every other test.
        "--continue-on-collection-errors".into(),
        format!("--junitxml={}", junit.display()),
    ];
    let timeout = Duration::from_secs(task.timeouts.tests);
    let out = commands.run(&scratch.join("tests"), &argv, timeout)?;
    let parse_started = std::time::Instant::now();
    let statuses = match std::fs::read_to_string(&junit) {
        Ok(xml) => parse::parse_pytest_junit(&xml).map_err(|detail| ScoreError::Runner {
            language: task.language,
            detail,
        })?,
        Err(_) if out.stdout.contains("No module named pytest") => {
            return Err(ScoreError::Runner {
                language: task.language,
                detail: "pytest is not installed for python3 (pip install pytest)".into(),
            })
        }
        // No report at all (killed, crashed at start-up): every test is missing.
        Err(_) => parse::StatusMap::new(),
    };
    Ok(SuiteRun {
        statuses,
        build_failed: false,
        timed_out: out.timed_out,
        detail: out.describe(),
        duration_ms: out.duration_ms,
        build_ms: None,
        parse_ms: parse_started.elapsed().as_millis() as u64,
        log: format_log(&argv, &out),
    })
}

/// `cargo test` in two phases. The build: `cargo test --no-run`, which builds what the run
/// needs (test targets, examples); if a test target does not compile (cargo stops at the
/// first, even with --no-fail-fast), `cargo build --tests --keep-going` builds every one that
/// does and its JSON messages name them, because a hidden test file that does not compile (the
/// model's interface is wrong) must fail its own tests, not hide every other target's results.
/// The run: `cargo test --no-fail-fast`, of everything (doctests too) if all compiled, else of
/// the targets that did; it finds everything built. Whatever the run changed in the build
/// cache taints it (see [`BuildSlot`]).
fn run_cargo_tests(commands: &AttemptCommands<'_>, scratch: &Path) -> Result<SuiteRun, ScoreError> {
    let AttemptCommands {
        task, repo, slot, ..
    } = *commands;
    let limit = Duration::from_secs(task.timeouts.tests);
    let started = std::time::Instant::now();
    let mut log = String::new();
    if let Some(why) = tree_steers_the_build(repo) {
        slot.taint(why, &mut log);
    }
    // What `cargo test` builds (examples and all), so that the run finds everything fresh.
    let argv: Vec<String> = [
        "cargo",
        "test",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]
    .map(String::from)
    .to_vec();
    let (built, mut build) =
        commands.build(&scratch.join("tests-build"), &argv, limit, &mut log)?;
    let mut suite = SuiteRun {
        statuses: parse::StatusMap::new(),
        build_failed: true,
        timed_out: built.timed_out,
        detail: built.describe(),
        duration_ms: built.duration_ms,
        build_ms: parse::cargo_build_ms(&built.stdout),
        parse_ms: 0,
        log: String::new(),
    };
    let mut said = built.stdout.clone();
    if build.finished && !build.success && !built.timed_out {
        // cargo stopped at the first target that did not compile: build every one that does.
        log.push_str("# a test target did not compile: building every target that does\n");
        let argv: Vec<String> = [
            "cargo",
            "build",
            "--tests",
            "--keep-going",
            "--message-format=json-render-diagnostics",
        ]
        .map(String::from)
        .to_vec();
        let remaining = limit.saturating_sub(started.elapsed());
        let (again, each) = commands.build(
            &scratch.join("tests-build-each"),
            &argv,
            remaining,
            &mut log,
        )?;
        said.push_str(&again.stdout);
        build = each;
        suite.timed_out = again.timed_out;
        suite.detail = again.describe();
        suite.duration_ms += again.duration_ms;
        suite.build_ms = suite.build_ms.or(parse::cargo_build_ms(&again.stdout));
    }
    let since = clock_mark(scratch);
    if !build.finished {
        let runner = |detail: &str| ScoreError::Runner {
            language: task.language,
            detail: detail.into(),
        };
        if said.contains("unexpected argument '--keep-going'") {
            return Err(runner("cargo is too old: grading needs `cargo build --keep-going` (cargo 1.74 or newer); update the toolchain (rustup update)"));
        }
        if said.contains("unexpected argument '--message-format") {
            return Err(runner("cargo is too old: grading needs JSON build messages (cargo 1.74 or newer); update the toolchain (rustup update)"));
        }
        let offline_failure = [
            "failed to get `",
            "failed to load source for dependency",
            "--offline was specified",
            "no matching package named",
        ]
        .iter()
        .any(|needle| said.contains(needle));
        if offline_failure {
            return Err(runner("cargo could not resolve the fixture's dependencies offline; they are fetched when the base is materialized (check network access to crates.io and CARGO_HOME)"));
        }
        // A manifest the attempt broke, a build killed by a limit: no test ran.
        if !suite.timed_out {
            log.push_str("# cargo did not finish the build; no test ran\n");
        }
        suite.log = log;
        return Ok(suite);
    }
    let mut argv: Vec<String> = vec!["cargo".into(), "test".into(), "--no-fail-fast".into()];
    if !build.success {
        if build.targets.is_empty() {
            log.push_str("# no test target compiled; no test ran\n");
            suite.log = log;
            return Ok(suite);
        }
        argv.extend(build.targets.into_iter().flatten());
    }
    let remaining = limit.saturating_sub(started.elapsed());
    if remaining.is_zero() {
        log.push_str("# time limit reached during the build; no test ran\n");
        suite.log = log;
        return Ok(suite);
    }
    let out = commands.run(&scratch.join("tests"), &argv, remaining)?;
    log.push_str(&format_log(&argv, &out));
    slot.check_untouched_since(since, &mut log);
    let parse_started = std::time::Instant::now();
    let report = parse::parse_libtest(&out.stdout);
    suite.parse_ms = parse_started.elapsed().as_millis() as u64;
    suite.build_failed = report.binaries_run == 0 && !(build.success && out.success());
    suite.statuses = report.statuses;
    suite.timed_out = out.timed_out;
    suite.detail = out.describe();
    suite.duration_ms += out.duration_ms;
    suite.log = log;
    Ok(suite)
}

/// Runs one seeded bug's detector (its files already in place). A Rust detector that is a
/// `cargo test` command runs in two phases like the tests (`--no-run` first), and whatever
/// its run changed in the build cache taints it; any other command on a build cache taints it
/// if it changed anything there at all.
pub fn run_detector(
    task: &Task,
    bug: &SeededBug,
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    slot: &BuildSlot,
) -> Result<(DetectorResult, String), ScoreError> {
    let commands = AttemptCommands {
        task,
        repo,
        toolchain,
        slot,
    };
    let limit = Duration::from_secs(bug.detector.timeout.min(task.timeouts.detector));
    let scratch = scratch.join(format!("detector-{}", bug.id.0.replace('/', "__")));
    let started = std::time::Instant::now();
    let argv = &bug.detector.command;
    let mut log = String::new();
    let mut duration_ms = 0;
    let mut build_ms = None;
    // When the last build ended (for a command that is not `cargo test`: when it started).
    let mut since = std::time::SystemTime::now();
    if slot.target_dir.is_some() {
        since = clock_mark(&scratch);
    }
    let cargo_test = task.language == Language::Rust
        && argv.len() >= 2
        && argv[0] == "cargo"
        && argv[1] == "test";
    if task.language == Language::Rust {
        if let Some(why) = tree_steers_the_build(repo) {
            slot.taint(why, &mut log);
        }
    }
    if cargo_test {
        // The build flags go before a `--` that passes the rest to the test binaries.
        let at = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
        let mut build_argv = argv[..at].to_vec();
        build_argv.extend([
            "--no-run".into(),
            "--message-format=json-render-diagnostics".into(),
        ]);
        let (built, build) =
            commands.build(&scratch.join("build"), &build_argv, limit, &mut log)?;
        since = clock_mark(&scratch);
        duration_ms += built.duration_ms;
        build_ms = parse::cargo_build_ms(&built.stdout);
        if !build.success {
            // The detector does not build (the attempt broke what it uses): it failed, and
            // a second build would only fail again (and write into the cache while "running").
            let status = if built.timed_out {
                DetectorStatus::TimedOut
            } else {
                DetectorStatus::Failed
            };
            return Ok((
                DetectorResult {
                    bug: bug.id.clone(),
                    status,
                    detail: built.describe(),
                    duration_ms,
                    build_ms,
                },
                log,
            ));
        }
    }
    let remaining = limit.saturating_sub(started.elapsed());
    let out = commands.run(&scratch, argv, remaining)?;
    duration_ms += out.duration_ms;
    log.push_str(&format_log(argv, &out));
    slot.check_untouched_since(since, &mut log);
    let status = if out.timed_out || remaining.is_zero() {
        DetectorStatus::TimedOut
    } else if out.success() {
        DetectorStatus::Passed
    } else {
        DetectorStatus::Failed
    };
    Ok((
        DetectorResult {
            bug: bug.id.clone(),
            status,
            detail: out.describe(),
            duration_ms,
            build_ms: build_ms.or_else(|| build_ms_of(task, &out)),
        },
        log,
    ))
}

/// The build time cargo printed in a command's output (Rust fixtures; Python has no build).
fn build_ms_of(task: &Task, out: &CommandOutput) -> Option<u64> {
    match task.language {
        Language::Rust => parse::cargo_build_ms(&out.stdout),
        Language::Python => None,
    }
}

/// Scores an applied attempt: architectural rules on the tree as the edit left it, then the
/// hidden tests, then each detector.
pub fn score_attempt(
    task: &Task,
    bugs: &[&SeededBug],
    repo: &Path,
    scratch: &Path,
    toolchain: &Toolchain,
    applied: &crate::patch::Applied,
) -> Result<Scored, ScoreError> {
    // Before the hidden tests are copied in: the rules judge the model's tree.
    let rules_started = std::time::Instant::now();
    let rules = rules::check_rules(
        &task.arch_rules,
        repo,
        Some(&crate::pack::parse_cache_in(&toolchain.cache_dir)),
    )
    .map_err(ScoreError::Rules)?;
    let rules_ms = rules_started.elapsed().as_millis() as u64;
    let hygiene = hygiene_flags(applied);
    let setup_started = std::time::Instant::now();
    overlay_files(&task.hidden_dir(), repo).map_err(|source| ScoreError::Overlay {
        what: "hidden tests".into(),
        source,
    })?;
    // From here on the commands run in the slot's tree (a copy at a fixed place for Rust).
    let slot = toolchain.build_slot(task, repo)?;
    let mut setup_ms = setup_started.elapsed().as_millis() as u64;
    let tree = slot.tree();
    let run = run_suite(task, tree, scratch, toolchain, &slot)?;
    let (tests, test_log, grade_ms) = grade_suite(task, run);
    let mut logs = vec![("tests.log".to_string(), test_log)];
    let mut detectors = Vec::new();
    for bug in bugs {
        let overlay_started = std::time::Instant::now();
        overlay_files(&bug.detector_dir(), tree).map_err(|source| ScoreError::Overlay {
            what: format!("the detector of {}", bug.id),
            source,
        })?;
        setup_ms += overlay_started.elapsed().as_millis() as u64;
        let (result, log) = run_detector(task, bug, tree, scratch, toolchain, &slot)?;
        logs.push((format!("detector-{}.log", bug.id.0.replace('/', "__")), log));
        detectors.push(result);
    }
    let mut verdict = Verdict {
        tests,
        detectors,
        rules,
        hygiene,
        resolved: false,
    };
    verdict.resolved = verdict.tests.grade == TestGrade::Full
        && verdict.races_fixed()
        && verdict.rules_hold()
        && verdict.hygiene.is_empty();
    Ok(Scored {
        verdict,
        rules_ms,
        setup_ms,
        grade_ms,
        logs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{Language, Task, Timeouts};

    #[test]
    fn toolchain_paths_are_absolute() {
        let t = Toolchain::prepare(Path::new("."), Path::new("rel/cache"), 0, false).unwrap();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(t.cache_dir, cwd.join("rel/cache"));
        assert!(t.root.is_absolute(), "{}", t.root.display());
    }

    fn task(f2p: &[&str], p2p: &[&str]) -> Task {
        Task {
            id: crate::task::TaskId("f/t".into()),
            fixture: "f".into(),
            language: Language::Python,
            title: "t".into(),
            statement: "s".into(),
            requirements: vec![],
            interface: "i".into(),
            seeded_bugs: vec![],
            fail_to_pass: f2p.iter().map(|s| TestId(s.to_string())).collect(),
            pass_to_pass: p2p.iter().map(|s| TestId(s.to_string())).collect(),
            protected: vec![],
            protected_set: globset::GlobSet::empty(),
            arch_rules: vec![],
            gold_patch: String::new(),
            timeouts: Timeouts::default(),
            dir: PathBuf::new(),
            repo_dir: PathBuf::new(),
            file: PathBuf::new(),
            text: String::new(),
        }
    }

    fn statuses(pairs: &[(&str, TestStatus)]) -> parse::StatusMap {
        pairs
            .iter()
            .map(|(k, v)| (TestId(k.to_string()), *v))
            .collect()
    }

    #[test]
    fn grading_follows_swe_bench() {
        let t = task(&["a::f1", "a::f2"], &["a::p1"]);
        use TestStatus::*;
        let full = statuses(&[("a::f1", Passed), ("a::f2", Passed), ("a::p1", Passed)]);
        assert_eq!(grade(&t, &full).0, TestGrade::Full);
        let partial = statuses(&[("a::f1", Passed), ("a::f2", Failed), ("a::p1", Passed)]);
        assert_eq!(grade(&t, &partial).0, TestGrade::Partial);
        let p2p_broken = statuses(&[("a::f1", Passed), ("a::f2", Passed), ("a::p1", Failed)]);
        assert_eq!(grade(&t, &p2p_broken).0, TestGrade::No);
        let none = statuses(&[("a::f1", Failed), ("a::f2", Skipped), ("a::p1", Passed)]);
        assert_eq!(grade(&t, &none).0, TestGrade::No);
    }

    #[test]
    fn a_missing_test_counts_as_failed() {
        let t = task(&["a::f1"], &["a::p1"]);
        let (g, tests, f2p, _) = grade(&t, &statuses(&[("a::f1", TestStatus::Passed)]));
        assert_eq!(g, TestGrade::No);
        assert_eq!(tests[1].status, TestStatus::Missing);
        assert_eq!(f2p, (1, 1));
    }

    /// [`task`] for the Rust fixture `fx`.
    fn rust_task(f2p: &[&str], p2p: &[&str]) -> Task {
        let mut t = task(f2p, p2p);
        t.language = Language::Rust;
        t.fixture = "fx".into();
        t
    }

    /// Worker 0 of `slots`, with its cache in `cache`.
    fn toolchain_in(cache: &Path, slots: usize) -> Toolchain {
        Toolchain {
            root: PathBuf::new(),
            cache_dir: cache.to_path_buf(),
            worker: 0,
            slots,
            python_bin: None,
            sandbox: SandboxMode::Full,
        }
    }

    #[test]
    fn a_held_built_slot_seeds_one_more_per_worker() {
        let cache = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::fs::write(repo.path().join("lib.rs"), "").unwrap();
        let t = rust_task(&["a::f"], &[]);
        let built = cache.path().join("cargo-target/fx-w0/debug");
        std::fs::create_dir_all(&built).unwrap();
        std::fs::write(built.join("artifact"), "compiled").unwrap();
        let toolchain = toolchain_in(cache.path(), 2);
        let slot = toolchain.build_slot(&t, repo.path()).unwrap();
        assert_eq!(
            slot.target_dir.as_deref(),
            Some(cache.path().join("cargo-target/fx-w0").as_path())
        );
        let seeded = cache.path().join("cargo-target/fx-w1/debug/artifact");
        assert_eq!(std::fs::read_to_string(&seeded).unwrap(), "compiled");
        // While w0 is held, the next attempt takes the seeded copy instead of waiting.
        let other = toolchain.build_slot(&t, repo.path()).unwrap();
        assert_eq!(
            other.target_dir.as_deref(),
            Some(cache.path().join("cargo-target/fx-w1").as_path())
        );
        drop((slot, other));
        // Enough slots for the workers: no third copy.
        let _again = toolchain.build_slot(&t, repo.path()).unwrap();
        assert!(!cache.path().join("cargo-target/fx-w2").exists());
    }

    #[test]
    fn a_rust_attempt_runs_in_a_fresh_copy_at_the_slots_fixed_place() {
        use std::os::unix::fs::PermissionsExt;
        let cache = tempfile::tempdir().unwrap();
        let t = rust_task(&["a::f"], &[]);
        let toolchain = toolchain_in(cache.path(), 1);
        let first = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(first.path().join(".git")).unwrap();
        std::fs::create_dir_all(first.path().join("src")).unwrap();
        std::fs::write(first.path().join("src/lib.rs"), "pub fn a() {}").unwrap();
        std::fs::write(first.path().join("src/old.rs"), "").unwrap();
        let slot = toolchain.build_slot(&t, first.path()).unwrap();
        let tree = slot.tree().to_path_buf();
        let target = cache.path().join("cargo-target/fx-w0");
        assert_eq!(tree, slot_tree_path(&target));
        // In the temp dir, away from whatever Cargo.toml or rust-toolchain.toml sits above the
        // cache; one per slot and per cache.
        assert!(tree.starts_with(std::env::temp_dir()));
        assert!(tree.to_string_lossy().contains("-fx-w0-"));
        let other_cache = tempfile::tempdir().unwrap();
        assert_ne!(
            tree,
            slot_tree_path(&other_cache.path().join("cargo-target/fx-w0"))
        );
        assert_eq!(
            std::fs::read_to_string(tree.join("src/lib.rs")).unwrap(),
            "pub fn a() {}"
        );
        assert!(
            !tree.join(".git").exists(),
            "cargo does not need the history"
        );
        // The copy goes with the attempt, even a folder its tests locked up.
        let lock_up = |tree: &Path| {
            std::fs::create_dir_all(tree.join("junk/deeper")).unwrap();
            std::fs::set_permissions(tree.join("junk"), std::fs::Permissions::from_mode(0o000))
                .unwrap();
        };
        lock_up(&tree);
        drop(slot);
        assert!(!tree.exists());
        // And what a killed run left there goes before the next attempt.
        std::fs::create_dir_all(tree.join("src")).unwrap();
        std::fs::write(tree.join("src/old.rs"), "").unwrap();
        lock_up(&tree);

        let second = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(second.path().join("src")).unwrap();
        std::fs::write(second.path().join("src/lib.rs"), "pub fn b() {}").unwrap();
        let before = std::time::SystemTime::now() - Duration::from_secs(1);
        let slot = toolchain.build_slot(&t, second.path()).unwrap();
        assert_eq!(slot.tree(), tree, "the same place every time");
        let lib = tree.join("src/lib.rs");
        assert_eq!(std::fs::read_to_string(&lib).unwrap(), "pub fn b() {}");
        assert!(!tree.join("src/old.rs").exists());
        assert!(!tree.join("junk").exists());
        // Newer than any earlier build: cargo rebuilds the crate from these sources.
        assert!(std::fs::metadata(&lib).unwrap().modified().unwrap() > before);
        assert_eq!(slot.writable(), vec![target.clone()]);
        drop(slot);

        // A link left at the predictable name is replaced, never written through.
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), &tree).unwrap();
        let slot = toolchain.build_slot(&t, second.path()).unwrap();
        assert!(!tree.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
        drop(slot);

        assert!(!tree.exists());

        // `refbench cache clear --only builds` takes along what a killed run left.
        std::fs::create_dir_all(&tree).unwrap();
        remove_slot_trees(&cache.path().join("cargo-target")).unwrap();
        assert!(!tree.exists());
    }

    #[test]
    fn a_test_target_that_does_not_compile_fails_alone() {
        // A std-only crate: the library's unit test, two integration tests that compile (one
        // passing, one failing) and one that does not (the attempt left out what it uses).
        let cache = tempfile::tempdir().unwrap();
        let repo = crate_with(&[
            (
                "src/lib.rs",
                "pub fn one() -> u32 { 1 }\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn unit() { assert_eq!(super::one(), 1); }\n}\n",
            ),
            ("tests/ok.rs", "#[test]\nfn fine() { assert_eq!(fx::one(), 1); }\n"),
            ("tests/bad.rs", "#[test]\nfn wrong() { assert_eq!(fx::one(), 2); }\n"),
            ("tests/new.rs", "#[test]\nfn works() { assert_eq!(fx::two(), 2); }\n"),
        ]);
        let t = rust_task(
            &["tests/new.rs::works"],
            &[
                "src/lib.rs::tests::unit",
                "tests/ok.rs::fine",
                "tests/bad.rs::wrong",
            ],
        );
        let mut toolchain = toolchain_in(cache.path(), 1);
        toolchain.sandbox = SandboxMode::None;
        let slot = toolchain.build_slot(&t, repo.path()).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let (verdict, log) = run_tests(&t, slot.tree(), scratch.path(), &toolchain, &slot).unwrap();
        let status = |id: &str| {
            verdict
                .tests
                .iter()
                .find(|r| r.id.0 == id)
                .map(|r| r.status)
                .unwrap()
        };
        assert_eq!(
            status("src/lib.rs::tests::unit"),
            TestStatus::Passed,
            "{log}"
        );
        assert_eq!(status("tests/ok.rs::fine"), TestStatus::Passed, "{log}");
        assert_eq!(status("tests/bad.rs::wrong"), TestStatus::Failed, "{log}");
        assert_eq!(status("tests/new.rs::works"), TestStatus::Missing, "{log}");
        assert!(!verdict.build_failed);
        // Built once with --keep-going, run once: the broken target named, the others run.
        assert!(
            log.contains("could not compile `fx` (test \"new\")"),
            "{log}"
        );
        assert!(
            log.contains("$ cargo test --no-fail-fast --lib --test bad --test ok\n"),
            "{log}"
        );
        assert!(
            !log.contains("{\"reason\""),
            "cargo's JSON stays out of the log"
        );
    }

    /// A std-only crate `fx` in a new folder, with `files` (path, text) besides its manifest.
    fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let repo = tempfile::tempdir().unwrap();
        let manifest =
            "[package]\nname = \"fx\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n";
        for (path, text) in [("Cargo.toml", manifest)].iter().chain(files) {
            let path = repo.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        repo
    }

    /// [`crate_with`] a library, an example (`cargo test` builds examples) and `tests/t.rs`
    /// with `body` as its one test, `t`.
    fn tiny_crate(body: &str) -> tempfile::TempDir {
        crate_with(&[
            ("src/lib.rs", "pub fn one() -> u32 { 1 }\n"),
            (
                "examples/ex.rs",
                "fn main() { println!(\"{}\", fx::one()); }\n",
            ),
            ("tests/t.rs", &format!("#[test]\nfn t() {{ {body} }}\n")),
        ])
    }

    #[test]
    fn what_an_attempt_writes_into_the_build_cache_is_thrown_away() {
        let cache = tempfile::tempdir().unwrap();
        let t = rust_task(&["tests/t.rs::t"], &[]);
        let mut toolchain = toolchain_in(cache.path(), 1);
        toolchain.sandbox = SandboxMode::None;
        let target = cache.path().join("cargo-target/fx-w0");
        let attempt = |body: &str| {
            let repo = tiny_crate(body);
            let slot = toolchain.build_slot(&t, repo.path()).unwrap();
            let scratch = tempfile::tempdir().unwrap();
            let (verdict, log) =
                run_tests(&t, slot.tree(), scratch.path(), &toolchain, &slot).unwrap();
            assert_eq!(verdict.grade, TestGrade::Full, "{log}");
            (slot.tainted(), log)
        };

        // Tests that only read, and write their own scratch space: the cache stays.
        let (tainted, log) = attempt(
            "std::fs::write(concat!(env!(\"CARGO_TARGET_TMPDIR\"), \"/left\"), \"x\").unwrap();",
        );
        assert_eq!(tainted, None, "{log}");
        assert!(target.join("debug").is_dir());
        assert!(target.join("tmp/left").is_file());

        // The next attempt does not see it; its test plants a file beside its own binary.
        let (tainted, log) = attempt(
            "assert!(std::path::Path::new(env!(\"CARGO_TARGET_TMPDIR\")).is_dir()); \
             assert!(!std::path::Path::new(concat!(env!(\"CARGO_TARGET_TMPDIR\"), \"/left\")).exists()); \
             let exe = std::env::current_exe().unwrap(); \
             std::fs::write(exe.with_file_name(\"planted\"), \"x\").unwrap();",
        );
        let why = tainted.unwrap_or_else(|| panic!("not tainted:\n{log}"));
        assert!(why.contains("debug/deps/planted"), "{why}");
        assert!(
            log.contains("the build cache is discarded after this attempt"),
            "{log}"
        );
        assert!(!target.exists(), "discarded when the attempt ended");

        // Cargo settings in the tree may run code at build time: the cache goes too.
        let repo = tiny_crate("");
        std::fs::create_dir_all(repo.path().join(".cargo")).unwrap();
        std::fs::write(repo.path().join(".cargo/config.toml"), "").unwrap();
        let slot = toolchain.build_slot(&t, repo.path()).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        run_tests(&t, slot.tree(), scratch.path(), &toolchain, &slot).unwrap();
        assert!(slot.tainted().unwrap().contains(".cargo"));
        drop(slot);
        assert!(!target.exists());
    }

    #[test]
    fn only_uplifted_dep_info_and_tmp_escape_the_build_cache_check() {
        let target = tempfile::tempdir().unwrap();
        for dir in [
            "debug/deps",
            "debug/examples",
            "debug/.fingerprint/fx-1",
            "tmp",
        ] {
            std::fs::create_dir_all(target.path().join(dir)).unwrap();
        }
        let since = clock_mark(&target.path().join("tmp"));
        assert_eq!(changed_since(target.path(), since), Vec::<String>::new());
        std::thread::sleep(Duration::from_millis(20));
        for file in [
            "debug/fx.d",
            "debug/examples/ex.d",
            "tmp/scratch",
            "debug/deps/ex-1.d",
            "debug/.fingerprint/fx-1/dep-lib-fx",
        ] {
            std::fs::write(target.path().join(file), "").unwrap();
        }
        assert_eq!(
            changed_since(target.path(), since),
            vec![
                "debug".to_string(),
                "debug/.fingerprint/fx-1".into(),
                "debug/.fingerprint/fx-1/dep-lib-fx".into(),
                "debug/deps".into(),
                "debug/deps/ex-1.d".into(),
                "debug/examples".into(),
            ]
        );
    }

    #[test]
    fn cargo_settings_another_user_left_above_the_build_tree_are_refused() {
        let top = tempfile::tempdir().unwrap();
        let tree = top.path().join("tmp/refbench-build-0-fx-w0-abc");
        assert_eq!(settings_above(&tree), None);
        let config = top.path().join("tmp/.cargo/config.toml");
        std::fs::create_dir_all(config.parent().unwrap()).unwrap();
        std::fs::write(&config, "").unwrap();
        // The user's own: kept.
        assert_eq!(settings_above(&tree), None);
        // Someone else's (a user that cannot be us: only root may give files away).
        if nix::unistd::geteuid().is_root() {
            let nobody = nix::unistd::Uid::from_raw(65534);
            nix::unistd::chown(&config, Some(nobody), None).unwrap();
            assert_eq!(settings_above(&tree), Some(config));
        }
    }

    #[test]
    fn a_python_attempt_runs_in_its_own_tree() {
        let repo = tempfile::tempdir().unwrap();
        let toolchain = toolchain_in(Path::new("/nonexistent"), 1);
        let slot = toolchain.build_slot(&task(&[], &[]), repo.path()).unwrap();
        assert_eq!(slot.tree(), repo.path());
        assert!(slot.writable().is_empty());
    }

    #[test]
    fn a_skipped_required_test_is_not_a_pass() {
        let t = task(&["a::f1"], &[]);
        let (g, ..) = grade(&t, &statuses(&[("a::f1", TestStatus::Skipped)]));
        assert_eq!(g, TestGrade::No);
    }
}
