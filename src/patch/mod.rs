//! Apply: turns a model's reply into changes on the attempt's repository, safely.
//!
//! In: the reply text, the attempt's repository (a copy of the base, HEAD = base commit) and the
//! task's protected globs. Out: an [`Applied`] record: the status ([`ApplyStatus`]), the patch
//! that was applied, per-file outcomes, the protected files the reply tried to change (restored
//! to the base), and hygiene counts. A patch that does not parse or apply is an outcome
//! (`ApplyStatus::Failed` with the reason), never an error; [`PatchError`] is kept for harness
//! trouble such as an unreadable repository.
//!
//! This version extracts one unified diff from the reply (bare, or inside a ```diff fence) and
//! applies it with libgit2 (`Diff::from_buffer`, `Repository::apply` to the work directory).
//! Search/replace and whole-file edits and fuzzy application come with the edit-format work.
//!
//! Safety: before anything is written every path in the diff is checked: no absolute paths, no
//! `..`, nothing under `.git`, nothing through a symlink, no binary patches, no patch larger than
//! [`MAX_PATCH_BYTES`]. A refused patch changes nothing.

use std::path::{Component, Path};

use serde::{Deserialize, Serialize};

/// Replies larger than this are refused unread.
pub const MAX_PATCH_BYTES: usize = 4 * 1024 * 1024;

/// Harness-side failures (the repository itself is unusable).
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// libgit2 failed on the attempt repository.
    #[error("git on the attempt repository: {context}: {source}")]
    Git {
        /// What was being done.
        context: &'static str,
        /// The cause.
        source: git2::Error,
    },
    /// Filesystem trouble in the attempt repository.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// Overall result of applying a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplyStatus {
    /// The reply held no edit; the tree is the base.
    Empty,
    /// Every hunk applied exactly.
    Exact,
    /// Nothing was applied; `reason` says why.
    Failed,
}

impl std::fmt::Display for ApplyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ApplyStatus::Empty => "empty",
            ApplyStatus::Exact => "exact",
            ApplyStatus::Failed => "failed",
        })
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOutcome {
    /// Path relative to the repo root (the new path for renames).
    pub path: String,
    /// added, modified, deleted, renamed.
    pub change: String,
}

/// Size and shape of the change, for hygiene reporting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hygiene {
    /// Files the patch touches.
    pub files_touched: usize,
    /// Files it deletes.
    pub files_deleted: usize,
    /// Lines added.
    pub lines_added: usize,
    /// Lines removed.
    pub lines_removed: usize,
}

/// The result of applying a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Overall status.
    pub status: ApplyStatus,
    /// Why it failed, when it did.
    pub reason: Option<String>,
    /// The extracted patch text (empty when none).
    pub patch: String,
    /// Per-file outcomes (empty unless applied).
    pub files: Vec<FileOutcome>,
    /// Protected files the reply changed; they were restored to the base.
    pub protected_touched: Vec<String>,
    /// Counts.
    pub hygiene: Hygiene,
}

impl Applied {
    fn failed(patch: String, reason: String) -> Applied {
        Applied {
            status: ApplyStatus::Failed,
            reason: Some(reason),
            patch,
            files: vec![],
            protected_touched: vec![],
            hygiene: Hygiene::default(),
        }
    }
}

/// Pulls a unified diff out of a reply: the first ```diff / ```patch fence if any, else the
/// text from its first `diff --git` or `--- ` line. Returns `None` when there is no diff.
pub fn extract_patch(reply: &str) -> Option<String> {
    let mut in_fence = false;
    let mut fenced = String::new();
    for line in reply.lines() {
        let trimmed = line.trim_start();
        if !in_fence && (trimmed.starts_with("```diff") || trimmed.starts_with("```patch")) {
            in_fence = true;
            continue;
        }
        if in_fence {
            if trimmed.starts_with("```") {
                break;
            }
            fenced.push_str(line);
            fenced.push('\n');
        }
    }
    if !fenced.trim().is_empty() {
        return Some(fenced);
    }
    let start = reply
        .match_indices("diff --git ")
        .chain(reply.match_indices("--- "))
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || reply.as_bytes()[i - 1] == b'\n')
        .min()?;
    let text = &reply[start..];
    Some(if text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    })
}

