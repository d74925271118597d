//! The clean room: the tree an attempt is graded in, built from the base and only those of the
//! model's changes it may make.
//!
//! In: the task and its bugs, the base (the committed, trusted checkout in the cache), the
//! edited tree (the attempt's copy after the edit: a reply applied, or an agent's work), and
//! where to build the room. Out: a [`CleanRoom`]: a fresh folder holding the base's files with
//! the accepted changes on top, the changes it took, and a [`TamperEvidence::RefusedFile`] for
//! each change it refused; or a [`RoomError`] when the harness could not build it.
//!
//! The edit is read as the difference between the base commit's tree and the edited tree
//! (libgit2, the base's own repository pointed at the edited files: whatever the edit did to
//! the attempt's `.git`, the base commit it is compared with is the cache's), so a reply and an
//! agent's direct edits are judged alike and nothing an edit left outside git's view (files
//! the tree's `.gitignore` ignores) is carried over. A change is refused, in this order, when
//! it touches git metadata or a name the harness reserves
//! ([`refused_anywhere`](crate::lang::refusal::refused_anywhere)); a hidden test's path, or
//! anything in a folder holding one; a detector's path, or anything in a folder holding one;
//! a file the task's language reserves
//! ([`LanguageSupport::refused_change`](crate::lang::LanguageSupport::refused_change): test
//! and build configuration, toolchain files, shadowing modules); a path the task's `protected`
//! globs name; or when the edit leaves a symbolic link there. A refused file is graded as the
//! base has it (or is absent, when the edit added it). The room never holds `.git`: grading
//! reads nothing from history.

use std::path::{Path, PathBuf};

use super::integrity::{RefusalReason, TamperEvidence};
use crate::catalog::{SeededBug, Task};
use crate::lang::PathChange;

#[path = "room_scan.rs"]
mod scan;
pub use scan::{edited_paths, EditScan};

/// Harness failures while building the clean room (never the model's fault).
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    /// Reading the base or the edit with libgit2 failed.
    #[error("clean room: git: {context}: {source}")]
    Git {
        /// What refbench was doing.
        context: &'static str,
        /// The cause.
        source: git2::Error,
    },
    /// Filesystem trouble.
    #[error("clean room: {action} {path}: {source}")]
    Io {
        /// What refbench was doing.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RoomError {
    let path = path.to_path_buf();
    move |source| RoomError::Io {
        action,
        path,
        source,
    }
}

/// One change of the edit, relative to the base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditedPath {
    /// Relative to the repository, `/`-separated.
    pub path: String,
    /// What the edit did to it.
    pub change: PathChange,
    /// The edit leaves a symbolic link there.
    pub symlink: bool,
}

/// The tree grading runs in.
#[derive(Debug, Clone)]
pub struct CleanRoom {
    /// The fresh tree.
    pub dir: PathBuf,
    /// The changes taken from the edit, by path.
    pub taken: Vec<EditedPath>,
    /// One [`TamperEvidence::RefusedFile`] per change refused, by path.
    pub refused: Vec<TamperEvidence>,
    /// Source files of the task's language the edit left where the `.gitignore` ignores them
    /// (so not in the room), sorted; at most [`MAX_IGNORED_LISTED`], the last entry saying how
    /// many more there were.
    pub ignored: Vec<String>,
}

/// How many ignored source files a verdict lists by name.
pub const MAX_IGNORED_LISTED: usize = 20;
/// How many entries of an ignored folder are looked at for source files (a build output
/// folder can hold a great many; what is past this is not listed).
const MAX_IGNORED_WALK: usize = 5_000;

/// The grader's files of a task: its hidden tests and its bugs' detectors, relative to the
/// repository.
struct GraderFiles {
    files: Vec<(String, RefusalReason)>,
    /// Folders (never the repository's root) holding one of them.
    folders: Vec<(String, RefusalReason)>,
}

impl GraderFiles {
    fn of(task: &Task, bugs: &[&SeededBug]) -> Result<GraderFiles, RoomError> {
        let mut files = Vec::new();
        for hidden in task.hidden_dirs() {
            for path in relative_files(&hidden)? {
                files.push((path, RefusalReason::HiddenTest));
            }
        }
        for bug in bugs {
            for path in relative_files(&bug.detector_dir())? {
                files.push((path, RefusalReason::Detector));
            }
        }
        let mut folders: Vec<(String, RefusalReason)> = files
            .iter()
            .filter_map(|(path, why)| Some((path.rsplit_once('/')?.0.to_string(), *why)))
            .collect();
        folders.sort_by(|a, b| a.0.cmp(&b.0));
        folders.dedup_by(|a, b| a.0 == b.0);
        Ok(GraderFiles { files, folders })
    }

