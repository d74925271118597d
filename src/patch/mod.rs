//! Apply: turns a model's reply into changes on the attempt's repository, safely.
//!
//! In: the reply text, the attempt's repository (a copy of the base, HEAD = base commit), the
//! task's protected globs and [`ApplyOptions`] (edit format, size limit). Out: an [`Applied`]
//! record: the overall [`ApplyStatus`], the format read, the strategy that wrote the tree, one
//! [`FileOutcome`] per file with one [`HunkOutcome`] per hunk or block (exact, offset, fuzzy
//! with its degree, failed with the reason), the protected files the reply tried to change
//! (restored to the base), and [`Hygiene`] (placeholder elisions, deletions, line counts). An
//! edit that does not parse, is unsafe or does not apply is an outcome (`Failed` with the
//! reason), never an error; [`PatchError`] is kept for harness trouble.
//!
//! Files: `outcome.rs` holds the record types above (stored with every attempt), `apply.rs`
//! plans and writes; the stages it calls have one file each:
//! - [`extract()`]: the edits in the reply (unified diff, search/replace, whole file; `auto`);
//! - [`udiff`]: a tolerant diff parser (no git header needed, counts ignored, prose skipped);
//! - [`safety`]: paths (absolute, `..`, `.git`, symlinks), binary and symlink patches, size;
//! - [`fuzzy`]: locating each hunk or block by content: exact, offset, whitespace-normalised,
//!   unique fuzzy; ambiguity is refused.
//!
//! All edits are first planned in memory, per file and in reply order (several edits to one
//! file are combined in order). Nothing is written unless every edit applies, so a failed reply
//! leaves the base untouched. Then the tree is written: when every edit is a diff hunk that
//! applied exactly or at an offset, by libgit2 (`Repository::apply` of the normalised diff,
//! checked first, and verified against the plan); otherwise, or if libgit2 refuses, every
//! planned path is put back to its bytes before the reply and the planned contents are
//! written. Protected files are then restored.

mod apply;
pub mod extract;
pub mod fuzzy;
mod outcome;
pub mod safety;
pub mod udiff;

pub use apply::{apply_reply, apply_reply_with};
pub use extract::{extract, is_placeholder, Edit, EditFormat};
pub use fuzzy::TextFile;
pub use outcome::{
    Applied, ApplyStatus, FileChange, FileOutcome, HunkOutcome, HunkStatus, Hygiene, Strategy,
};
pub use safety::{check_path, UnsafeEdit, UnsafePath, MAX_PATCH_BYTES};

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

/// How to read and bound a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// The edit format the prompt asked for.
    pub format: EditFormat,
    /// Replies larger than this are refused unread.
    pub max_reply_bytes: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            format: EditFormat::Auto,
            max_reply_bytes: MAX_PATCH_BYTES,
        }
    }
}

#[cfg(test)]
mod tests;