/// Refuses a repo-relative path that could escape or corrupt the repository.
pub fn check_path(repo: &Path, rel: &Path) -> Result<(), String> {
    if rel.is_absolute() {
        return Err(format!("absolute path {}", rel.display()));
    }
    let mut current = repo.to_path_buf();
    for component in rel.components() {
        match component {
            Component::Normal(part) => {
                if part == ".git" {
                    return Err(format!("path into .git: {}", rel.display()));
                }
                current.push(part);
                if current
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink())
                {
                    return Err(format!("path through a symlink: {}", rel.display()));
                }
            }
            Component::CurDir => {}
            _ => return Err(format!("path leaving the repository: {}", rel.display())),
        }
    }
    Ok(())
}

/// Applies `reply` to the repository at `repo_dir`. `is_protected` says which repo-relative
/// paths are restored to the base afterwards.
pub fn apply_reply(
    repo_dir: &Path,
    reply: &str,
    is_protected: &dyn Fn(&str) -> bool,
) -> Result<Applied, PatchError> {
    if reply.len() > MAX_PATCH_BYTES {
        return Ok(Applied::failed(
            String::new(),
            format!(
                "reply of {} bytes exceeds the {} byte limit",
                reply.len(),
                MAX_PATCH_BYTES
            ),
        ));
    }
    let Some(patch) = extract_patch(reply) else {
        return Ok(Applied {
            status: ApplyStatus::Empty,
            reason: None,
            patch: String::new(),
            files: vec![],
            protected_touched: vec![],
            hygiene: Hygiene::default(),
        });
    };
    if patch.contains("\nGIT binary patch") || patch.starts_with("GIT binary patch") {
        return Ok(Applied::failed(patch, "binary patches are refused".into()));
    }
    let diff = match git2::Diff::from_buffer(patch.as_bytes()) {
        Ok(d) => d,
        Err(e) => {
            return Ok(Applied::failed(
                patch,
                format!("not a valid unified diff: {}", e.message()),
            ))
        }
    };
    let mut files = Vec::new();
    let mut hygiene = Hygiene::default();
    for delta in diff.deltas() {
        for path in [delta.old_file().path(), delta.new_file().path()]
            .into_iter()
            .flatten()
        {
            if let Err(reason) = check_path(repo_dir, path) {
                return Ok(Applied::failed(
                    patch,
                    format!("unsafe patch refused: {reason}"),
                ));
            }
        }
        if delta.flags().is_binary() {
            return Ok(Applied::failed(patch, "binary patches are refused".into()));
        }
        let path = delta
            .new_file()
            .path()
            .or_else(|| delta.old_file().path())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let change = match delta.status() {
            git2::Delta::Added => "added",
            git2::Delta::Deleted => {
                hygiene.files_deleted += 1;
                "deleted"
            }
            git2::Delta::Renamed => "renamed",
            _ => "modified",
        };
        files.push(FileOutcome {
            path,
            change: change.to_string(),
        });
    }
    hygiene.files_touched = files.len();
    if let Ok(stats) = diff.stats() {
        hygiene.lines_added = stats.insertions();
        hygiene.lines_removed = stats.deletions();
    }
    let repo = git2::Repository::open(repo_dir).map_err(|source| PatchError::Git {
        context: "opening",
        source,
    })?;
    // Check first, so a patch that fails half-way never leaves a half-applied tree.
    let mut check = git2::ApplyOptions::new();
    check.check(true);
    if let Err(e) = repo.apply(&diff, git2::ApplyLocation::WorkDir, Some(&mut check)) {
        return Ok(Applied::failed(
            patch,
            format!("patch does not apply: {}", e.message()),
        ));
    }
    if let Err(e) = repo.apply(&diff, git2::ApplyLocation::WorkDir, None) {
        reset_to_head(&repo)?;
        return Ok(Applied::failed(
            patch,
            format!("patch does not apply: {}", e.message()),
        ));
    }
    let mut protected_touched: Vec<String> = Vec::new();
    for delta in diff.deltas() {
        for path in [delta.old_file().path(), delta.new_file().path()]
            .into_iter()
            .flatten()
        {
            let rel = path.to_string_lossy().into_owned();
            if is_protected(&rel) && !protected_touched.contains(&rel) {
                restore_from_head(&repo, repo_dir, path)?;
                protected_touched.push(rel);
            }
        }
    }
    protected_touched.sort();
    Ok(Applied {
        status: ApplyStatus::Exact,
        reason: None,
        patch,
        files,
        protected_touched,
        hygiene,
    })
}

