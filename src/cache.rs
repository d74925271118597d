//! refbench's cache folder (`--cache-dir`, `REFBENCH_CACHE`, default `~/.cache/refbench`):
//! what is in it, how big each part is, and clearing it safely.
//!
//! In: the cache folder. Out: per-part sizes ([`usage`]) and removal ([`clear`]). Everything
//! in the cache can be rebuilt (bases from the fixtures, builds and the Python environment from
//! the registries, parse results from the sources); model replies in `responses/` cost money to
//! get again, so clearing everything asks for them by name.
//!
//! Runs and validations hold a shared lock on `.in-use` while they execute attempts
//! ([`hold`]); [`clear`] takes it exclusively without waiting, so it never removes a base or a
//! build cache from under a running attempt.
//!
//! [`CacheLayout`] is the one place the folder names are spelled: every stage that keeps
//! something in the cache is handed a layout and asks it for its folder.

use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::Serialize;

/// A part of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CachePart {
    /// Materialized task bases (`bases/`).
    Bases,
    /// Cargo build caches per Rust fixture and worker (`cargo-target/`).
    Builds,
    /// The private Python environment with the pinned test tools (`python/`).
    Python,
    /// Upstream fixtures' archives and unpacked trees (`upstream/`).
    Upstream,
    /// The packer's parse results and token counts (`pack-facts/`).
    Pack,
    /// Cached model replies (`responses/`); paid for, so never cleared unless named.
    Responses,
}

impl CachePart {
    /// Every part, in display order.
    pub const ALL: [CachePart; 6] = [
        CachePart::Bases,
        CachePart::Builds,
        CachePart::Python,
        CachePart::Upstream,
        CachePart::Pack,
        CachePart::Responses,
    ];

    /// The part's folder name under the cache folder.
    pub fn dir_name(self) -> &'static str {
        match self {
            CachePart::Bases => "bases",
            CachePart::Builds => "cargo-target",
            CachePart::Python => "python",
            CachePart::Upstream => "upstream",
            CachePart::Pack => "pack-facts",
            CachePart::Responses => "responses",
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CachePart::Bases => "bases",
            CachePart::Builds => "builds",
            CachePart::Python => "python",
            CachePart::Upstream => "upstream",
            CachePart::Pack => "pack",
            CachePart::Responses => "responses",
        }
    }

    /// What the part holds and what clearing it costs.
    pub fn about(self) -> &'static str {
        match self {
            CachePart::Bases => "task bases (rebuilt from the fixtures at the next run)",
            CachePart::Builds => {
                "Rust build caches (the next Rust attempt rebuilds the dependencies)"
            }
            CachePart::Python => "Python test environment (reinstalled from PyPI)",
            CachePart::Upstream => {
                "upstream fixtures' archives and trees (fetched from the registries again)"
            }
            CachePart::Pack => "packer parse results and token counts (reparsed)",
            CachePart::Responses => "cached model replies (asked and paid for again)",
        }
    }
}

/// Where each part of a cache folder lives. Built once from `--cache-dir` (or
/// [`CacheLayout::from_env`]) and handed down to every stage, so that everything lands where
/// the user said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheLayout {
    root: PathBuf,
}

impl CacheLayout {
    /// The layout of the cache folder `root` (made absolute against the current directory, so
    /// that it means the same folder to every command whatever its working directory).
    pub fn new(root: impl Into<PathBuf>) -> CacheLayout {
        let root = root.into();
        CacheLayout {
            root: std::path::absolute(&root).unwrap_or(root),
        }
    }

    /// The default cache folder: `$REFBENCH_CACHE`, else `$XDG_CACHE_HOME/refbench`, else
    /// `~/.cache/refbench`, else `.refbench-cache` in the current directory.
    pub fn from_env() -> CacheLayout {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let root = if let Some(dir) = var("REFBENCH_CACHE") {
            PathBuf::from(dir)
        } else if let Some(dir) = var("XDG_CACHE_HOME") {
            PathBuf::from(dir).join("refbench")
        } else if let Some(home) = var("HOME") {
            PathBuf::from(home).join(".cache").join("refbench")
        } else {
            PathBuf::from(".refbench-cache")
        };
        CacheLayout::new(root)
    }

