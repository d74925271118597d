//! Toolchain: where the language tools and their caches are, and the Rust build slots.
//!
//! In: the project root, the [`CacheLayout`], the worker's index. Out: a [`Toolchain`] (the
//! environment test and detector commands get, from the task's language in `lang`: PATH with
//! the private Python environment, PYTHONPATH with the harness, CARGO_HOME, CARGO_TARGET_DIR,
//! offline cargo) and, per attempt,
//! a [`BuildSlot`]: a warm cargo target dir held exclusively, with the slot's own copy of the
//! tree, that is thrown away when the attempt's code touched it.

mod command;
pub mod deps;
pub mod pyenv;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cache::{slot_tree_path, CacheLayout};
use crate::catalog::{Language, Task};
use crate::fsutil::remove_all;
use crate::sandbox::{ReadRole, ReadScope, SandboxMode};

/// The toolchain could not be prepared or a build slot taken (harness errors).
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
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
    /// refbench's cache folder (cargo target dirs and the Python environment live there).
    pub cache: CacheLayout,
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
///
/// What later attempts build against, the dependency artifacts, is verified besides: before
/// a slot is reused, against a manifest of their hashes recorded when they were built (see
/// [`deps`]); a slot whose dependencies do not verify is discarded and rebuilt. And a tree
/// that would run its own code during the build (a build script, a proc macro, anywhere in
/// it) taints the slot before the build starts, whether that build then succeeds or not.
pub struct BuildSlot {
    pub(crate) target_dir: Option<PathBuf>,
    /// Where the attempt's commands run: the slot's copy of the tree for Rust, the attempt's
    /// own tree otherwise.
    tree: PathBuf,
    /// Why the target dir must be thrown away when the attempt ends, once it must.
    tainted: std::cell::RefCell<Option<String>>,
    /// The dependency manifest and the fixture's own package names (Rust slots).
    deps: Option<(PathBuf, std::collections::BTreeSet<String>)>,
    /// When the attempt took the slot: its disk quota counts what was written since.
    taken_at: std::time::SystemTime,
    _lock: Option<nix::fcntl::Flock<std::fs::File>>,
}

/// Renames `target` aside and removes it (the rename is atomic, so that even if removing
/// fails no later attempt takes what is left for a built slot), with its dependency
/// manifest.
fn discard_target(target: &Path, why: &str) {
    tracing::info!("discarding build cache {}: {why}", target.display());
    let _ = std::fs::remove_file(deps::manifest_path(target));
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
            "could not remove build cache {} ({e}); run `refbench cache clear --only builds`",
            target.display()
        );
    }
}

impl Drop for BuildSlot {
    /// The copy of the tree goes with the attempt (the next one makes its own at the same
    /// place), and a tainted target dir with it, while the slot is still locked.
    fn drop(&mut self) {
        if let Some(target) = &self.target_dir {
            let _ = remove_all(&self.tree);
            if let Some(why) = self.tainted.get_mut() {
                discard_target(target, why);
            } else if let Some((manifest, local)) = &self.deps {
                // Untainted: only the toolchain wrote the dependency artifacts; record the
                // new ones. A recorded one that changed means something else did.
                let clock = std::time::Instant::now();
                match deps::record(target, manifest, local) {
                    Ok(added) => tracing::debug!(
                        added,
                        ms = clock.elapsed().as_millis() as u64,
                        "dependency manifest recorded"
                    ),
                    Err(why) => discard_target(
                        target,
                        &format!("a dependency artifact changed during the attempt: {why}"),
                    ),
                }
            }
        }
    }
}

impl BuildSlot {
    /// Directories the commands of the attempt may write besides its tree (the target dir).
    pub fn writable(&self) -> Vec<PathBuf> {
        self.target_dir.iter().cloned().collect()
    }

    /// Directories what a build made (test executables) may write besides the tree when run:
    /// the target dir's `tmp/` (tests' `CARGO_TARGET_TMPDIR`) only, so that under the full
    /// sandbox a run cannot change the build cache at all.
    pub fn run_writable(&self) -> Vec<PathBuf> {
        self.target_dir.iter().map(|t| t.join("tmp")).collect()
    }

