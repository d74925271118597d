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

fn git(context: &'static str) -> impl FnOnce(git2::Error) -> RoomError {
    move |source| RoomError::Git { context, source }
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

/// What the edited tree changed relative to the base commit, and what of it git ignores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditScan {
    /// The changes, by path.
    pub changes: Vec<EditedPath>,
    /// Paths the edit added that the `.gitignore` files ignore: files, and folders (ending in
    /// `/`) git did not enter.
    pub ignored: Vec<String>,
}

/// What the edited tree changed relative to the base commit in `base`, by path.
pub fn edited_paths(base: &Path, edited: &Path) -> Result<EditScan, RoomError> {
    let repo = git2::Repository::open(base).map_err(git("opening the base"))?;
    let tree = repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .map_err(git("reading the base commit"))?;
    // In memory only: the base repository compares its commit with the edited files.
    repo.set_workdir(edited, false)
        .map_err(git("pointing the base at the edited tree"))?;
    let mut options = git2::DiffOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_typechange(true)
        .include_ignored(true)
        .ignore_submodules(false);
    let diff = repo
        .diff_tree_to_workdir(Some(&tree), Some(&mut options))
        .map_err(git("comparing the edit with the base"))?;
    let mut out = Vec::new();
    let mut ignored = Vec::new();
    for delta in diff.deltas() {
        let change = match delta.status() {
            git2::Delta::Added | git2::Delta::Untracked => PathChange::Added,
            git2::Delta::Deleted => PathChange::Deleted,
            git2::Delta::Ignored => {
                if let Some(path) = delta.new_file().path() {
                    ignored.push(slash_path(path));
                }
                continue;
            }
            git2::Delta::Unmodified => continue,
            _ => PathChange::Modified,
        };
        let file = if change == PathChange::Deleted {
            delta.old_file()
        } else {
            delta.new_file()
        };
        let Some(path) = file.path() else { continue };
        let path = slash_path(path);
        let path = path.trim_end_matches('/').to_string();
        let on_disk = edited.join(&path);
        let meta = on_disk.symlink_metadata();
        if change != PathChange::Deleted && meta.as_ref().is_ok_and(|m| m.is_dir()) {
            // A folder git did not enter (it holds a repository of its own): each file in it,
            // and its `.git` as one path.
            let mut inner_paths: Vec<String> = walkdir(&on_disk)?
                .into_iter()
                .map(|inner| match inner.split('/').position(|p| p == ".git") {
                    Some(at) => inner.split('/').take(at + 1).collect::<Vec<_>>().join("/"),
                    None => inner,
                })
                .collect();
            inner_paths.dedup();
            for inner in inner_paths {
                let full = format!("{path}/{inner}");
                let symlink = edited
                    .join(&full)
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink());
                out.push(EditedPath {
                    path: full,
                    change: PathChange::Added,
                    symlink,
                });
            }
            continue;
        }
        let symlink = change != PathChange::Deleted
            && meta.as_ref().is_ok_and(|m| m.file_type().is_symlink());
        out.push(EditedPath {
            path,
            change,
            symlink,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    ignored.sort();
    Ok(EditScan {
        changes: out,
        ignored,
    })
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

/// Builds the clean room of an attempt at `room` (replaced if it exists): the base's files
/// from `base`, and the changes `edited` made to them that the model may make.
pub fn build_clean_room(
    task: &Task,
    bugs: &[&SeededBug],
    base: &Path,
    edited: &Path,
    room: &Path,
) -> Result<CleanRoom, RoomError> {
    let EditScan {
        changes: edits,
        ignored,
    } = edited_paths(base, edited)?;
    let ignored = ignored_sources(
        edited,
        &ignored,
        crate::lang::support(task.language).source_extensions(),
    );
    let grader = GraderFiles::of(task, bugs)?;
    let has_file = |p: &str| edited.join(p).symlink_metadata().is_ok_and(|m| m.is_file());
    let mut taken = Vec::new();
    let mut refused = Vec::new();
    for edit in edits {
        match refusal(task, &grader, &edit, &has_file) {
            Some(why) => refused.push(TamperEvidence::RefusedFile {
                path: edit.path,
                why,
            }),
            None => taken.push(edit),
        }
    }

    if room.symlink_metadata().is_ok() {
        crate::fsutil::remove_all(room).map_err(io("removing", room))?;
    }
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
        // Only regular files are taken (links were refused); a folder in the base where the
        // edit put a file keeps the base's content.
        if !from.symlink_metadata().is_ok_and(|m| m.is_file())
            || !inside_room(room, &edit.path)
            || dest.symlink_metadata().is_ok_and(|m| m.is_dir())
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
    Ok(CleanRoom {
        dir: room.to_path_buf(),
        taken,
        refused,
        ignored,
    })
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

#[cfg(test)]
#[path = "room_tests.rs"]
mod tests;