    /// The cache folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of `part`.
    pub fn part(&self, part: CachePart) -> PathBuf {
        self.root.join(part.dir_name())
    }

    /// Materialized task bases, one folder per base fingerprint.
    pub fn bases(&self) -> PathBuf {
        self.part(CachePart::Bases)
    }

    /// Cargo target dirs, one per Rust fixture and worker slot.
    pub fn cargo_targets(&self) -> PathBuf {
        self.part(CachePart::Builds)
    }

    /// Private Python environments, one per requirements file.
    pub fn python_envs(&self) -> PathBuf {
        self.part(CachePart::Python)
    }

    /// Upstream fixtures' archives and trees, one folder per pinned archive
    /// (`REGISTRY-NAME-VERSION-SHA8`).
    pub fn upstream(&self) -> PathBuf {
        self.part(CachePart::Upstream)
    }

    /// The packer's parse facts and token counts.
    pub fn pack_facts(&self) -> PathBuf {
        self.part(CachePart::Pack)
    }

    /// Cached model replies.
    pub fn responses(&self) -> PathBuf {
        self.part(CachePart::Responses)
    }

    fn lock_path(&self) -> PathBuf {
        self.root.join(".in-use")
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
    let hash = crate::fsutil::hex(&digest[..6]);
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
/// [`clear`]. Missing ones are fine.
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
            crate::fsutil::remove_all(&tree)?;
        }
    }
    Ok(())
}

/// Size of one part.
#[derive(Debug, Clone, Serialize)]
pub struct PartUsage {
    /// The part.
    pub part: CachePart,
    /// Its folder.
    pub path: PathBuf,
    /// Bytes of the files in it (apparent sizes).
    pub bytes: u64,
    /// Files in it.
    pub files: u64,
}

/// Errors of cache maintenance.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// A run or validation holds the cache.
    #[error("{path} is in use by a running refbench (run or validate); wait for it to end or stop it, then clear again")]
    InUse {
        /// The cache folder.
        path: PathBuf,
    },
    /// Removing a part failed.
    #[error("removing {path}: {source}")]
    Remove {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The lock file could not be opened.
    #[error("opening {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A shared hold on a cache folder: while it lives, [`clear`] refuses to run.
#[derive(Debug)]
pub struct InUse {
    _lock: Flock<std::fs::File>,
}

fn lock_file(cache: &CacheLayout) -> Result<std::fs::File, CacheError> {
    let path = cache.lock_path();
    std::fs::create_dir_all(cache.root())
        .and_then(|()| {
            std::fs::File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
        })
        .map_err(|source| CacheError::Lock { path, source })
}

/// Holds `cache_dir` for a run (waiting while a clear is under way). `None` if the lock file
/// cannot be made: the run goes on unprotected rather than failing on a maintenance lock.
pub fn hold(cache: &CacheLayout) -> Option<InUse> {
    let file = lock_file(cache).ok()?;
    let lock = Flock::lock(file, FlockArg::LockShared).ok()?;
    Some(InUse { _lock: lock })
}

/// Sizes of every part of `cache` (zero for parts not there).
pub fn usage(cache: &CacheLayout) -> Vec<PartUsage> {
    CachePart::ALL
        .iter()
        .map(|&part| {
            let path = cache.part(part);
            let (bytes, files) = tree_size(&path);
            PartUsage {
                part,
                path,
                bytes,
                files,
            }
        })
        .collect()
}

/// Bytes and count of the files under `dir` (symbolic links not followed; unreadable
/// entries skipped).
fn tree_size(dir: &Path) -> (u64, u64) {
    let (mut bytes, mut files) = (0, 0);
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                todo.push(entry.path());
            } else if meta.is_file() {
                bytes += meta.len();
                files += 1;
            }
        }
    }
    (bytes, files)
}

