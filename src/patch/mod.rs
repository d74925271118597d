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
//! Stages (one file each):
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
//! planned path is put back to its bytes before the reply and the planned contents are written. Protected files are then restored.

pub mod extract;
pub mod fuzzy;
pub mod safety;
pub mod udiff;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use extract::{extract, is_placeholder, Edit, EditFormat};
pub use fuzzy::TextFile;
pub use safety::{check_path, MAX_PATCH_BYTES};

use fuzzy::{apply_edit, EditKind};
use udiff::{FilePatch, HunkLine};

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
    fn summary(&self) -> ApplyStatus {
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

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOutcome {
    /// Path relative to the repo root (the new path for renames).
    pub path: String,
    /// added, modified, deleted, renamed.
    pub change: String,
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
    fn failed(format: EditFormat, patch: String, reason: String) -> Applied {
        Applied {
            status: ApplyStatus::Failed,
            reason: Some(reason),
            patch,
            format,
            strategy: None,
            files: vec![],
            protected_touched: vec![],
            hygiene: Hygiene::default(),
        }
    }
}

/// Applies `reply` (any edit format) to the repository at `repo_dir`. `is_protected` says which
/// repo-relative paths are restored to the base afterwards.
pub fn apply_reply(
    repo_dir: &Path,
    reply: &str,
    is_protected: &dyn Fn(&str) -> bool,
) -> Result<Applied, PatchError> {
    apply_reply_with(repo_dir, reply, is_protected, &ApplyOptions::default())
}

/// One file's state while planning.
struct Planned {
    /// The bytes on disk before the reply, to put back if a strategy fails half-way.
    original_bytes: Option<Vec<u8>>,
    original: Option<TextFile>,
    current: Option<TextFile>,
}

/// [`apply_reply`] with an explicit format and size limit.
pub fn apply_reply_with(
    repo_dir: &Path,
    reply: &str,
    is_protected: &dyn Fn(&str) -> bool,
    options: &ApplyOptions,
) -> Result<Applied, PatchError> {
    if reply.len() > options.max_reply_bytes {
        return Ok(Applied::failed(
            options.format,
            String::new(),
            format!(
                "reply of {} bytes exceeds the {} byte limit",
                reply.len(),
                options.max_reply_bytes
            ),
        ));
    }
    let (format, mut edits) = extract(reply, options.format);
    resolve_stray_prefixes(repo_dir, &mut edits);
    let patch = normalised_text(&edits);
    if edits.is_empty() {
        return Ok(Applied {
            status: ApplyStatus::Empty,
            reason: None,
            patch,
            format,
            strategy: None,
            files: vec![],
            protected_touched: vec![],
            hygiene: Hygiene::default(),
        });
    }
    if let Err(reason) = safety::check_edits(repo_dir, &edits) {
        return Ok(Applied::failed(format, patch, reason));
    }

    // Plan every edit in memory, in reply order.
    let mut plan: BTreeMap<String, Planned> = BTreeMap::new();
    let mut outcomes: Vec<FileOutcome> = Vec::new();
    let mut placeholders = Vec::new();
    let mut first_failure: Option<String> = None;
    let mut sr_count = 0;
    for edit in &edits {
        for p in edit.paths() {
            if !plan.contains_key(p) {
                let original_bytes = read_bytes(repo_dir, p)?;
                let original = original_bytes
                    .as_ref()
                    .map(|b| TextFile::parse(&String::from_utf8_lossy(b)));
                plan.insert(
                    p.to_string(),
                    Planned {
                        current: original.clone(),
                        original,
                        original_bytes,
                    },
                );
            }
        }
        let (path, change, hunks) = match edit {
            Edit::Diff(fp) => plan_diff(&mut plan, fp, &mut placeholders),
            Edit::SearchReplace {
                path,
                search,
                replace,
            } => {
                sr_count += 1;
                let st =
                    plan_search_replace(plan.get_mut(path).expect("inserted"), search, replace);
                note_placeholders(path, replace.lines(), &mut placeholders);
                let change = if plan[path].original.is_some() {
                    "modified"
                } else {
                    "added"
                };
                (
                    path.clone(),
                    change,
                    vec![HunkOutcome {
                        edit: format!("search/replace {sr_count}"),
                        status: st,
                    }],
                )
            }
            Edit::WholeFile { path, content } => {
                let entry = plan.get_mut(path).expect("inserted");
                let mut new = TextFile::parse(content);
                if let Some(o) = &entry.original {
                    new.crlf = o.crlf;
                }
                entry.current = Some(new);
                note_placeholders(path, content.lines(), &mut placeholders);
                let change = if entry.original.is_some() {
                    "modified"
                } else {
                    "added"
                };
                (
                    path.clone(),
                    change,
                    vec![HunkOutcome {
                        edit: "whole file".into(),
                        status: HunkStatus::Exact,
                    }],
                )
            }
        };
        for h in &hunks {
            if let (HunkStatus::Failed { reason }, None) = (&h.status, &first_failure) {
                first_failure = Some(format!("{path}: {}: {reason}", h.edit));
            }
        }
        match outcomes.iter_mut().find(|o| o.path == path) {
            Some(o) => {
                o.hunks.extend(hunks);
                if change != "modified" {
                    o.change = change.into();
                }
            }
            None => outcomes.push(FileOutcome {
                path,
                change: change.into(),
                status: ApplyStatus::Exact,
                hunks,
            }),
        }
    }
    for o in &mut outcomes {
        o.status = o
            .hunks
            .iter()
            .map(|h| h.status.summary())
            .max()
            .unwrap_or(ApplyStatus::Exact);
    }
    if let Some(reason) = first_failure {
        let mut failed = Applied::failed(format, patch, reason);
        failed.files = outcomes;
        return Ok(failed);
    }
    let status = outcomes
        .iter()
        .map(|o| o.status)
        .max()
        .unwrap_or(ApplyStatus::Exact);

    // Write the plan.
    let repo = git2::Repository::open(repo_dir).ok();
    let all_diffs = edits.iter().all(|e| matches!(e, Edit::Diff(_)));
    let mut strategy = Strategy::Content;
    if let (Some(repo), true, true) = (&repo, all_diffs, status <= ApplyStatus::Offset) {
        match apply_with_git2(repo, repo_dir, &edits, &plan)? {
            Git2Outcome::Applied => strategy = Strategy::Git2,
            Git2Outcome::Refused => {}
            Git2Outcome::Disagreed => put_back_originals(repo_dir, &plan)?,
        }
    }
    if strategy == Strategy::Content {
        write_plan(repo_dir, &plan)?;
    }

    // Protected files back to the base.
    let mut protected_touched: Vec<String> = Vec::new();
    for (path, p) in &plan {
        if is_protected(path) && p.current != p.original {
            let Some(repo) = &repo else {
                return Err(PatchError::Io {
                    action: "restoring protected file (not a git repository)",
                    path: path.clone(),
                    source: std::io::Error::other("no repository"),
                });
            };
            restore_from_head(repo, repo_dir, Path::new(path))?;
            protected_touched.push(path.clone());
        }
    }

    let mut hygiene = Hygiene {
        placeholders,
        ..Hygiene::default()
    };
    for (path, p) in &plan {
        if is_protected(path) || p.current == p.original {
            continue;
        }
        hygiene.files_touched += 1;
        if p.original.is_some() && p.current.is_none() {
            hygiene.files_deleted += 1;
        }
        let lines = |t: &Option<TextFile>| t.as_ref().map(|t| t.lines.clone()).unwrap_or_default();
        let (a, b) = (lines(&p.original), lines(&p.current));
        for op in similar::capture_diff_slices(similar::Algorithm::Myers, &a, &b) {
            match op {
                similar::DiffOp::Delete { old_len, .. } => hygiene.lines_removed += old_len,
                similar::DiffOp::Insert { new_len, .. } => hygiene.lines_added += new_len,
                similar::DiffOp::Replace {
                    old_len, new_len, ..
                } => {
                    hygiene.lines_removed += old_len;
                    hygiene.lines_added += new_len;
                }
                similar::DiffOp::Equal { .. } => {}
            }
        }
    }
    Ok(Applied {
        status,
        reason: None,
        patch,
        format,
        strategy: Some(strategy),
        files: outcomes,
        protected_touched,
        hygiene,
    })
}

/// `--- a/x` / `+++ a/x` (the same prefix on both sides) is left alone by the parser; when `a/x`
/// does not exist but `x` does, the prefix was git's.
fn resolve_stray_prefixes(repo_dir: &Path, edits: &mut [Edit]) {
    for edit in edits {
        let Edit::Diff(p) = edit else { continue };
        for path in [&mut p.old_path, &mut p.new_path].into_iter().flatten() {
            if let Some(stripped) = path.strip_prefix("a/").or_else(|| path.strip_prefix("b/")) {
                if !repo_dir.join(path.as_str()).exists() && repo_dir.join(stripped).is_file() {
                    *path = stripped.to_string();
                }
            }
        }
    }
}

fn normalised_text(edits: &[Edit]) -> String {
    let mut out = String::new();
    let diffs: Vec<FilePatch> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::Diff(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    out.push_str(&udiff::render_git(&diffs));
    for e in edits {
        match e {
            Edit::SearchReplace {
                path,
                search,
                replace,
            } => out.push_str(&format!(
                "{path}\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"
            )),
            Edit::WholeFile { path, content } => {
                out.push_str(&format!("{path}\n```\n{content}```\n"))
            }
            Edit::Diff(_) => {}
        }
    }
    out
}

fn note_placeholders<'a>(path: &str, lines: impl Iterator<Item = &'a str>, out: &mut Vec<String>) {
    for l in lines {
        if is_placeholder(l) {
            out.push(format!("{path}: {}", l.trim()));
        }
    }
}

fn read_bytes(repo_dir: &Path, rel: &str) -> Result<Option<Vec<u8>>, PatchError> {
    let abs = repo_dir.join(rel);
    match std::fs::read(&abs) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        // A directory where a file is named: the edit will fail as "no such file".
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory || abs.is_dir() => Ok(None),
        Err(source) => Err(PatchError::Io {
            action: "reading",
            path: rel.to_string(),
            source,
        }),
    }
}

