//! Planning a reply's edits in memory and writing them to the attempt's tree.
//!
//! In: the reply, the attempt repository, the protected-path predicate and [`ApplyOptions`].
//! Out: an [`Applied`] record (see the module docs of [`crate::patch`] for the order of the
//! stages and the rule that nothing is written unless every edit applies), or a [`PatchError`]
//! when the repository itself is unusable.

use std::collections::BTreeMap;
use std::path::Path;

use super::fuzzy::{self, apply_edit, EditKind, TextFile};
use super::safety::{self, check_path};
use super::udiff::{self, FilePatch, HunkLine};
use super::{extract, is_placeholder, Edit};
use super::{
    Applied, ApplyOptions, ApplyStatus, FileChange, FileOutcome, HunkOutcome, HunkStatus, Hygiene,
    PatchError, Strategy,
};

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

impl Planned {
    /// The outcome of an edit that names one file and rewrites it where it is (a
    /// search/replace block, a whole file): modified when the file existed, added otherwise.
    fn outcome_in_place(
        &self,
        path: &str,
        edit: String,
        status: HunkStatus,
    ) -> (String, FileChange, Vec<HunkOutcome>) {
        let change = if self.original.is_some() {
            FileChange::Modified
        } else {
            FileChange::Added
        };
        (path.to_string(), change, vec![HunkOutcome { edit, status }])
    }
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
        return Ok(Applied::unwritten(ApplyStatus::Empty, None, format, patch));
    }
    if let Err(reason) = safety::check_edits(repo_dir, &edits) {
        return Ok(Applied::failed(format, patch, reason.to_string()));
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
                let edit = format!("search/replace {sr_count}");
                plan[path].outcome_in_place(path, edit, st)
            }
            Edit::WholeFile { path, content } => {
                let entry = plan.get_mut(path).expect("inserted");
                let mut new = TextFile::parse(content);
                if let Some(o) = &entry.original {
                    new.crlf = o.crlf;
                }
                entry.current = Some(new);
                note_placeholders(path, content.lines(), &mut placeholders);
                entry.outcome_in_place(path, "whole file".into(), HunkStatus::Exact)
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
                if change != FileChange::Modified {
                    o.change = change;
                }
            }
            None => outcomes.push(FileOutcome {
                path,
                change,
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

/// The diff sections among `edits` as one git diff.
fn diffs_as_git(edits: &[Edit]) -> String {
    let diffs: Vec<FilePatch> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::Diff(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    udiff::render_git(&diffs)
}

fn normalised_text(edits: &[Edit]) -> String {
    let mut out = diffs_as_git(edits);
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
) -> (String, FileChange, Vec<HunkOutcome>) {
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
                    FileChange::Added,
                    one("new file", failed("the file already exists")),
                );
            }
            entry.current = Some(file);
            if outcomes.is_empty() {
                outcomes = one("new file", HunkStatus::Exact);
            }
            (path, FileChange::Added, outcomes)
        }
        (Some(old), None) => {
            let entry = plan.get_mut(old).expect("inserted");
            if entry.current.is_none() {
                return (
                    path,
                    FileChange::Deleted,
                    one("delete", failed("no such file to delete")),
                );
            }
            entry.current = None;
            (path, FileChange::Deleted, one("delete", HunkStatus::Exact))
        }
        (Some(old), Some(new)) => {
            let Some(mut file) = plan[old].current.clone() else {
                return (
                    path,
                    FileChange::Modified,
                    one("modify", failed("no such file")),
                );
            };
            let renamed = old != new;
            if renamed && plan[new].current.is_some() {
                return (
                    path,
                    FileChange::Renamed,
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
            (
                path,
                if renamed {
                    FileChange::Renamed
                } else {
                    FileChange::Modified
                },
                outcomes,
            )
        }
        (None, None) => (
            path,
            FileChange::Modified,
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
    let text = diffs_as_git(edits);
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
