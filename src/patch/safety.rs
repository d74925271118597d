//! Safety: what a reply may never do, checked before anything is planned or written.
//!
//! In: the repository root and the extracted edits. Out: `Ok` or the reason for refusing the
//! whole reply ([`UnsafeEdit`], whose text is what reports show). Refused: absolute paths, `..` components, paths into `.git` (at any depth, any
//! case), paths through an existing symlink (a directory or the file itself), binary patches,
//! diffs that create symlinks or submodules (mode 120000 or 160000). The reply size limit is
//! applied by the caller before extraction.

use std::path::{Component, Path, PathBuf};

use super::Edit;

/// Why a repo-relative path is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafePath {
    /// No path at all.
    #[error("empty path")]
    Empty,
    /// An absolute path.
    #[error("absolute path {}", .0.display())]
    Absolute(PathBuf),
    /// A path into `.git`, at any depth, any case.
    #[error("path into .git: {}", .0.display())]
    IntoGit(PathBuf),
    /// A path through an existing symlink.
    #[error("path through a symlink: {}", .0.display())]
    ThroughSymlink(PathBuf),
    /// A `..` or root component.
    #[error("path leaving the repository: {}", .0.display())]
    Leaves(PathBuf),
}

/// Why a reply's edits are refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeEdit {
    /// A binary patch.
    #[error("binary patches are refused")]
    Binary,
    /// A diff creating a symlink or submodule.
    #[error("unsafe edit refused: mode {mode} (symlink or submodule) for {}", paths.join(", "))]
    SpecialMode {
        /// The mode the diff asks for.
        mode: String,
        /// The paths of the edit.
        paths: Vec<String>,
    },
    /// A NUL byte in a path.
    #[error("unsafe edit refused: NUL in a path")]
    Nul,
    /// A path [`check_path`] refuses.
    #[error("unsafe edit refused: {0}")]
    Path(#[from] UnsafePath),
}

/// Replies larger than this are refused unread (4 MiB).
pub const MAX_PATCH_BYTES: usize = 4 * 1024 * 1024;

/// Refuses a repo-relative path that could escape or corrupt the repository.
pub fn check_path(repo: &Path, rel: &Path) -> Result<(), UnsafePath> {
    if rel.as_os_str().is_empty() {
        return Err(UnsafePath::Empty);
    }
    if rel.is_absolute() {
        return Err(UnsafePath::Absolute(rel.to_path_buf()));
    }
    let mut current = repo.to_path_buf();
    for component in rel.components() {
        match component {
            Component::Normal(part) => {
                if part.eq_ignore_ascii_case(".git") {
                    return Err(UnsafePath::IntoGit(rel.to_path_buf()));
                }
                current.push(part);
                if current
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink())
                {
                    return Err(UnsafePath::ThroughSymlink(rel.to_path_buf()));
                }
            }
            Component::CurDir => {}
            _ => return Err(UnsafePath::Leaves(rel.to_path_buf())),
        }
    }
    Ok(())
}

/// Checks every edit; the first problem refuses the reply.
pub fn check_edits(repo: &Path, edits: &[Edit]) -> Result<(), UnsafeEdit> {
    for edit in edits {
        if let Edit::Diff(p) = edit {
            if p.binary {
                return Err(UnsafeEdit::Binary);
            }
            if let Some(mode) = &p.special_mode {
                return Err(UnsafeEdit::SpecialMode {
                    mode: mode.to_string(),
                    paths: edit.paths().iter().map(|p| p.to_string()).collect(),
                });
            }
        }
        for path in edit.paths() {
            if path.contains('\0') {
                return Err(UnsafeEdit::Nul);
            }
            check_path(repo, Path::new(path))?;
        }
    }
    Ok(())
}