fn failed(reason: impl Into<String>) -> HunkStatus {
    HunkStatus::Failed {
        reason: reason.into(),
    }
}

/// Plans one diff section; returns the file's path, its change and the hunk outcomes.
fn plan_diff(
    plan: &mut BTreeMap<String, Planned>,
    fp: &FilePatch,
    placeholders: &mut Vec<String>,
) -> (String, &'static str, Vec<HunkOutcome>) {
    let path = fp
        .new_path
        .clone()
        .or_else(|| fp.old_path.clone())
        .unwrap_or_default();
    let one = |edit: &str, st: HunkStatus| {
        vec![HunkOutcome {
            edit: edit.to_string(),
            status: st,
        }]
    };
    for h in &fp.hunks {
        for l in &h.lines {
            if let HunkLine::Add(t) = l {
                if is_placeholder(t) {
                    placeholders.push(format!("{path}: {}", t.trim()));
                }
            }
        }
    }
    match (&fp.old_path, &fp.new_path) {
        (None, Some(new)) => {
            let entry = plan.get_mut(new).expect("inserted");
            let mut file = TextFile::parse("");
            let mut outcomes = Vec::new();
            for h in &fp.hunks {
                let st = match apply_edit(&mut file, &h.lines, None, h.new_no_eol, EditKind::Hunk) {
                    Ok((st, _)) => st,
                    Err(r) => failed(r),
                };
                outcomes.push(HunkOutcome {
                    edit: h.header.clone(),
                    status: st,
                });
            }
            if entry.current.as_ref().is_some_and(|c| *c != file) {
                return (
                    path,
                    "added",
                    one("new file", failed("the file already exists")),
                );
            }
            entry.current = Some(file);
            if outcomes.is_empty() {
                outcomes = one("new file", HunkStatus::Exact);
            }
            (path, "added", outcomes)
        }
        (Some(old), None) => {
            let entry = plan.get_mut(old).expect("inserted");
            if entry.current.is_none() {
                return (
                    path,
                    "deleted",
                    one("delete", failed("no such file to delete")),
                );
            }
            entry.current = None;
            (path, "deleted", one("delete", HunkStatus::Exact))
        }
        (Some(old), Some(new)) => {
            let Some(mut file) = plan[old].current.clone() else {
                return (path, "modified", one("modify", failed("no such file")));
            };
            let renamed = old != new;
            if renamed && plan[new].current.is_some() {
                return (
                    path,
                    "renamed",
                    one("rename", failed("the rename target exists")),
                );
            }
            let mut outcomes = Vec::new();
            let mut delta: isize = 0;
            for h in &fp.hunks {
                let expected = h
                    .old_start
                    .map(|s| (s.max(1) as isize - 1 + delta).max(0) as usize);
                let before = file.lines.len() as isize;
                let st = apply_hunk_segments(&mut file, &h.lines, expected, h.new_no_eol);
                delta += file.lines.len() as isize - before;
                outcomes.push(HunkOutcome {
                    edit: h.header.clone(),
                    status: st,
                });
            }
            if renamed {
                plan.get_mut(old).expect("inserted").current = None;
                if outcomes.is_empty() {
                    outcomes = one("rename", HunkStatus::Exact);
                }
            }
            plan.get_mut(new).expect("inserted").current = Some(file);
            (path, if renamed { "renamed" } else { "modified" }, outcomes)
        }
        (None, None) => (
            path,
            "modified",
            one("diff", failed("a diff section without paths")),
        ),
    }
}