    fn reason(&self, path: &str) -> Option<RefusalReason> {
        if let Some((_, why)) = self.files.iter().find(|(p, _)| p == path) {
            return Some(*why);
        }
        self.folders
            .iter()
            .find(|(folder, _)| {
                path.strip_prefix(folder.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|(_, why)| *why)
    }
}

/// Every regular file under `dir` (none when it does not exist), relative, `/`-separated.
fn relative_files(dir: &Path) -> Result<Vec<String>, RoomError> {
    if dir.is_dir() {
        walkdir(dir)
    } else {
        Ok(Vec::new())
    }
}

/// The regular files and symbolic links under `dir`, relative to it, sorted.
fn walkdir(dir: &Path) -> Result<Vec<String>, RoomError> {
    fn walk(root: &Path, at: &Path, out: &mut Vec<String>) -> Result<(), RoomError> {
        for entry in std::fs::read_dir(at).map_err(io("reading", at))? {
            let entry = entry.map_err(io("reading", at))?;
            let kind = entry.file_type().map_err(io("inspecting", &entry.path()))?;
            if kind.is_dir() {
                walk(root, &entry.path(), out)?;
            } else if kind.is_file() || kind.is_symlink() {
                let rel = entry.path();
                let rel = rel.strip_prefix(root).expect("walk stays under its root");
                out.push(slash_path(rel));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

fn slash_path(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The source files (by `extensions`) among `ignored` paths of `edited`, looking into ignored
/// folders (at most [`MAX_IGNORED_WALK`] entries in all), sorted; past
/// [`MAX_IGNORED_LISTED`] names, one last entry says how many more there were.
fn ignored_sources(edited: &Path, ignored: &[String], extensions: &[&str]) -> Vec<String> {
    let is_source = |p: &str| {
        Path::new(p)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
    };
    let mut found = Vec::new();
    let mut budget = MAX_IGNORED_WALK;
    for path in ignored {
        let at = edited.join(path.trim_end_matches('/'));
        let Ok(meta) = at.symlink_metadata() else {
            continue;
        };
        if meta.is_file() {
            if is_source(path) {
                found.push(path.clone());
            }
            continue;
        }
        if !meta.is_dir() {
            continue;
        }
        let walk = ignore::WalkBuilder::new(&at)
            .standard_filters(false)
            .follow_links(false)
            .build();
        for entry in walk {
            if budget == 0 {
                break;
            }
            budget -= 1;
            let Ok(entry) = entry else { continue };
            if entry.file_type().is_some_and(|t| t.is_file()) {
                let rel = entry.path().strip_prefix(edited).unwrap_or(entry.path());
                let rel = slash_path(rel);
                if is_source(&rel) {
                    found.push(rel);
                }
            }
        }
    }
    found.sort();
    found.dedup();
    if found.len() > MAX_IGNORED_LISTED {
        let more = found.len() - MAX_IGNORED_LISTED;
        found.truncate(MAX_IGNORED_LISTED);
        found.push(format!("... and {more} more"));
    }
    found
}

/// Why the clean room refuses `edit` (see the module docs for the order), if it does.
fn refusal(
    task: &Task,
    grader: &GraderFiles,
    edit: &EditedPath,
    has_file: &dyn Fn(&str) -> bool,
) -> Option<RefusalReason> {
    let path = edit.path.as_str();
    crate::lang::refusal::refused_anywhere(path)
        .or_else(|| grader.reason(path))
        .or_else(|| crate::lang::support(task.language).refused_change(path, edit.change, has_file))
        .or_else(|| task.is_protected(path).then_some(RefusalReason::Protected))
        .or_else(|| edit.symlink.then_some(RefusalReason::Symlink))
}

/// Who made the edited tree, which decides how the room is built from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditOrigin {
    /// refbench copied the base and applied a reply to it: every change in the tree went
    /// through the patch stage (no hard links, special files or odd permissions), so the tree
    /// may be moved into the room's place and what the room refuses put back from the base.
    Harness,
    /// An agent's commands changed the tree: it is only read, and the room is copied from the
    /// base and the taken changes.
    Agent,
}

/// Builds the clean room of an attempt at `room` (replaced if it exists): the base's files
/// from `base`, and the changes `edited` made to them that the model may make.
///
/// Every file of the room is written (or touched) now, after whatever the caller did before
/// (took a build slot): build tools tell a changed source by its mtime. When `origin` is
/// [`EditOrigin::Harness`] and both are on one file system, `edited` is moved into the room
/// (and is gone after): one copy of the tree fewer per attempt.
pub fn build_clean_room(
    task: &Task,
    bugs: &[&SeededBug],
    base: &Path,
    edited: &Path,
    room: &Path,
    origin: EditOrigin,
) -> Result<CleanRoom, RoomError> {
    let clock = std::time::Instant::now();
    if origin == EditOrigin::Agent {
        // An agent may have locked files and folders of its tree; what it left is graded, not
        // turned into a harness error by an unreadable file.
        crate::fsutil::open_for_reading(edited);
    }
    let EditScan {
        changes: edits,
        ignored: ignored_paths,
        special,
    } = edited_paths(base, edited)?;
    let scanned_us = clock.elapsed().as_micros() as u64;
    let ignored = ignored_sources(
        edited,
        &ignored_paths,
        crate::lang::support(task.language).source_extensions(),
    );
    let grader = GraderFiles::of(task, bugs)?;
    let has_file = |p: &str| edited.join(p).symlink_metadata().is_ok_and(|m| m.is_file());
    let mut taken = Vec::new();
    let mut refused = Vec::new();
    let mut refused_edits = Vec::new();
    for edit in edits {
        match refusal(task, &grader, &edit, &has_file) {
            Some(why) => {
                refused.push(TamperEvidence::RefusedFile {
                    path: edit.path.clone(),
                    why,
                });
                refused_edits.push(edit);
            }
            None => taken.push(edit),
        }
    }

    let judged_us = clock.elapsed().as_micros() as u64;
    if room.symlink_metadata().is_ok() {
        crate::fsutil::remove_all(room).map_err(io("removing", room))?;
    }
    let moved = origin == EditOrigin::Harness && special.is_empty() && move_into(edited, room)?;
    if moved {
        put_back_refused(base, room, &refused_edits, &ignored_paths)?;
        written_now(room)?;
    } else {
        copy_room(base, edited, room, &taken)?;
    }
    tracing::trace!(
        scanned_us,
        judged_us,
        placed_us = clock.elapsed().as_micros() as u64,
        moved,
        "clean room"
    );
    Ok(CleanRoom {
        dir: room.to_path_buf(),
        taken,
        refused,
        ignored,
    })
}

/// The room as a copy: the base's files, then the taken changes on top.
fn copy_room(
    base: &Path,
    edited: &Path,
    room: &Path,
    taken: &[EditedPath],
) -> Result<(), RoomError> {
    use std::os::unix::fs::DirBuilderExt;
    // Made anew and private (never through a link someone left at its name).
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(room)
        .map_err(io("creating", room))?;
    crate::materialize::copy_tree_filtered(base, room, &|rel| {
        rel != Path::new(".git") && rel != Path::new(".refbench-base-ok")
    })
    .map_err(|e| RoomError::Io {
        action: "copying the base into",
        path: room.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    // Deletions first: an edit may turn a folder into a file.
    for edit in taken.iter().filter(|e| e.change == PathChange::Deleted) {
        let dest = room.join(&edit.path);
        if inside_room(room, &edit.path) && dest.symlink_metadata().is_ok_and(|m| !m.is_dir()) {
            std::fs::remove_file(&dest).map_err(io("removing", &dest))?;
        }
    }
    for edit in taken.iter().filter(|e| e.change != PathChange::Deleted) {
        let from = edited.join(&edit.path);
        let dest = room.join(&edit.path);
        // Only regular files are taken (links were refused); a folder of the base where the
        // edit put a file keeps what the edit could not delete in it, and a file of the base
        // where the edit put a folder (its deletion refused) stays.
        if !from.symlink_metadata().is_ok_and(|m| m.is_file())
            || !inside_room(room, &edit.path)
            || !folders_on_the_way(room, &edit.path)
        {
            continue;
        }
        // A folder the taken deletions emptied gives way to the file.
        if dest.symlink_metadata().is_ok_and(|m| m.is_dir()) && std::fs::remove_dir(&dest).is_err()
        {
            continue;
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
        }
        if dest.symlink_metadata().is_ok() {
            std::fs::remove_file(&dest).map_err(io("replacing", &dest))?;
        }
        std::fs::copy(&from, &dest).map_err(io("copying", &from))?;
    }
    Ok(())
}

/// Renames `edited` to `room` (absent); false when they are on different file systems.
fn move_into(edited: &Path, room: &Path) -> Result<bool, RoomError> {
    match std::fs::rename(edited, room) {
        Ok(()) => Ok(true),
        Err(e) if e.raw_os_error() == Some(nix::libc::EXDEV) => Ok(false),
        Err(e) => Err(io("moving the edited tree to", room)(e)),
    }
}

/// Turns the edited tree moved to `room` into the clean room: its `.git` and the base's
/// marker go, what git ignores goes, and each refused change is undone from the base (an
/// added path removed, a changed or deleted one put back as the base has it).
fn put_back_refused(
    base: &Path,
    room: &Path,
    refused: &[EditedPath],
    ignored: &[String],
) -> Result<(), RoomError> {
    let remove = |rel: &str| -> Result<(), RoomError> {
        let at = room.join(rel.trim_end_matches('/'));
        match at.symlink_metadata() {
            Ok(m) if m.is_dir() => crate::fsutil::remove_all(&at).map_err(io("removing", &at)),
            Ok(_) => std::fs::remove_file(&at).map_err(io("removing", &at)),
            Err(_) => Ok(()),
        }
    };
    // A folder the removals emptied goes too unless the base has it (a copy would not).
    let remove_with_empty_folders = |rel: &str| -> Result<(), RoomError> {
        let rel = rel.trim_end_matches('/');
        if !inside_room(room, rel) {
            return Ok(());
        }
        remove(rel)?;
        let mut folder = Path::new(rel).parent();
        while let Some(at) = folder.filter(|f| !f.as_os_str().is_empty()) {
            if base.join(at).is_dir() || std::fs::remove_dir(room.join(at)).is_err() {
                break;
            }
            folder = at.parent();
        }
        Ok(())
    };
    remove(".git")?;
    remove(".refbench-base-ok")?;
    for path in ignored {
        remove_with_empty_folders(path)?;
    }
    // Removals first (a refused link may stand where a folder of the base must come back).
    for edit in refused {
        remove_with_empty_folders(&edit.path)?;
    }
    for edit in refused.iter().filter(|e| e.change != PathChange::Added) {
        let from = base.join(&edit.path);
        let Ok(kind) = from.symlink_metadata().map(|m| m.file_type()) else {
            continue;
        };
        if !kind.is_file() && !kind.is_symlink() {
            continue;
        }
        // Every folder on the way is a folder again (the edit may have put a file there).
        let mut at = room.to_path_buf();
        let parts: Vec<&str> = edit.path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            at.push(part);
            match at.symlink_metadata() {
                Ok(m) if m.is_dir() => continue,
                Ok(_) => std::fs::remove_file(&at).map_err(io("removing", &at))?,
                Err(_) => {}
            }
            std::fs::create_dir(&at).map_err(io("creating", &at))?;
        }
        let dest = room.join(&edit.path);
        if kind.is_symlink() {
            // One of the base's own links, put back as a link (a copy of the base keeps it).
            let target = std::fs::read_link(&from).map_err(io("reading link", &from))?;
            std::os::unix::fs::symlink(&target, &dest).map_err(io("linking", &dest))?;
        } else {
            std::fs::copy(&from, &dest).map_err(io("copying", &from))?;
        }
    }
    Ok(())
}

/// Touches every file of `room` (links aside) to now, and makes the room private, as a fresh
/// copy would be.
fn written_now(room: &Path) -> Result<(), RoomError> {
    use nix::sys::stat::{utimensat, UtimensatFlags};
    use nix::sys::time::TimeSpec;
    use std::os::unix::fs::PermissionsExt;
    fn walk(at: &Path) -> Result<(), RoomError> {
        for entry in std::fs::read_dir(at).map_err(io("reading", at))? {
            let entry = entry.map_err(io("reading", at))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(io("inspecting", &path))?;
            if kind.is_dir() {
                walk(&path)?;
            } else if kind.is_file() {
                let now = TimeSpec::UTIME_NOW;
                utimensat(None, &path, &now, &now, UtimensatFlags::NoFollowSymlink)
                    .map_err(|e| io("touching", &path)(e.into()))?;
            }
        }
        Ok(())
    }
    std::fs::set_permissions(room, std::fs::Permissions::from_mode(0o700))
        .map_err(io("making private", room))?;
    walk(room)
}

/// The grader's files in a tree at one moment: every file an edit may not add or change (by
/// the same rules as the room), with a hash of its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraderSnapshot {
    files: std::collections::BTreeMap<String, [u8; 32]>,
}

impl GraderSnapshot {
    /// The grader's files it holds, relative to the tree: what graded code may read and not
    /// change ([`crate::sandbox::CommandSpec::read_only`]).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.files.keys().map(PathBuf::from).collect()
    }
}

/// What [`GraderSnapshot`] takes and checks: the task, its bugs, and their grader files.
pub struct GraderWatch<'a> {
    task: &'a Task,
    grader: GraderFiles,
}

impl<'a> GraderWatch<'a> {
    /// The watch of `task`'s grader files (its hidden tests, its bugs' detectors, and every
    /// path its language or its `protected` globs reserve).
    pub fn new(task: &'a Task, bugs: &[&SeededBug]) -> Result<GraderWatch<'a>, RoomError> {
        Ok(GraderWatch {
            task,
            grader: GraderFiles::of(task, bugs)?,
        })
    }

    /// The grader's files in `tree` now. Take it after the harness put its files in place and
    /// before graded code runs.
    pub fn snapshot(&self, tree: &Path) -> Result<GraderSnapshot, RoomError> {
        let mut files = std::collections::BTreeMap::new();
        for path in self.files_of(tree, &|_| false)? {
            files.insert(path.clone(), hash_file(&tree.join(&path))?);
        }
        Ok(GraderSnapshot { files })
    }

    /// What graded code did to the grader's files of `tree` since `before`: each file changed,
    /// removed, or added where an edit could not have put it, as
    /// [`TamperEvidence::HarnessFileChanged`], by path.
    pub fn changes(
        &self,
        before: &GraderSnapshot,
        tree: &Path,
    ) -> Result<Vec<TamperEvidence>, RoomError> {
        let now = self.files_of(tree, &|p| before.files.contains_key(p))?;
        let mut changed = Vec::new();
        for path in &now {
            let hash = hash_file(&tree.join(path))?;
            if before.files.get(path) != Some(&hash) {
                changed.push(path.clone());
            }
        }
        changed.extend(before.files.keys().filter(|p| !now.contains(p)).cloned());
        changed.sort();
        Ok(changed
            .into_iter()
            .map(|path| TamperEvidence::HarnessFileChanged { path })
            .collect())
    }

    /// The paths in `tree` the room's rules reserve (`known`: the ones the last snapshot had,
    /// judged as changed rather than added).
    fn files_of(
        &self,
        tree: &Path,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<String>, RoomError> {
        let all = walk_without_git(tree)?;
        let has_file = |p: &str| tree.join(p).symlink_metadata().is_ok_and(|m| m.is_file());
        Ok(all
            .into_iter()
            .filter(|path| {
                let edit = EditedPath {
                    path: path.clone(),
                    change: if known(path) {
                        PathChange::Modified
                    } else {
                        PathChange::Added
                    },
                    symlink: tree
                        .join(path)
                        .symlink_metadata()
                        .is_ok_and(|m| m.file_type().is_symlink()),
                };
                refusal(self.task, &self.grader, &edit, &has_file).is_some()
            })
            .collect())
    }
}

/// The regular files and links under `dir`, relative to it, leaving out `.git` folders and
/// skipping what cannot be read: graded code may leave a folder no one can open, which is
/// not the harness's failure (a grader file inside it reads as removed).
fn walk_without_git(dir: &Path) -> Result<Vec<String>, RoomError> {
    fn walk(root: &Path, at: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(at) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    walk(root, &entry.path(), out);
                }
            } else if kind.is_file() || kind.is_symlink() {
                let rel = entry.path();
                out.push(slash_path(
                    rel.strip_prefix(root).expect("walk stays under its root"),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    Ok(out)
}

/// The SHA-256 of a file's bytes, or of a link's target (never followed); a file graded code
/// made unreadable hashes as such (so it reads as changed).
fn hash_file(path: &Path) -> Result<[u8; 32], RoomError> {
    use sha2::{Digest, Sha256};
    let bytes = match path.symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => {
            let target = std::fs::read_link(path).map_err(io("reading link", path))?;
            let mut b = b"link\0".to_vec();
            b.extend_from_slice(target.as_os_str().as_encoded_bytes());
            b
        }
        _ => std::fs::read(path).unwrap_or_else(|_| b"unreadable\0".to_vec()),
    };
    Ok(Sha256::digest(&bytes).into())
}

/// Whether writing `rel` in `room` stays in it: no folder on the way is a symbolic link (the
/// base's own links are kept, but never written through).
fn inside_room(room: &Path, rel: &str) -> bool {
    let mut at = room.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        if *part == ".." || part.is_empty() {
            return false;
        }
        at.push(part);
        if at
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return false;
        }
    }
    true
}

/// Whether nothing on the way to `rel` in `room` is a file (an absent folder is made).
fn folders_on_the_way(room: &Path, rel: &str) -> bool {
    let mut at = room.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    parts[..parts.len() - 1].iter().all(|part| {
        at.push(part);
        at.symlink_metadata().map_or(true, |m| m.is_dir())
    })
}

#[cfg(test)]
#[path = "room_tests.rs"]
mod tests;