    /// When the attempt took the slot (before its tree was copied in for Rust): the disk
    /// quota counts everything written since.
    pub fn taken_at(&self) -> std::time::SystemTime {
        self.taken_at
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
            deps: None,
            taken_at: std::time::SystemTime::now(),
            _lock: None,
        }
    }

    /// Marks the target dir for deletion when the attempt ends (the first reason is kept),
    /// and says so in `log`.
    pub(crate) fn taint(&self, why: String, log: &mut String) {
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
    pub(crate) fn check_untouched_since(&self, since: std::time::SystemTime, log: &mut String) {
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
pub(crate) fn changed_since(dir: &Path, since: std::time::SystemTime) -> Vec<String> {
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
pub(crate) fn uplifted_dep_info(rel: &Path) -> bool {
    let parts: Vec<&std::ffi::OsStr> = rel.iter().collect();
    let is_d = rel.extension().is_some_and(|e| e == "d");
    is_d && (parts.len() == 2 || (parts.len() == 3 && parts[1] == "examples"))
}

/// Now, by the clock the kernel stamps inode changes with (a coarse one, up to a tick behind
/// the fine clock): the change time of a file written in `scratch` now, returned once that
/// clock has moved on, so that everything written before the call has a change time at or
/// before the mark and everything written after it one strictly after (a write in the same
/// tick would otherwise look older than the mark). Costs up to one clock tick (a few ms).
/// Falls back to the fine clock.
pub(crate) fn clock_mark(scratch: &Path) -> std::time::SystemTime {
    let mark = scratch.join(".clock-mark");
    let stamp = || {
        std::fs::write(&mark, b"")
            .and_then(|()| mark.symlink_metadata())
            .map(|m| changed_at(&m))
    };
    let Ok(first) = std::fs::create_dir_all(scratch).and_then(|()| stamp()) else {
        return std::time::SystemTime::now();
    };
    let deadline = std::time::Instant::now() + Duration::from_millis(50);
    while std::time::Instant::now() < deadline {
        match stamp() {
            Ok(now) if now > first => break,
            Ok(_) => std::thread::sleep(Duration::from_micros(500)),
            Err(_) => break,
        }
    }
    first
}

/// When an inode last changed (its ctime).
pub(crate) fn changed_at(m: &std::fs::Metadata) -> std::time::SystemTime {
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
pub(crate) fn settings_above(tree: &Path) -> Option<PathBuf> {
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
/// settings or a toolchain file in it (a `rustc-wrapper`, a `runner`, a toolchain path), or
/// a package in it with a build script or a proc macro ([`runs_own_code_at_build`]). Known
/// before the build starts, so a build script that fails after writing into the build cache
/// taints it as surely as one that succeeds.
pub(crate) fn tree_steers_the_build(tree: &Path) -> Option<String> {
    [".cargo", "rust-toolchain", "rust-toolchain.toml"]
        .into_iter()
        .find(|name| tree.join(name).symlink_metadata().is_ok())
        .map(|name| format!("the tree has {name}, which cargo or rustup would follow"))
        .or_else(|| runs_own_code_at_build(tree))
}

/// A package of `tree` (any `Cargo.toml` in it, `target/` and `.git/` left out) whose build
/// runs its code: a `build.rs` beside the manifest, a `build` key, or `proc-macro = true`.
pub(crate) fn runs_own_code_at_build(tree: &Path) -> Option<String> {
    let mut stack = vec![tree.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let manifest = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            let rel = dir.strip_prefix(tree).unwrap_or(&dir).join("Cargo.toml");
            let value: Option<toml::Value> = toml::from_str(&text).ok();
            let package = value.as_ref().and_then(|v| v.get("package"));
            let lib = value.as_ref().and_then(|v| v.get("lib"));
            let build_key = package.and_then(|p| p.get("build"));
            if dir.join("build.rs").symlink_metadata().is_ok()
                && build_key.and_then(|b| b.as_bool()) != Some(false)
            {
                return Some(format!("{} has a build script (build.rs)", rel.display()));
            }
            if let Some(script) = build_key.and_then(|b| b.as_str()) {
                return Some(format!("{} has a build script ({script})", rel.display()));
            }
            let proc_macro = |k: &str| lib.and_then(|l| l.get(k)).and_then(|v| v.as_bool());
            if proc_macro("proc-macro") == Some(true) || proc_macro("proc_macro") == Some(true) {
                return Some(format!("{} is a proc macro", rel.display()));
            }
        }
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            if entry.file_type().is_ok_and(|t| t.is_dir()) && name != "target" && name != ".git" {
                stack.push(entry.path());
            }
        }
    }
    None
}

/// Makes `tree` (absent) a copy of `repo` (its `.git` left out: cargo does not read it), every
/// file written now. (cargo tells a changed source by its mtime: a tree made before the
/// previous attempt's build, by another worker, and moved in as it is would look older than
/// that build and be taken as unchanged; whatever makes the tree after [`Toolchain::take_slot`]
/// must write or touch every file.) The folder is made anew, private, and never through a
/// link that someone else left at its (predictable) name: [`Toolchain::take_slot`] removed
/// whatever stood there, and making it fails if anything does again.
pub(crate) fn refresh_slot_tree(repo: &Path, tree: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(tree)?;
    crate::materialize::copy_tree_filtered(repo, tree, &|rel| rel != Path::new(".git"))
        .map_err(std::io::Error::other)
}

/// Copies a cargo target dir to `to` (absent), through a temporary name so that a half-made
/// copy never looks built.
pub(crate) fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
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
    pub fn build_slot(&self, task: &Task, repo: &Path) -> Result<BuildSlot, ToolchainError> {
        let slot = self.take_slot(task, repo)?;
        if slot.target_dir.is_some() {
            refresh_slot_tree(repo, &slot.tree).map_err(|e| ToolchainError::Runner {
                language: task.language,
                detail: format!(
                    "copying {} into the build cache at {}: {e}",
                    repo.display(),
                    slot.tree.display()
                ),
            })?;
        }
        Ok(slot)
    }

    /// [`Toolchain::build_slot`] without the copy: for Rust, the slot's [`BuildSlot::tree`] is
    /// absent and the caller makes it (after taking the slot, so that every file in it is
    /// newer than the slot's last build); other languages run in `own_tree`.
    pub fn take_slot(&self, task: &Task, own_tree: &Path) -> Result<BuildSlot, ToolchainError> {
        if task.language != Language::Rust {
            return Ok(BuildSlot::none(own_tree));
        }
        use nix::fcntl::{Flock, FlockArg};
        let root = self.cache.cargo_targets();
        let runner = |detail: String| ToolchainError::Runner {
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
        // What this attempt will build against must be what was built: verify the
        // dependency artifacts before reuse; a slot that does not verify (or has no manifest:
        // made by an older refbench, or left by a crash before its first attempt ended) is
        // rebuilt.
        let local = deps::local_packages(&task.repo_dir.join("Cargo.toml"));
        let manifest = deps::manifest_path(&dir(n));
        if dir(n).is_dir() {
            let clock = std::time::Instant::now();
            let verified = deps::verify(&dir(n), &manifest, &local);
            tracing::debug!(
                ms = clock.elapsed().as_millis() as u64,
                ?verified,
                "dependency artifacts verified"
            );
            let why = match verified {
                deps::Verified::Intact { .. } => None,
                deps::Verified::NoManifest => Some("it has no dependency manifest".to_string()),
                deps::Verified::Changed(why) => Some(why),
            };
            if let Some(why) = why {
                tracing::warn!(
                    "build cache {} does not verify against its dependency manifest ({why}); rebuilding it",
                    dir(n).display()
                );
                discard_target(&dir(n), &why);
            }
        }
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
                // Failing to seed costs parallelism, never correctness: go on without it. The
                // copy is of a slot verified just now, made while both are locked: its
                // manifest is the original's, pinned to the copy's files.
                let seeded = copy_dir(&dir(n), &dir(m)).and_then(|()| {
                    deps::repin_copy(&manifest, &dir(m), &deps::manifest_path(&dir(m)))
                });
                if let Err(e) = seeded {
                    tracing::warn!("seeding build cache {}: {e}", dir(m).display());
                }
            }
        }
        let taken_at = std::time::SystemTime::now();
        let tree = slot_tree_path(&dir(n));
        if let Some(found) = settings_above(&tree) {
            return Err(runner(format!(
                "{} belongs to another user and would configure cargo or rustup for every Rust attempt built in {}; remove it, or point TMPDIR at a folder only you can write",
                found.display(),
                tree.parent().unwrap_or(&tree).display()
            )));
        }
        if tree.symlink_metadata().is_ok() {
            remove_all(&tree).map_err(|e| runner(format!("removing {}: {e}", tree.display())))?;
        }
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
            deps: Some((manifest, local)),
            taken_at,
            _lock: Some(lock),
        })
    }

    /// A toolchain for worker `worker`, preparing the private Python environment when Python
    /// tasks are to be graded.
    pub fn prepare(
        root: &Path,
        cache: &CacheLayout,
        worker: usize,
        needs_python: bool,
    ) -> Result<Toolchain, ToolchainError> {
        let python_bin = if needs_python {
            Some(pyenv::prepare_python_env(root, cache)?)
        } else {
            None
        };
        // Commands run in attempt folders: a relative cache path would name a new build cache
        // inside every attempt.
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        Ok(Toolchain {
            root: absolute(root),
            cache: cache.clone(),
            worker,
            slots: 1,
            python_bin,
            sandbox: SandboxMode::Full,
        })
    }

    /// Worker 0 of `slots`, with its cache in `cache`, no Python environment, the full
    /// sandbox.
    #[cfg(test)]
    pub(crate) fn in_cache(cache: &Path, slots: usize) -> Toolchain {
        Toolchain {
            root: PathBuf::new(),
            cache: CacheLayout::new(cache),
            worker: 0,
            slots,
            python_bin: None,
            sandbox: SandboxMode::Full,
        }
    }

    /// What `task`'s test and detector commands on `slot` may read besides their tree and
    /// scratch: the system folders, the harness (`harness/` of the project, not the rest of
    /// the checkout), the slot's build cache, and what the language's environment names: for
    /// Rust `RUSTUP_HOME` and `CARGO_HOME` (its registry and binaries; never its credentials),
    /// for Python the private environment and the interpreter it was made from (without one,
    /// the `python3` on PATH and the folder above its `bin`).
    pub fn read_scope(&self, task: &Task, slot: &BuildSlot) -> ReadScope {
        let build_cache: Vec<&Path> = slot.target_dir.iter().map(PathBuf::as_path).collect();
        self.scope_with(task, slot, &build_cache)
    }

    /// [`Toolchain::read_scope`] for what a build made, run: of the build cache only
    /// `programs` (the executables that build made), none of what earlier attempts left.
    pub fn run_read_scope(&self, task: &Task, slot: &BuildSlot, programs: &[PathBuf]) -> ReadScope {
        let programs: Vec<&Path> = programs.iter().map(PathBuf::as_path).collect();
        self.scope_with(task, slot, &programs)
    }

    fn scope_with(&self, task: &Task, slot: &BuildSlot, build_cache: &[&Path]) -> ReadScope {
        let mut scope = ReadScope::system().with(ReadRole::Harness, self.root.join("harness"));
        for path in build_cache {
            scope.add(ReadRole::BuildCache, *path);
        }
        for (key, value) in self.env(task, slot) {
            match key.as_str() {
                "RUSTUP_HOME" => scope.add(ReadRole::Toolchain, value),
                "CARGO_HOME" => {
                    for entry in crate::sandbox::scope::cargo_home_entries(Path::new(&value)) {
                        scope.add(ReadRole::Toolchain, entry);
                    }
                }
                _ => {}
            }
        }
        if task.language == Language::Python {
            let bin = self.python_bin.clone().or_else(|| {
                let path = std::env::var_os("PATH")?;
                std::env::split_paths(&path)
                    .map(|d| d.join("python3"))
                    .find(|p| p.is_file())
                    .and_then(|p| p.parent().map(Path::to_path_buf))
            });
            if let Some(venv) = bin.as_deref().and_then(Path::parent) {
                scope.add(ReadRole::PythonEnv, venv);
                if let Some(prefix) = crate::sandbox::scope::venv_base_prefix(venv) {
                    scope.add(ReadRole::PythonEnv, prefix);
                }
            }
        }
        scope
    }

    /// The environment of `task`'s test and detector commands on `slot`: no colour, and
    /// what the task's language asks for ([`crate::lang::LanguageSupport::test_env`]).
    pub(crate) fn env(&self, task: &Task, slot: &BuildSlot) -> Vec<(String, String)> {
        let mut env = vec![("NO_COLOR".to_string(), "1".to_string())];
        let host = |name: &str| std::env::var(name).ok();
        env.extend(
            crate::lang::support(task.language).test_env(&crate::lang::EnvInputs {
                project_root: &self.root,
                python_bin: self.python_bin.as_deref(),
                target_dir: slot.target_dir.as_deref(),
                host: &host,
            }),
        );
        env
    }
}

#[cfg(test)]
mod tests;