/// A hunk whose context holds placeholder lines ("# ... existing code ...") is applied as the
/// separate pieces between them, each located by content.
fn apply_hunk_segments(
    file: &mut TextFile,
    lines: &[HunkLine],
    expected: Option<usize>,
    new_no_eol: bool,
) -> HunkStatus {
    let mut segments: Vec<&[HunkLine]> = Vec::new();
    let mut start = 0;
    for (k, l) in lines.iter().enumerate() {
        if matches!(l, HunkLine::Context(t) if is_placeholder(t)) {
            segments.push(&lines[start..k]);
            start = k + 1;
        }
    }
    segments.push(&lines[start..]);
    let segments: Vec<&[HunkLine]> = segments.into_iter().filter(|s| !s.is_empty()).collect();
    let split = segments.len() > 1;
    let mut worst = HunkStatus::Exact;
    let last = segments.len().saturating_sub(1);
    for (k, seg) in segments.iter().enumerate() {
        let exp = if k == 0 { expected } else { None };
        match apply_edit(file, seg, exp, new_no_eol && k == last, EditKind::Hunk) {
            Ok((st, _)) => {
                let st = match (split, st) {
                    // A split hunk is an approximate application even when each piece is exact.
                    (true, HunkStatus::Exact | HunkStatus::Offset { .. }) => HunkStatus::Fuzzy {
                        whitespace_lines: 0,
                        unmatched_lines: 1,
                        offset: 0,
                    },
                    (_, st) => st,
                };
                if st.summary() > worst.summary() {
                    worst = st;
                }
            }
            Err(r) => return failed(r),
        }
    }
    worst
}

