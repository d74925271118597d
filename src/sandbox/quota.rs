//! The disk quota of a sandboxed command: how many bytes it may leave in the places it may
//! write, checked while it runs.
//!
//! In: the command's writable folders (its tree, its scratch, a build cache), the quota, the
//! moment counting starts (the attempt's start, or the command's). Out: `DiskWatch::over`,
//! polled by the sandbox between waits, true once the files and folders changed since then
//! hold more than the quota; the sandbox then kills the command and reports
//! [`LimitHit::DiskQuota`](super::LimitHit::DiskQuota).
//!
//! Why measured, not mounted: the writable places hold what the command must read and leave
//! behind (the tree, a build cache later attempts reuse, the report refbench reads after the
//! command), so a size-limited tmpfs over them would either hide their content or lose what
//! is written; file-system quotas need a file system mounted with them and root. RLIMIT_FSIZE
//! bounds one file only. So the sandbox measures: every [`POLL`] it compares the free space
//! of the file systems holding the writable places with their free space at the start (one
//! `statvfs` each, microseconds), and walks the writable places (allocated blocks of every
//! entry whose inode changed since the start, at least [`ENTRY_FLOOR`] bytes each, so that
//! millions of empty files count too) when the free space fell by more than a quarter of the
//! quota since the last walk, and every [`WALK_EVERY`] regardless (another process freeing
//! space at the same time would hide the fall). The bound is therefore the quota plus what
//! the command can write in one poll interval (or, when space freed elsewhere masks it, one
//! walk interval), each file at most RLIMIT_FSIZE.
//!
//! What is not counted: a file the command deleted but keeps open (it is freed when the
//! command's processes are killed, at the end at the latest).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How often the free space is compared.
pub const POLL: Duration = Duration::from_millis(25);
/// How often the writable places are walked even when the free space did not fall.
pub const WALK_EVERY: Duration = Duration::from_secs(1);
/// Bytes every changed entry counts at least (its inode and directory entry).
pub const ENTRY_FLOOR: u64 = 256;

/// Watches the bytes a command leaves below its writable places.
pub(crate) struct DiskWatch {
    dirs: Vec<PathBuf>,
    since: SystemTime,
    limit: u64,
    /// Per file system holding a writable place: a path on it and its free bytes at the last
    /// walk.
    free: Vec<(PathBuf, u64)>,
    last_walk: Instant,
}

fn free_bytes(path: &Path) -> Option<u64> {
    let st = nix::sys::statvfs::statvfs(path).ok()?;
    Some((st.blocks_available() as u64).saturating_mul(st.fragment_size() as u64))
}

impl DiskWatch {
    /// Starts watching `dirs` with a quota of `limit` bytes, counting what changed since
    /// `since` (default: now).
    pub(crate) fn start(dirs: &[&Path], limit: u64, since: Option<SystemTime>) -> DiskWatch {
        use std::os::unix::fs::MetadataExt;
        let mut free: Vec<(PathBuf, u64)> = Vec::new();
        let mut devices = Vec::new();
        for dir in dirs {
            let Ok(meta) = dir.metadata() else { continue };
            if devices.contains(&meta.dev()) {
                continue;
            }
            devices.push(meta.dev());
            if let Some(bytes) = free_bytes(dir) {
                free.push((dir.to_path_buf(), bytes));
            }
        }
        DiskWatch {
            dirs: dirs.iter().map(|d| d.to_path_buf()).collect(),
            // Inode change times come from a coarse clock, up to a tick behind this one.
            since: since.unwrap_or_else(SystemTime::now) - Duration::from_millis(20),
            limit,
            free,
            last_walk: Instant::now(),
        }
    }

    /// Whether the command has left more than the quota (see the module doc for when the
    /// places are walked).
    pub(crate) fn over(&mut self) -> bool {
        let fell = self
            .free
            .iter()
            .filter_map(|(p, before)| Some(before.saturating_sub(free_bytes(p)?)))
            .max()
            .unwrap_or(0);
        if fell <= self.limit / 4 && self.last_walk.elapsed() < WALK_EVERY {
            return false;
        }
        self.last_walk = Instant::now();
        for (p, before) in &mut self.free {
            if let Some(now) = free_bytes(p) {
                *before = now;
            }
        }
        let dirs: Vec<&Path> = self.dirs.iter().map(PathBuf::as_path).collect();
        written_since(&dirs, self.since, self.limit) > self.limit
    }
}

/// Bytes allocated to the entries below `dirs` whose inode changed after `since` (each at
/// least [`ENTRY_FLOOR`]; hard links counted once; links not followed). Stops counting once
/// past `stop_above`.
pub(crate) fn written_since(dirs: &[&Path], since: SystemTime, stop_above: u64) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0u64;
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            }
            let changed = SystemTime::UNIX_EPOCH
                + Duration::new(
                    meta.ctime().max(0) as u64,
                    meta.ctime_nsec().clamp(0, 999_999_999) as u32,
                );
            if changed < since || !seen.insert((meta.dev(), meta.ino())) {
                continue;
            }
            total += (meta.blocks() * 512).max(ENTRY_FLOOR);
            if total > stop_above {
                return total;
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_changed_since_the_start_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("old"), vec![1u8; 1 << 20]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let mut watch = DiskWatch::start(&[dir.path()], 4 << 20, None);
        assert!(!watch.over());
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/new"), vec![1u8; 3 << 20]).unwrap();
        let written = written_since(&[dir.path()], watch.since, u64::MAX);
        assert!((3 << 20..4 << 20).contains(&written), "{written}");
        std::fs::write(dir.path().join("sub/more"), vec![1u8; 2 << 20]).unwrap();
        // Within one walk interval, whatever the free space says.
        std::thread::sleep(WALK_EVERY);
        assert!(watch.over());
    }

    #[test]
    fn empty_files_count_too() {
        let dir = tempfile::tempdir().unwrap();
        let since = SystemTime::now() - Duration::from_millis(20);
        for i in 0..100 {
            std::fs::write(dir.path().join(i.to_string()), b"").unwrap();
        }
        assert!(written_since(&[dir.path()], since, u64::MAX) >= 100 * ENTRY_FLOOR);
    }
}
