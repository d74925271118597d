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
    /// The packer's parse results and token counts (`pack-facts/`).
    Pack,
    /// Cached model replies (`responses/`); paid for, so never cleared unless named.
    Responses,
}

impl CachePart {
    /// Every part, in display order.
    pub const ALL: [CachePart; 5] = [
        CachePart::Bases,
        CachePart::Builds,
        CachePart::Python,
        CachePart::Pack,
        CachePart::Responses,
    ];

    /// The part's folder name under the cache folder.
    pub fn dir_name(self) -> &'static str {
        match self {
            CachePart::Bases => "bases",
            CachePart::Builds => "cargo-target",
            CachePart::Python => "python",
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
            CachePart::Pack => "packer parse results and token counts (reparsed)",
            CachePart::Responses => "cached model replies (asked and paid for again)",
        }
    }
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

fn lock_file(cache_dir: &Path) -> Result<std::fs::File, CacheError> {
    let path = cache_dir.join(".in-use");
    std::fs::create_dir_all(cache_dir)
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
pub fn hold(cache_dir: &Path) -> Option<InUse> {
    let file = lock_file(cache_dir).ok()?;
    let lock = Flock::lock(file, FlockArg::LockShared).ok()?;
    Some(InUse { _lock: lock })
}

/// Sizes of every part of `cache_dir` (zero for parts not there).
pub fn usage(cache_dir: &Path) -> Vec<PartUsage> {
    CachePart::ALL
        .iter()
        .map(|&part| {
            let path = cache_dir.join(part.dir_name());
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
pub fn clear(cache_dir: &Path, parts: &[CachePart]) -> Result<Vec<PartUsage>, CacheError> {
    let file = lock_file(cache_dir)?;
    let _lock =
        Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|_| CacheError::InUse {
            path: cache_dir.to_path_buf(),
        })?;
    let mut cleared = Vec::new();
    for u in usage(cache_dir) {
        if !parts.contains(&u.part) || !u.path.exists() {
            continue;
        }
        if u.part == CachePart::Builds {
            // The slots' copies of the tree being built live in the temp dir.
            crate::score::remove_slot_trees(&u.path).map_err(|source| CacheError::Remove {
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

/// Writes `bytes` to `path` (folders made) through a temporary file in the same folder renamed
/// into place, so readers, in this process or another, see the old file or the whole new one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
        let u = usage(dir.path());
        let sizes: Vec<(CachePart, u64, u64)> =
            u.iter().map(|u| (u.part, u.bytes, u.files)).collect();
        assert_eq!(
            sizes,
            vec![
                (CachePart::Bases, 10, 1),
                (CachePart::Builds, 20, 1),
                (CachePart::Python, 30, 1),
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
            let _run = hold(dir.path()).expect("lock");
            let err = clear(dir.path(), &[CachePart::Bases]).unwrap_err();
            assert!(matches!(err, CacheError::InUse { .. }), "{err}");
            assert!(err.to_string().contains("wait for it to end"), "{err}");
            assert!(dir.path().join("bases/t/a").exists());
        }
        let cleared = clear(dir.path(), &[CachePart::Bases, CachePart::Pack]).unwrap();
        let parts: Vec<(CachePart, u64)> = cleared.iter().map(|u| (u.part, u.bytes)).collect();
        assert_eq!(parts, vec![(CachePart::Bases, 10), (CachePart::Pack, 40)]);
        assert!(!dir.path().join("bases").exists());
        assert!(!dir.path().join("pack-facts").exists());
        assert!(dir.path().join("responses/r.json").exists());
        assert!(dir.path().join("cargo-target/rsauth-w0/x").exists());
        // A run can hold the cache again afterwards.
        assert!(hold(dir.path()).is_some());
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