/// Removes `parts` of `cache_dir`, refusing while a run holds it. Returns each part cleared
/// with the bytes it held.
pub fn clear(cache: &CacheLayout, parts: &[CachePart]) -> Result<Vec<PartUsage>, CacheError> {
    let file = lock_file(cache)?;
    let _lock =
        Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|_| CacheError::InUse {
            path: cache.root().to_path_buf(),
        })?;
    let mut cleared = Vec::new();
    for u in usage(cache) {
        if !parts.contains(&u.part) || !u.path.exists() {
            continue;
        }
        if u.part == CachePart::Builds {
            // The slots' copies of the tree being built live in the temp dir.
            remove_slot_trees(&u.path).map_err(|source| CacheError::Remove {
                path: u.path.clone(),
                source,
            })?;
        }
        std::fs::remove_dir_all(&u.path).map_err(|source| CacheError::Remove {
            path: u.path.clone(),
            source,
        })?;
        cleared.push(u);
    }
    Ok(cleared)
}

/// `bytes` for people: 1.2 GiB, 340 MiB, 12 KiB, 5 B.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if v < 10.0 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(cache: &Path) {
        for (dir, file, len) in [
            ("bases", "t/a", 10),
            ("cargo-target", "rsauth-w0/x", 20),
            ("python", "env/bin/py", 30),
            ("upstream", "pypi-x-1.0-12345678/archive", 60),
            ("pack-facts", "abc.rbs", 40),
            ("responses", "r.json", 50),
        ] {
            let p = cache.join(dir).join(file);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, vec![b'x'; len]).unwrap();
        }
    }

    #[test]
    fn usage_counts_each_part() {
        let dir = tempfile::tempdir().unwrap();
        fill(dir.path());
        let u = usage(&CacheLayout::new(dir.path()));
        let sizes: Vec<(CachePart, u64, u64)> =
            u.iter().map(|u| (u.part, u.bytes, u.files)).collect();
        assert_eq!(
            sizes,
            vec![
                (CachePart::Bases, 10, 1),
                (CachePart::Builds, 20, 1),
                (CachePart::Python, 30, 1),
                (CachePart::Upstream, 60, 1),
                (CachePart::Pack, 40, 1),
                (CachePart::Responses, 50, 1),
            ]
        );
    }

    #[test]
    fn clear_removes_only_what_is_named_and_never_under_a_run() {
        let dir = tempfile::tempdir().unwrap();
        fill(dir.path());
        {
            let _run = hold(&CacheLayout::new(dir.path())).expect("lock");
            let err = clear(&CacheLayout::new(dir.path()), &[CachePart::Bases]).unwrap_err();
            assert!(matches!(err, CacheError::InUse { .. }), "{err}");
            assert!(err.to_string().contains("wait for it to end"), "{err}");
            assert!(dir.path().join("bases/t/a").exists());
        }
        let cleared = clear(
            &CacheLayout::new(dir.path()),
            &[CachePart::Bases, CachePart::Pack],
        )
        .unwrap();
        let parts: Vec<(CachePart, u64)> = cleared.iter().map(|u| (u.part, u.bytes)).collect();
        assert_eq!(parts, vec![(CachePart::Bases, 10), (CachePart::Pack, 40)]);
        assert!(!dir.path().join("bases").exists());
        assert!(!dir.path().join("pack-facts").exists());
        assert!(dir.path().join("responses/r.json").exists());
        assert!(dir.path().join("cargo-target/rsauth-w0/x").exists());
        // A run can hold the cache again afterwards.
        assert!(hold(&CacheLayout::new(dir.path())).is_some());
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(5), "5 B");
        assert_eq!(human_bytes(12 * 1024), "12 KiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(340 << 20), "340 MiB");
        assert_eq!(human_bytes((12 << 30) / 10), "1.2 GiB");
    }
}
