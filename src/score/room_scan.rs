//! The edit, read: what the edited tree changed relative to the base, file by file, and
//! which of the paths it added the tree's `.gitignore` files ignore.
//!
//! In: the base (the cache's committed checkout) and the edited tree. Out: an [`EditScan`].

use std::path::Path;

use super::{io, slash_path, EditedPath, RoomError};
use crate::lang::PathChange;

/// What the edited tree changed relative to the base, and what of it git ignores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditScan {
    /// The changes, by path.
    pub changes: Vec<EditedPath>,
    /// Paths the edit added that the tree's `.gitignore` files ignore (files and links).
    pub ignored: Vec<String>,
    /// Entries git does not track at all (pipes, sockets, devices): never graded; a tree that
    /// holds any is copied from, never moved.
    pub special: Vec<String>,
}

/// One entry of a tree as [`edited_paths`] compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    File,
    Link,
    /// A repository of its own (a `.git` below the root), one path.
    Repository,
    Special,
}

/// Every entry of `dir` but its root `.git` (and, for the base, the marker), relative.
/// A folder of the edited tree that cannot be read (an agent may leave one) holds nothing;
/// in the base it is a harness error.
fn entries(
    dir: &Path,
    skip_at_root: &[&str],
    edited: bool,
) -> Result<std::collections::BTreeMap<String, Entry>, RoomError> {
    fn walk(
        root: &Path,
        at: &Path,
        skip: &[&str],
        edited: bool,
        out: &mut std::collections::BTreeMap<String, Entry>,
    ) -> Result<(), RoomError> {
        let listing = match std::fs::read_dir(at) {
            Ok(listing) => listing,
            Err(_) if edited && at != root => return Ok(()),
            Err(e) => return Err(io("reading", at)(e)),
        };
        for entry in listing {
            let entry = entry.map_err(io("reading", at))?;
            let path = entry.path();
            let rel = slash_path(path.strip_prefix(root).expect("walk stays under its root"));
            if at == root && skip.iter().any(|s| entry.file_name() == *s) {
                continue;
            }
            let kind = entry.file_type().map_err(io("inspecting", &path))?;
            let found = if kind.is_dir() {
                if entry.file_name() == ".git" {
                    Entry::Repository
                } else {
                    walk(root, &path, skip, edited, out)?;
                    continue;
                }
            } else if kind.is_file() {
                Entry::File
            } else if kind.is_symlink() {
                Entry::Link
            } else {
                Entry::Special
            };
            out.insert(rel, found);
        }
        Ok(())
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, skip_at_root, edited, &mut out)?;
    Ok(out)
}

/// Whether the file or link at `a` and the one at `b` differ as git sees them: kind, link
/// target, the owner's execute bit, bytes.
fn differs(a: &Path, b: &Path) -> Result<bool, RoomError> {
    use std::os::unix::fs::PermissionsExt;
    let (ma, mb) = (
        a.symlink_metadata().map_err(io("inspecting", a))?,
        b.symlink_metadata().map_err(io("inspecting", b))?,
    );
    if ma.file_type().is_symlink() || mb.file_type().is_symlink() {
        return Ok(ma.file_type().is_symlink() != mb.file_type().is_symlink()
            || std::fs::read_link(a).ok() != std::fs::read_link(b).ok());
    }
    if ma.len() != mb.len()
        || (ma.permissions().mode() & 0o100) != (mb.permissions().mode() & 0o100)
    {
        return Ok(true);
    }
    // An unreadable file (graded code cannot make one here, and an agent's tree is opened
    // for reading before it is scanned) is changed.
    match (std::fs::read(a), std::fs::read(b)) {
        (Ok(x), Ok(y)) => Ok(x != y),
        _ => Ok(true),
    }
}

/// What the edited tree changed relative to the base (the cache's committed checkout of the
/// base commit, compared file by file: kind, link target, execute bit, bytes), by path; which
/// of the added paths the tree's own `.gitignore` files ignore (as git would: an ignored
/// folder's files are ignored; the user's global excludes and `.git/info/exclude` are not
/// read, so the room does not depend on who runs refbench); and the special files.
pub fn edited_paths(base: &Path, edited: &Path) -> Result<EditScan, RoomError> {
    let before = entries(base, &[".git", ".refbench-base-ok"], false)?;
    let after = entries(edited, &[".git"], true)?;
    let mut scan = EditScan::default();
    let mut added = Vec::new();
    for (path, kind) in &after {
        match (kind, before.get(path)) {
            (Entry::Special, _) => scan.special.push(path.clone()),
            (_, None) => added.push((path.clone(), *kind)),
            (_, Some(_)) => {
                if differs(&base.join(path), &edited.join(path))? {
                    scan.changes.push(EditedPath {
                        path: path.clone(),
                        change: PathChange::Modified,
                        symlink: *kind == Entry::Link,
                    });
                }
            }
        }
    }
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        scan.changes.push(EditedPath {
            path: path.clone(),
            change: PathChange::Deleted,
            symlink: false,
        });
    }
    if !added.is_empty() {
        let seen = not_ignored(edited);
        for (path, kind) in added {
            if kind != Entry::Repository && !seen.contains(&path) {
                scan.ignored.push(path);
            } else {
                scan.changes.push(EditedPath {
                    path,
                    change: PathChange::Added,
                    symlink: kind == Entry::Link,
                });
            }
        }
    }
    scan.changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(scan)
}

/// The files and links of `tree` its `.gitignore` files do not ignore (nothing above the
/// tree, no global or per-repository excludes, no `.ignore` files), relative.
fn not_ignored(tree: &Path) -> std::collections::HashSet<String> {
    ignore::WalkBuilder::new(tree)
        .standard_filters(false)
        .git_ignore(true)
        .require_git(false)
        .parents(false)
        .follow_links(false)
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git")
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| !t.is_dir()))
        .filter_map(|e| Some(slash_path(e.path().strip_prefix(tree).ok()?)))
        .collect()
}
