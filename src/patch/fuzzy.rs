//! Locating an edit by content and applying it in memory.
//!
//! In: a file's text ([`TextFile`]: lines without terminators, its line-ending style) and one
//! edit as old lines -> new lines (a diff hunk, or a search/replace block). Out: the changed
//! file and a [`HunkStatus`], or the reason the edit was refused.
//!
//! The ladder, stopping at the first rung that finds exactly one place:
//! 1. exact: the old lines at the line the hunk names (adjusted by earlier hunks), else
//!    anywhere (offset);
//! 2. whitespace-normalised: lines compared with runs of whitespace collapsed, so tabs versus
//!    spaces, re-indentation and trailing blanks match; added lines are re-indented the way the
//!    matched lines were (tabs for spaces, a common prefix added or removed);
//! 3. fuzzy: windows of about the hunk's length scored with a line diff (`similar`); the best
//!    window must be unique (another window as good elsewhere is ambiguous), must hold at least
//!    60% of the old lines, and, for diff hunks, every removed line (whitespace-normalised):
//!    a hunk never removes a line it did not name. Context lines the file lacks are dropped,
//!    file lines the hunk lacks are kept, added lines go next to their neighbours.
//!
//! Two places equally good are refused (ambiguous), never guessed.

use similar::{capture_diff_slices, Algorithm, DiffOp};

use super::udiff::HunkLine;
use super::HunkStatus;

/// A text file as lines, with enough to write it back byte-for-byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFile {
    /// Lines without terminators.
    pub lines: Vec<String>,
    /// Lines end with `\r\n`.
    pub crlf: bool,
    /// The last line ends with a terminator.
    pub final_newline: bool,
}

impl TextFile {
    /// Splits `text` into lines.
    pub fn parse(text: &str) -> TextFile {
        if text.is_empty() {
            return TextFile {
                lines: vec![],
                crlf: false,
                final_newline: true,
            };
        }
        let final_newline = text.ends_with('\n');
        let body = text.strip_suffix('\n').unwrap_or(text);
        let raw: Vec<&str> = body.split('\n').collect();
        let cr = raw.iter().filter(|l| l.ends_with('\r')).count();
        let crlf = cr * 2 > raw.len();
        let lines = raw
            .iter()
            .map(|l| {
                if crlf {
                    l.strip_suffix('\r').unwrap_or(l).to_string()
                } else {
                    l.to_string()
                }
            })
            .collect();
        TextFile {
            lines,
            crlf,
            final_newline,
        }
    }

    /// The text back.
    pub fn render(&self) -> String {
        let eol = if self.crlf { "\r\n" } else { "\n" };
        let mut out = self.lines.join(eol);
        if !self.lines.is_empty() && self.final_newline {
            out.push_str(eol);
        }
        out
    }
}

/// How an edit's old side is to be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    /// A diff hunk: context kept from the file, removed lines must be found.
    Hunk,
    /// A search/replace block: the matched window is replaced as a whole.
    Block,
}

