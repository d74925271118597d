//! What applying a reply produced, as stored in every attempt record.
//!
//! In: nothing (plain data). Out: the [`Applied`] record and its parts: the overall
//! [`ApplyStatus`], one [`FileOutcome`] per file (its [`FileChange`] and one [`HunkOutcome`]
//! per hunk), the [`Strategy`] that wrote the tree and the [`Hygiene`] counts. Their serde
//! forms are part of the run store's format: a field or a word changed here changes what old
//! runs read as.

use serde::{Deserialize, Serialize};

use super::EditFormat;

/// Overall result of applying a reply: the worst outcome over its hunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ApplyStatus {
    /// The reply held no edit; the tree is the base.
    Empty,
    /// Every hunk applied where it said.
    #[default]
    Exact,
    /// Some hunk applied by content at another line.
    Offset,
    /// Some hunk applied modulo whitespace or with context the file lacks.
    Fuzzy,
    /// Nothing was applied; `reason` says why.
    Failed,
}

impl std::fmt::Display for ApplyStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ApplyStatus::Empty => "empty",
            ApplyStatus::Exact => "exact",
            ApplyStatus::Offset => "offset",
            ApplyStatus::Fuzzy => "fuzzy",
            ApplyStatus::Failed => "failed",
        })
    }
}

/// What happened to one hunk (or one search/replace block, or one whole file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum HunkStatus {
    /// Applied at the line it named.
    Exact,
    /// Applied verbatim, `lines` away from the line it named.
    Offset {
        /// Signed distance.
        lines: isize,
    },
    /// Applied by approximate match.
    Fuzzy {
        /// Lines that matched only modulo whitespace (0 when not a whitespace match).
        whitespace_lines: usize,
        /// Old-side lines absent from the file (stale context, or block lines replaced anyway).
        unmatched_lines: usize,
        /// Signed distance from the line it named (0 when it named none).
        offset: isize,
    },
    /// Not applied.
    Failed {
        /// Why.
        reason: String,
    },
}

impl HunkStatus {
    /// The overall status this hunk's outcome counts as.
    pub fn summary(&self) -> ApplyStatus {
        match self {
            HunkStatus::Exact => ApplyStatus::Exact,
            HunkStatus::Offset { .. } => ApplyStatus::Offset,
            HunkStatus::Fuzzy { .. } => ApplyStatus::Fuzzy,
            HunkStatus::Failed { .. } => ApplyStatus::Failed,
        }
    }
}

impl std::fmt::Display for HunkStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HunkStatus::Exact => write!(f, "exact"),
            HunkStatus::Offset { lines } => write!(f, "offset {lines:+}"),
            HunkStatus::Fuzzy {
                whitespace_lines,
                unmatched_lines,
                offset,
            } => write!(
                f,
                "fuzzy (whitespace {whitespace_lines}, unmatched {unmatched_lines}, offset {offset:+})"
            ),
            HunkStatus::Failed { reason } => write!(f, "failed: {reason}"),
        }
    }
}

/// One hunk's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HunkOutcome {
    /// The hunk header as written, `search/replace N` or `whole file`.
    pub edit: String,
    /// The outcome.
    #[serde(flatten)]
    pub status: HunkStatus,
}

/// How a reply changes one file. Serialized as the lowercase word (`"modified"`), the string
/// records held before this was an enum, so stored runs read back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileChange {
    /// The file did not exist before.
    Added,
    /// The file's content changed in place.
    Modified,
    /// The file is removed.
    Deleted,
    /// The file moved to a new path (its content may change too).
    Renamed,
}

impl std::fmt::Display for FileChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileChange::Added => "added",
            FileChange::Modified => "modified",
            FileChange::Deleted => "deleted",
            FileChange::Renamed => "renamed",
        })
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOutcome {
    /// Path relative to the repo root (the new path for renames).
    pub path: String,
    /// How the file changed.
    pub change: FileChange,
    /// The worst of its hunks.
    #[serde(default)]
    pub status: ApplyStatus,
    /// Per hunk, in order.
    #[serde(default)]
    pub hunks: Vec<HunkOutcome>,
}

/// Size and shape of the change, for hygiene reporting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hygiene {
    /// Files the edit changes (protected files excluded).
    pub files_touched: usize,
    /// Files it deletes.
    pub files_deleted: usize,
    /// Lines added.
    pub lines_added: usize,
    /// Lines removed.
    pub lines_removed: usize,
    /// Placeholder lines standing for elided code, as `path: line`.
    #[serde(default)]
    pub placeholders: Vec<String>,
}

/// Which mechanism wrote the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// libgit2 applied the normalised diff.
    Git2,
    /// The content-located plan was written.
    Content,
}

/// The result of applying a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Overall status.
    pub status: ApplyStatus,
    /// Why it failed, when it did.
    pub reason: Option<String>,
    /// The extracted edit, normalised (a git diff for diffs; empty when none).
    pub patch: String,
    /// The format the reply was read in.
    #[serde(default)]
    pub format: EditFormat,
    /// What wrote the tree (none when nothing was written).
    #[serde(default)]
    pub strategy: Option<Strategy>,
    /// Per-file outcomes.
    pub files: Vec<FileOutcome>,
    /// Protected files the reply changed; they were restored to the base.
    pub protected_touched: Vec<String>,
    /// Counts and flags.
    pub hygiene: Hygiene,
}

impl Applied {
    /// Nothing applied, for `reason`.
    pub(super) fn failed(format: EditFormat, patch: String, reason: String) -> Applied {
        Applied::unwritten(ApplyStatus::Failed, Some(reason), format, patch)
    }

    /// Nothing written to the tree (no edit, or an edit refused whole).
    pub(super) fn unwritten(
        status: ApplyStatus,
        reason: Option<String>,
        format: EditFormat,
        patch: String,
    ) -> Applied {
        Applied {
            status,
            reason,
            patch,
            format,
            strategy: None,
            files: vec![],
            protected_touched: vec![],
            hygiene: Hygiene::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_change_keeps_the_words_stored_runs_hold() {
        for (change, word) in [
            (FileChange::Added, "added"),
            (FileChange::Modified, "modified"),
            (FileChange::Deleted, "deleted"),
            (FileChange::Renamed, "renamed"),
        ] {
            assert_eq!(change.to_string(), word);
            let json = format!("\"{word}\"");
            assert_eq!(serde_json::to_string(&change).unwrap(), json);
            assert_eq!(serde_json::from_str::<FileChange>(&json).unwrap(), change);
        }
        // A file outcome as runs stored it while `change` was a String.
        let stored = r#"{"path":"a.py","change":"renamed","status":"exact","hunks":[{"edit":"rename","status":"exact"}]}"#;
        let read: FileOutcome = serde_json::from_str(stored).unwrap();
        assert_eq!(read.change, FileChange::Renamed);
        assert_eq!(serde_json::to_string(&read).unwrap(), stored);
        assert!(serde_json::from_str::<FileChange>("\"copied\"").is_err());
    }
}
