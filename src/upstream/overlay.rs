//! Applying a fixture's overlay patch (a `git diff --binary` of what refbench adds: test
//! configuration, a lock file, a sync shim) to a freshly unpacked upstream tree.
//!
//! In: the tree, the overlay's path (for messages) and bytes. Out: the tree with the overlay
//! applied, or [`UpstreamError::Overlay`] with libgit2's reason. libgit2 applies to the
//! working directory of a scratch repository opened on the tree; its `.git` is removed again,
//! so the tree holds the project's files only.

use std::path::Path;

use super::UpstreamError;

/// Applies the overlay `bytes` (read from `path`) to `tree`.
pub(super) fn apply(tree: &Path, path: &Path, bytes: &[u8]) -> Result<(), UpstreamError> {
    let fail = |reason: String| UpstreamError::Overlay {
        path: path.to_path_buf(),
        reason,
    };
    let diff = git2::Diff::from_buffer(bytes)
        .map_err(|e| fail(format!("not a unified git diff: {}", e.message())))?;
    if diff.deltas().len() == 0 {
        return Err(fail("it changes no file".into()));
    }
    let dot_git = tree.join(".git");
    if dot_git.symlink_metadata().is_ok() {
        return Err(fail(
            "the upstream tree has a .git of its own; exclude it with `exclude = [\".git\"]`"
                .into(),
        ));
    }
    let result = git2::Repository::init(tree)
        .and_then(|repo| repo.apply(&diff, git2::ApplyLocation::WorkDir, None));
    let cleanup = crate::fsutil::remove_all(&dot_git);
    result.map_err(|e| fail(format!("it does not apply: {}", e.message())))?;
    cleanup.map_err(|e| fail(format!("removing the scratch {}: {e}", dot_git.display())))
}