/// Whitespace-insensitive form of a line.
pub fn norm(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where `old` occurs in `file`, line for line under `eq`.
pub fn positions(file: &[String], old: &[&str], eq: &dyn Fn(&str, &str) -> bool) -> Vec<usize> {
    if old.is_empty() || old.len() > file.len() {
        return vec![];
    }
    (0..=file.len() - old.len())
        .filter(|&s| old.iter().enumerate().all(|(k, o)| eq(&file[s + k], o)))
        .collect()
}

/// Applies one edit to `file`. `expected` is the 0-based line the edit claims to start at.
pub fn apply_edit(
    file: &mut TextFile,
    lines: &[HunkLine],
    expected: Option<usize>,
    new_no_eol: bool,
    kind: EditKind,
) -> Result<(HunkStatus, usize), String> {
    let old: Vec<&str> = lines
        .iter()
        .filter(|l| !matches!(l, HunkLine::Add(_)))
        .map(HunkLine::text)
        .collect();
    if old.is_empty() {
        let at = expected.unwrap_or(file.lines.len());
        if at > file.lines.len() {
            return Err(format!(
                "hunk without context at line {} beyond the end of the file ({} lines)",
                at + 1,
                file.lines.len()
            ));
        }
        let new: Vec<String> = lines.iter().map(|l| l.text().to_string()).collect();
        let reaches_end = at == file.lines.len();
        let n = new.len();
        file.lines.splice(at..at, new);
        if reaches_end {
            file.final_newline = !new_no_eol;
        }
        return Ok((HunkStatus::Exact, at + n));
    }

    // 1. exact
    let exact = positions(&file.lines, &old, &|a, b| a == b);
    if let Some(s) = pick(&exact, expected, "exactly")? {
        let end = splice_aligned(file, lines, s, old.len(), kind, new_no_eol, None);
        let status = match expected {
            Some(e) if e != s => HunkStatus::Offset {
                lines: s as isize - e as isize,
            },
            _ => HunkStatus::Exact,
        };
        return Ok((status, end));
    }

    // 2. whitespace-normalised
    let old_norm: Vec<String> = old.iter().map(|l| norm(l)).collect();
    let ws = positions(&file.lines, &old, &|a, b| norm(a) == norm(b));
    if let Some(s) = pick(&ws, expected, "after whitespace normalisation")? {
        let differing = old
            .iter()
            .enumerate()
            .filter(|(k, o)| file.lines[s + k] != **o)
            .count();
        let pairs: Vec<(String, String)> = old
            .iter()
            .enumerate()
            .map(|(k, o)| (o.to_string(), file.lines[s + k].clone()))
            .collect();
        let map = IndentMap::infer(&pairs);
        let end = splice_aligned(file, lines, s, old.len(), kind, new_no_eol, Some(&map));
        return Ok((
            HunkStatus::Fuzzy {
                whitespace_lines: differing,
                unmatched_lines: 0,
                offset: expected.map_or(0, |e| s as isize - e as isize),
            },
            end,
        ));
    }

    // 3. fuzzy by similarity
    let file_norm: Vec<String> = file.lines.iter().map(|l| norm(l)).collect();
    let n = old.len();
    let removed: Vec<usize> = lines
        .iter()
        .filter(|l| !matches!(l, HunkLine::Add(_)))
        .enumerate()
        .filter(|(_, l)| matches!(l, HunkLine::Remove(_)))
        .map(|(k, _)| k)
        .collect();
    let needed = match kind {
        EditKind::Hunk => (n * 6).div_ceil(10).max(2.min(n)),
        EditKind::Block => (n * 8).div_ceil(10).max(2.min(n)),
    };
    // hits[i]: file lines before i that equal some old line; bounds a window's score cheaply.
    let old_set: std::collections::HashSet<&str> = old_norm.iter().map(String::as_str).collect();
    let mut hits = vec![0usize; file_norm.len() + 1];
    for (i, l) in file_norm.iter().enumerate() {
        hits[i + 1] = hits[i] + usize::from(old_set.contains(l.as_str()));
    }
    let mut best: Vec<Candidate> = Vec::new();
    let mut best_score = 0usize;
    for m in n.saturating_sub(2).max(1)..=n + 2 {
        if m > file_norm.len() {
            break;
        }
        for s in 0..=file_norm.len() - m {
            let bound = hits[s + m] - hits[s];
            if bound < needed || bound < best_score {
                continue;
            }
            let window = &file_norm[s..s + m];
            let ops = capture_diff_slices(Algorithm::Myers, &old_norm, window);
            let pairs = matched_pairs(&ops);
            let score = pairs.len();
            if score == 0 || score < best_score {
                continue;
            }
            if kind == EditKind::Hunk && !removed.iter().all(|r| pairs.iter().any(|p| p.0 == *r)) {
                continue;
            }
            let span = (s + pairs[0].1, s + pairs[pairs.len() - 1].1);
            if score > best_score {
                best_score = score;
                best.clear();
            }
            best.push(Candidate {
                start: s,
                len: m,
                span,
            });
        }
    }
    if best.is_empty() || best_score < needed {
        return Err(format!(
            "context not found: the best match holds {best_score} of {n} lines (at least {needed} needed)"
        ));
    }
    let first = &best[0];
    if let Some(other) = best
        .iter()
        .find(|c| c.span.1 < first.span.0 || c.span.0 > first.span.1)
    {
        return Err(format!(
            "ambiguous: the context matches equally well at lines {} and {}",
            first.span.0 + 1,
            other.span.0 + 1
        ));
    }
    // Among overlapping equals, prefer the window closest in length to the hunk.
    let chosen = best
        .iter()
        .min_by_key(|c| ((c.len as isize - n as isize).abs(), c.start))
        .expect("non-empty")
        .clone();
    let window = &file_norm[chosen.start..chosen.start + chosen.len];
    let ops = capture_diff_slices(Algorithm::Myers, &old_norm, window);
    let pairs = matched_pairs(&ops);
    let unmatched = n - pairs.len();
    let map_pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|&(o, w)| (old[o].to_string(), file.lines[chosen.start + w].clone()))
        .collect();
    let map = IndentMap::infer(&map_pairs);
    let end = match kind {
        EditKind::Block => splice_aligned(
            file,
            lines,
            chosen.start,
            chosen.len,
            kind,
            new_no_eol,
            Some(&map),
        ),
        EditKind::Hunk => splice_fuzzy(
            file,
            lines,
            chosen.start,
            chosen.len,
            &pairs,
            &map,
            new_no_eol,
        ),
    };
    Ok((
        HunkStatus::Fuzzy {
            whitespace_lines: 0,
            unmatched_lines: unmatched,
            offset: expected.map_or(0, |e| chosen.start as isize - e as isize),
        },
        end,
    ))
}