/// Puts one path back as it is in HEAD (the base), deleting it if the base has no such file.
fn restore_from_head(
    repo: &git2::Repository,
    repo_dir: &Path,
    rel: &Path,
) -> Result<(), PatchError> {
    let head = repo
        .head()
        .and_then(|h| h.peel_to_tree())
        .map_err(|source| PatchError::Git {
            context: "reading HEAD",
            source,
        })?;
    let abs = repo_dir.join(rel);
    if head.get_path(rel).is_ok() {
        let mut opts = git2::build::CheckoutBuilder::new();
        opts.force().path(rel);
        repo.checkout_head(Some(&mut opts))
            .map_err(|source| PatchError::Git {
                context: "restoring a protected file",
                source,
            })?;
    } else if abs.symlink_metadata().is_ok() {
        std::fs::remove_file(&abs).map_err(|source| PatchError::Io {
            action: "removing protected file",
            path: rel.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

fn reset_to_head(repo: &git2::Repository) -> Result<(), PatchError> {
    let mut opts = git2::build::CheckoutBuilder::new();
    opts.force().remove_untracked(true);
    repo.checkout_head(Some(&mut opts))
        .map_err(|source| PatchError::Git {
            context: "resetting the work tree",
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (p, c) in files {
            let path = dir.path().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, c).unwrap();
        }
        let repo = git2::Repository::init(dir.path()).unwrap();
        crate::materialize::commit_all(&repo, "base").unwrap();
        dir
    }

    const PATCH: &str = "diff --git a/src/a.py b/src/a.py\n--- a/src/a.py\n+++ b/src/a.py\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\ndiff --git a/tests/t.py b/tests/t.py\n--- a/tests/t.py\n+++ b/tests/t.py\n@@ -1 +1 @@\n-assert False\n+assert True\n";

    fn protected(p: &str) -> bool {
        p.starts_with("tests/")
    }

    #[test]
    fn applies_and_restores_protected_files() {
        let dir = repo_with(&[
            ("src/a.py", "x = 1\ny = 2\n"),
            ("tests/t.py", "assert False\n"),
        ]);
        let applied = apply_reply(dir.path(), PATCH, &protected).unwrap();
        assert_eq!(applied.status, ApplyStatus::Exact);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/a.py")).unwrap(),
            "x = 1\ny = 3\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("tests/t.py")).unwrap(),
            "assert False\n"
        );
        assert_eq!(applied.protected_touched, vec!["tests/t.py".to_string()]);
        assert_eq!(applied.hygiene.lines_added, 2);
        assert_eq!(applied.hygiene.files_touched, 2);
    }

    #[test]
    fn a_patch_that_does_not_apply_is_an_outcome_and_changes_nothing() {
        let dir = repo_with(&[
            ("src/a.py", "x = 1\ny = 5\n"),
            ("tests/t.py", "assert False\n"),
        ]);
        let applied = apply_reply(dir.path(), PATCH, &protected).unwrap();
        assert_eq!(applied.status, ApplyStatus::Failed);
        assert!(applied.reason.unwrap().contains("does not apply"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/a.py")).unwrap(),
            "x = 1\ny = 5\n"
        );
    }

    #[test]
    fn empty_reply_is_empty() {
        let dir = repo_with(&[("a.txt", "a\n")]);
        let applied = apply_reply(dir.path(), "I could not do it.", &protected).unwrap();
        assert_eq!(applied.status, ApplyStatus::Empty);
    }

    #[test]
    fn unsafe_paths_are_refused() {
        let dir = repo_with(&[("a.txt", "a\n")]);
        for path in ["../outside.txt", ".git/hooks/pre-commit"] {
            let patch = format!("--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+evil\n");
            let applied = apply_reply(dir.path(), &patch, &protected).unwrap();
            assert_eq!(applied.status, ApplyStatus::Failed, "{path}: {applied:?}");
            let reason = applied.reason.unwrap();
            // libgit2 itself rejects some of these at parse time; either way nothing is written.
            assert!(
                reason.contains("unsafe") || reason.contains("not a valid unified diff"),
                "{path}: {reason}"
            );
        }
        assert!(!dir.path().parent().unwrap().join("outside.txt").exists());
    }

    #[test]
    fn symlinked_directories_are_refused() {
        let dir = repo_with(&[("a.txt", "a\n")]);
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        let patch = "--- /dev/null\n+++ b/link/x.txt\n@@ -0,0 +1 @@\n+evil\n";
        let applied = apply_reply(dir.path(), patch, &protected).unwrap();
        assert_eq!(applied.status, ApplyStatus::Failed);
        assert!(!outside.path().join("x.txt").exists());
    }

    #[test]
    fn extracts_fenced_diff() {
        let reply = "Here you go:\n```diff\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n```\nDone.";
        assert_eq!(
            extract_patch(reply).unwrap(),
            "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
        );
        assert!(extract_patch("no diff here").is_none());
    }
}
