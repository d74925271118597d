//! Safety: what a reply may never do, checked before anything is planned or written.
//!
//! In: the repository root and the extracted edits. Out: `Ok` or the reason for refusing the
//! whole reply. Refused: absolute paths, `..` components, paths into `.git` (at any depth, any
//! case), paths through an existing symlink (a directory or the file itself), binary patches,
//! diffs that create symlinks or submodules (mode 120000 or 160000). The reply size limit is
//! applied by the caller before extraction.

use std::path::{Component, Path};

use super::Edit;

/// Replies larger than this are refused unread (4 MiB).
pub const MAX_PATCH_BYTES: usize = 4 * 1024 * 1024;

/// Refuses a repo-relative path that could escape or corrupt the repository.
pub fn check_path(repo: &Path, rel: &Path) -> Result<(), String> {
    if rel.as_os_str().is_empty() {
        return Err("empty path".into());
    }
    if rel.is_absolute() {
        return Err(format!("absolute path {}", rel.display()));
    }
    let mut current = repo.to_path_buf();
    for component in rel.components() {
        match component {
            Component::Normal(part) => {
                if part.eq_ignore_ascii_case(".git") {
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

/// Checks every edit; the first problem refuses the reply.
pub fn check_edits(repo: &Path, edits: &[Edit]) -> Result<(), String> {
    for edit in edits {
        if let Edit::Diff(p) = edit {
            if p.binary {
                return Err("binary patches are refused".into());
            }
            if let Some(mode) = &p.special_mode {
                return Err(format!(
                    "unsafe edit refused: mode {mode} (symlink or submodule) for {}",
                    edit.paths().join(", ")
                ));
            }
        }
        for path in edit.paths() {
            if path.contains('\0') {
                return Err("unsafe edit refused: NUL in a path".into());
            }
            check_path(repo, Path::new(path)).map_err(|r| format!("unsafe edit refused: {r}"))?;
        }
    }
    Ok(())
}