#[derive(Clone)]
struct Candidate {
    start: usize,
    len: usize,
    span: (usize, usize),
}

fn matched_pairs(ops: &[DiffOp]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for op in ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            for k in 0..len {
                pairs.push((old_index + k, new_index + k));
            }
        }
    }
    pairs
}

/// One place, the expected one if it is among them; several places are an error.
fn pick(found: &[usize], expected: Option<usize>, how: &str) -> Result<Option<usize>, String> {
    match found {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        many => {
            if let Some(e) = expected.filter(|e| many.contains(e)) {
                return Ok(Some(e));
            }
            Err(format!(
                "ambiguous: the context matches {how} at {} places (lines {})",
                many.len(),
                many.iter()
                    .take(5)
                    .map(|s| (s + 1).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

/// Replaces `file[start..start+len]`, which matches the old side line for line.
fn splice_aligned(
    file: &mut TextFile,
    lines: &[HunkLine],
    start: usize,
    len: usize,
    kind: EditKind,
    new_no_eol: bool,
    map: Option<&IndentMap>,
) -> usize {
    let reaches_end = start + len == file.lines.len();
    let mut out = Vec::new();
    let mut k = 0;
    for l in lines {
        match l {
            HunkLine::Context(t) => {
                out.push(match kind {
                    EditKind::Hunk => file.lines[start + k].clone(),
                    EditKind::Block => map.map_or(t.clone(), |m| m.apply(t)),
                });
                k += 1;
            }
            HunkLine::Remove(_) => k += 1,
            HunkLine::Add(t) => out.push(map.map_or(t.clone(), |m| m.apply(t))),
        }
    }
    let n = out.len();
    file.lines.splice(start..start + len, out);
    if reaches_end {
        file.final_newline = !new_no_eol;
    }
    start + n
}

/// Replaces a window that matches the old side only in part (`pairs`: old index, window index).
fn splice_fuzzy(
    file: &mut TextFile,
    lines: &[HunkLine],
    start: usize,
    len: usize,
    pairs: &[(usize, usize)],
    map: &IndentMap,
    new_no_eol: bool,
) -> usize {
    let reaches_end = start + len == file.lines.len();
    let window: Vec<String> = file.lines[start..start + len].to_vec();
    // Added lines grouped by the old line they precede (n = after the last).
    let mut old_kinds = Vec::new();
    let mut adds_before: Vec<Vec<String>> = vec![vec![]];
    for l in lines {
        match l {
            HunkLine::Add(t) => adds_before
                .last_mut()
                .expect("non-empty")
                .push(map.apply(t)),
            other => {
                old_kinds.push(matches!(other, HunkLine::Remove(_)));
                adds_before.push(vec![]);
            }
        }
    }
    let n = old_kinds.len();
    let mut out = Vec::new();
    let mut w = 0;
    for (o, is_removed) in old_kinds.iter().enumerate() {
        let matched = pairs.iter().find(|p| p.0 == o).map(|p| p.1);
        if let Some(wi) = matched {
            // File lines the hunk does not know come before this one.
            while w < wi {
                out.push(window[w].clone());
                w += 1;
            }
        }
        out.append(&mut adds_before[o]);
        if let Some(wi) = matched {
            if !is_removed {
                out.push(window[wi].clone());
            }
            w = wi + 1;
        }
    }
    out.append(&mut adds_before[n]);
    let end = start + out.len();
    out.extend(window[w..].iter().cloned());
    file.lines.splice(start..start + len, out);
    if reaches_end && w == len {
        file.final_newline = !new_no_eol;
    }
    end
}

/// How the reply's indentation relates to the file's, learned from matched line pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndentMap {
    /// Keep added lines as written.
    Same,
    /// The reply wrote `n` spaces where the file has a tab.
    TabsForSpaces(usize),
    /// The reply wrote a tab where the file has `n` spaces.
    SpacesForTabs(usize),
    /// The file's lines carry this extra leading prefix.
    AddPrefix(String),
    /// The reply's lines carry this extra leading prefix.
    RemovePrefix(String),
}

fn split_indent(line: &str) -> (&str, &str) {
    let cut = line.len() - line.trim_start().len();
    line.split_at(cut)
}

impl IndentMap {
    /// Infers the mapping from (reply line, file line) pairs that match modulo whitespace.
    pub fn infer(pairs: &[(String, String)]) -> IndentMap {
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(h, f)| !h.trim().is_empty() && !f.trim().is_empty())
            .map(|(h, f)| (split_indent(h).0, split_indent(f).0))
            .collect();
        if pairs.iter().all(|(h, f)| h == f) {
            return IndentMap::Same;
        }
        let only = |s: &str, c: char| s.chars().all(|x| x == c);
        if pairs.iter().all(|(h, f)| only(h, ' ') && only(f, '\t')) {
            if let Some((h, f)) = pairs.iter().find(|(_, f)| !f.is_empty()) {
                if h.len() % f.len() == 0 {
                    let w = h.len() / f.len();
                    if w > 0 && pairs.iter().all(|(h, f)| h.len() == f.len() * w) {
                        return IndentMap::TabsForSpaces(w);
                    }
                }
            }
        }
        if pairs.iter().all(|(h, f)| only(h, '\t') && only(f, ' ')) {
            if let Some((h, f)) = pairs.iter().find(|(h, _)| !h.is_empty()) {
                if f.len() % h.len() == 0 {
                    let w = f.len() / h.len();
                    if w > 0 && pairs.iter().all(|(h, f)| f.len() == h.len() * w) {
                        return IndentMap::SpacesForTabs(w);
                    }
                }
            }
        }
        let (h0, f0) = pairs[0];
        if let Some(p) = f0.strip_suffix(h0) {
            if pairs.iter().all(|(h, f)| f.strip_suffix(h) == Some(p)) {
                return IndentMap::AddPrefix(p.to_string());
            }
        }
        if let Some(p) = h0.strip_suffix(f0) {
            if pairs.iter().all(|(h, f)| h.strip_suffix(f) == Some(p)) {
                return IndentMap::RemovePrefix(p.to_string());
            }
        }
        IndentMap::Same
    }

    /// Re-indents one added line.
    pub fn apply(&self, line: &str) -> String {
        let (indent, rest) = split_indent(line);
        if rest.is_empty() {
            return line.to_string();
        }
        match self {
            IndentMap::Same => line.to_string(),
            IndentMap::TabsForSpaces(w) => {
                if indent.chars().all(|c| c == ' ') {
                    let tabs = indent.len() / w;
                    let spaces = indent.len() % w;
                    format!("{}{}{rest}", "\t".repeat(tabs), " ".repeat(spaces))
                } else {
                    line.to_string()
                }
            }
            IndentMap::SpacesForTabs(w) => {
                if indent.chars().all(|c| c == '\t') {
                    format!("{}{rest}", " ".repeat(indent.len() * w))
                } else {
                    line.to_string()
                }
            }
            IndentMap::AddPrefix(p) => format!("{p}{line}"),
            IndentMap::RemovePrefix(p) => match line.strip_prefix(p.as_str()) {
                Some(l) => l.to_string(),
                None => line.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hunk(spec: &[&str]) -> Vec<HunkLine> {
        spec.iter()
            .map(|l| match l.split_at(1) {
                (" ", t) => HunkLine::Context(t.to_string()),
                ("-", t) => HunkLine::Remove(t.to_string()),
                (_, t) => HunkLine::Add(t.to_string()),
            })
            .collect()
    }

    #[test]
    fn offset_when_line_numbers_are_wrong() {
        let mut f = TextFile::parse("a\nb\nc\nd\ne\n");
        let (st, _) = apply_edit(
            &mut f,
            &hunk(&[" c", "-d", "+D"]),
            Some(0),
            false,
            EditKind::Hunk,
        )
        .unwrap();
        assert_eq!(st, HunkStatus::Offset { lines: 2 });
        assert_eq!(f.render(), "a\nb\nc\nD\ne\n");
    }

    #[test]
    fn ambiguous_is_refused() {
        let mut f = TextFile::parse("x\ny\nx\ny\n");
        let err = apply_edit(
            &mut f,
            &hunk(&[" x", "-y", "+z"]),
            None,
            false,
            EditKind::Hunk,
        )
        .unwrap_err();
        assert!(err.contains("ambiguous"), "{err}");
    }

    #[test]
    fn tabs_versus_spaces_reindents_added_lines() {
        let mut f = TextFile::parse("func f() {\n\tx := 1\n\treturn x\n}\n");
        let (st, _) = apply_edit(
            &mut f,
            &hunk(&[
                " func f() {",
                "-    x := 1",
                "+    x := 2",
                "+    y := 3",
                "     return x",
            ]),
            Some(0),
            false,
            EditKind::Hunk,
        )
        .unwrap();
        assert!(matches!(st, HunkStatus::Fuzzy { .. }));
        assert_eq!(
            f.render(),
            "func f() {\n\tx := 2\n\ty := 3\n\treturn x\n}\n"
        );
    }

    #[test]
    fn fuzzy_keeps_file_lines_and_drops_stale_context() {
        let mut f = TextFile::parse(
            "def f():\n    a = 1\n    b = 2\n    return a + b\n\ndef g():\n    pass\n",
        );
        let (st, _) = apply_edit(
            &mut f,
            &hunk(&[
                " def f():",
                "     a = 1",
                "     c = 9",
                "-    return a + b",
                "+    return a * b",
                " ",
                " def g():",
            ]),
            Some(0),
            false,
            EditKind::Hunk,
        )
        .unwrap();
        assert!(
            matches!(
                st,
                HunkStatus::Fuzzy {
                    unmatched_lines: 1,
                    ..
                }
            ),
            "{st:?}"
        );
        assert_eq!(
            f.render(),
            "def f():\n    a = 1\n    b = 2\n    return a * b\n\ndef g():\n    pass\n"
        );
    }

    #[test]
    fn crlf_round_trips() {
        let f = TextFile::parse("a\r\nb\r\n");
        assert!(f.crlf);
        assert_eq!(f.render(), "a\r\nb\r\n");
        assert_eq!(TextFile::parse("a").render(), "a");
    }
}