fn plan_search_replace(entry: &mut Planned, search: &str, replace: &str) -> HunkStatus {
    let replace_lines: Vec<HunkLine> = replace
        .lines()
        .map(|l| HunkLine::Add(l.to_string()))
        .collect();
    let Some(file) = entry.current.as_mut() else {
        if search.trim().is_empty() {
            let mut f = TextFile::parse(replace);
            f.final_newline = true;
            entry.current = Some(f);
            return HunkStatus::Exact;
        }
        return failed("no such file");
    };
    if search.trim().is_empty() {
        file.lines.extend(replace.lines().map(str::to_string));
        file.final_newline = true;
        return HunkStatus::Exact;
    }
    // A search text that is not whole lines ("foo(1)" inside a line): a unique substring.
    let search_lines: Vec<&str> = search.lines().collect();
    if fuzzy::positions(&file.lines, &search_lines, &|a, b| a == b).is_empty() {
        let text = file.lines.join("\n") + "\n";
        let needle = search.strip_suffix('\n').unwrap_or(search);
        if text.matches(needle).count() == 1 {
            let with = replace.strip_suffix('\n').unwrap_or(replace);
            let mut new = TextFile::parse(&text.replacen(needle, with, 1));
            new.crlf = file.crlf;
            new.final_newline = file.final_newline;
            *file = new;
            return HunkStatus::Exact;
        }
    }
    let mut lines: Vec<HunkLine> = search
        .lines()
        .map(|l| HunkLine::Remove(l.to_string()))
        .collect();
    lines.extend(replace_lines);
    let keep_eol = file.final_newline;
    match apply_edit(file, &lines, None, !keep_eol, EditKind::Block) {
        Ok((st, _)) => st,
        Err(r) => failed(r.replace("context", "search text")),
    }
}

/// What the libgit2 stage did.
enum Git2Outcome {
    /// Applied, and the tree matches the plan.
    Applied,
    /// Refused before writing anything.
    Refused,
    /// Wrote something that differs from the plan: the originals must be put back.
    Disagreed,
}

fn apply_with_git2(
    repo: &git2::Repository,
    repo_dir: &Path,
    edits: &[Edit],
    plan: &BTreeMap<String, Planned>,
) -> Result<Git2Outcome, PatchError> {
    let diffs: Vec<FilePatch> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::Diff(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let text = udiff::render_git(&diffs);
    let Ok(diff) = git2::Diff::from_buffer(text.as_bytes()) else {
        return Ok(Git2Outcome::Refused);
    };
    let mut check = git2::ApplyOptions::new();
    check.check(true);
    if repo
        .apply(&diff, git2::ApplyLocation::WorkDir, Some(&mut check))
        .is_err()
    {
        return Ok(Git2Outcome::Refused);
    }
    if repo
        .apply(&diff, git2::ApplyLocation::WorkDir, None)
        .is_err()
    {
        return Ok(Git2Outcome::Disagreed);
    }
    // libgit2 and the plan must agree; otherwise the plan (which saw every hunk land) wins.
    for (path, p) in plan {
        let on_disk =
            read_bytes(repo_dir, path)?.map(|b| TextFile::parse(&String::from_utf8_lossy(&b)));
        if on_disk != p.current {
            return Ok(Git2Outcome::Disagreed);
        }
    }
    Ok(Git2Outcome::Applied)
}

/// Resets every planned path to its bytes before the reply (the tree between strategies).
fn put_back_originals(repo_dir: &Path, plan: &BTreeMap<String, Planned>) -> Result<(), PatchError> {
    for (path, p) in plan {
        let abs = repo_dir.join(path);
        match &p.original_bytes {
            Some(bytes) => std::fs::write(&abs, bytes),
            None if abs.symlink_metadata().is_ok() => std::fs::remove_file(&abs),
            None => Ok(()),
        }
        .map_err(|source| PatchError::Io {
            action: "resetting",
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

fn write_plan(repo_dir: &Path, plan: &BTreeMap<String, Planned>) -> Result<(), PatchError> {
    let io = |action: &'static str, path: &str| {
        let path = path.to_string();
        move |source| PatchError::Io {
            action,
            path,
            source,
        }
    };
    // Deletions first, so a rename onto a path freed in the same reply works.
    for (path, p) in plan {
        if p.current.is_none() && p.original.is_some() {
            std::fs::remove_file(repo_dir.join(path)).map_err(io("deleting", path))?;
        }
    }
    for (path, p) in plan {
        let Some(content) = &p.current else { continue };
        if Some(content) == p.original.as_ref() {
            continue;
        }
        // Paths were checked before planning; check again right before writing.
        if let Err(reason) = check_path(repo_dir, Path::new(path)) {
            return Err(PatchError::Io {
                action: "writing",
                path: path.clone(),
                source: std::io::Error::other(reason),
            });
        }
        let abs = repo_dir.join(path);
        if let Some(parent) = abs.parent() {
            std::fs::create_dir_all(parent).map_err(io("creating the folder of", path))?;
        }
        std::fs::write(&abs, content.render()).map_err(io("writing", path))?;
    }
    Ok(())
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

#[cfg(test)]
mod tests;
