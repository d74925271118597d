//! A tolerant unified-diff parser and a canonical (git-style) renderer.
//!
//! Models write diffs with wrong line numbers, miscounted hunk lengths, no `diff --git` header,
//! no `a/` `b/` prefixes, blank context lines stripped of their leading space, and prose between
//! files. libgit2 refuses most of that, so the reply is parsed here: hunk bodies are read until
//! the first line that cannot belong to a hunk (the counts in `@@` headers are only used to cut
//! a hunk that is followed by a blank line and prose), and [`render_git`] writes the result back
//! as a canonical diff with recounted headers for the exact (git2) stage.

/// One line of a hunk body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HunkLine {
    /// Present before and after (` `).
    Context(String),
    /// Removed (`-`).
    Remove(String),
    /// Added (`+`).
    Add(String),
}

impl HunkLine {
    /// The text without its marker.
    pub fn text(&self) -> &str {
        match self {
            HunkLine::Context(t) | HunkLine::Remove(t) | HunkLine::Add(t) => t,
        }
    }
}

/// One `@@` hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// The line the hunk claims to start at in the old file (1-based; 0 for an empty file;
    /// `None` for a bare `@@ @@` header).
    pub old_start: Option<usize>,
    /// The body, in order.
    pub lines: Vec<HunkLine>,
    /// `\ No newline at end of file` followed the new side's last line.
    pub new_no_eol: bool,
    /// The header as written in the reply (for reports).
    pub header: String,
}

impl Hunk {
    /// Lines of the old side (context and removed).
    pub fn old_lines(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|l| !matches!(l, HunkLine::Add(_)))
            .map(HunkLine::text)
            .collect()
    }
    /// Lines of the new side (context and added).
    pub fn new_lines(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|l| !matches!(l, HunkLine::Remove(_)))
            .map(HunkLine::text)
            .collect()
    }
}

/// The edits one diff makes to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePatch {
    /// Old path (`None` for a created file), prefixes already resolved.
    pub old_path: Option<String>,
    /// New path (`None` for a deleted file).
    pub new_path: Option<String>,
    /// The hunks in order.
    pub hunks: Vec<Hunk>,
    /// A `GIT binary patch` or `Binary files ... differ` section.
    pub binary: bool,
    /// A mode that is not a regular file (symlink 120000, submodule 160000).
    pub special_mode: Option<String>,
}

fn is_hunk_header(line: &str) -> bool {
    line.starts_with("@@")
}

fn parse_range_start(spec: &str) -> Option<usize> {
    spec.split(',').next()?.trim().parse().ok()
}

/// `@@ -12,7 +12,8 @@ ...` -> (Some(12), Some((7, 8)))
fn parse_hunk_header(line: &str) -> (Option<usize>, Option<(usize, usize)>) {
    let inner = line.trim_start_matches('@').trim_start();
    let mut old = None;
    let mut counts = (None, None);
    for tok in inner.split_whitespace() {
        if let Some(r) = tok.strip_prefix('-') {
            old = parse_range_start(r);
            counts.0 = Some(
                r.split(',')
                    .nth(1)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
            );
        } else if let Some(r) = tok.strip_prefix('+') {
            counts.1 = Some(
                r.split(',')
                    .nth(1)
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
            );
        } else if tok.starts_with("@@") {
            break;
        }
    }
    let counts = match counts {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    (old, counts)
}

/// A path from a `---`/`+++` line: drops a tab-separated timestamp and surrounding quotes.
fn header_path(rest: &str) -> Option<String> {
    let rest = rest.split('\t').next().unwrap_or("").trim_end();
    let rest = rest
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(rest);
    if rest.is_empty() || rest == "/dev/null" {
        None
    } else {
        Some(rest.to_string())
    }
}

/// Strips git's `a/` and `b/` prefixes when both sides use them (or one side is /dev/null).
fn strip_prefixes(old: Option<String>, new: Option<String>) -> (Option<String>, Option<String>) {
    let old_ok = old.as_deref().is_none_or(|p| p.starts_with("a/"));
    let new_ok = new.as_deref().is_none_or(|p| p.starts_with("b/"));
    if old_ok && new_ok && (old.is_some() || new.is_some()) {
        (
            old.map(|p| p[2..].to_string()),
            new.map(|p| p[2..].to_string()),
        )
    } else {
        (old, new)
    }
}

struct Pending {
    git_old: Option<String>,
    git_new: Option<String>,
    old: Option<String>,
    new: Option<String>,
    saw_minus: bool,
    created: bool,
    deleted: bool,
    hunks: Vec<Hunk>,
    binary: bool,
    special_mode: Option<String>,
}

impl Pending {
    fn new() -> Pending {
        Pending {
            git_old: None,
            git_new: None,
            old: None,
            new: None,
            saw_minus: false,
            created: false,
            deleted: false,
            hunks: vec![],
            binary: false,
            special_mode: None,
        }
    }
    fn finish(self) -> Option<FilePatch> {
        let (mut old, mut new) = if self.saw_minus {
            (self.old, self.new)
        } else {
            (self.git_old.clone(), self.git_new.clone())
        };
        if old.is_none() && new.is_none() {
            return None;
        }
        if self.created {
            old = None;
        }
        if self.deleted {
            new = None;
        }
        let (old, new) = strip_prefixes(old, new);
        Some(FilePatch {
            old_path: old,
            new_path: new,
            hunks: self.hunks,
            binary: self.binary,
            special_mode: self.special_mode,
        })
    }
}

/// Parses every file section of a diff text; text that is not part of a diff is skipped.
pub fn parse(text: &str) -> Vec<FilePatch> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut files = Vec::new();
    let mut cur: Option<Pending> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = line.strip_prefix("diff --git ") {
            if let Some(p) = cur.take().and_then(Pending::finish) {
                files.push(p);
            }
            let mut p = Pending::new();
            // "a/x b/x": split at " b/" (paths with spaces are rare in fixtures).
            if let Some(idx) = rest.find(" b/") {
                p.git_old = Some(rest[..idx].to_string());
                p.git_new = Some(rest[idx + 1..].to_string());
            } else if let Some((a, b)) = rest.split_once(' ') {
                p.git_old = Some(a.to_string());
                p.git_new = Some(b.to_string());
            }
            cur = Some(p);
            i += 1;
            continue;
        }
        if line.starts_with("--- ") && lines.get(i + 1).is_some_and(|n| n.starts_with("+++ ")) {
            let continuing = cur
                .as_ref()
                .is_some_and(|p| !p.saw_minus && p.hunks.is_empty());
            if !continuing {
                if let Some(p) = cur.take().and_then(Pending::finish) {
                    files.push(p);
                }
                cur = Some(Pending::new());
            }
            let p = cur.as_mut().expect("set above");
            p.saw_minus = true;
            p.old = header_path(&line[4..]);
            p.new = header_path(&lines[i + 1][4..]);
            if p.old.is_none() {
                p.created = true;
            }
            if p.new.is_none() {
                p.deleted = true;
            }
            i += 2;
            continue;
        }
        if let Some(p) = cur.as_mut() {
            if p.hunks.is_empty() && !p.saw_minus {
                // Extended git header lines.
                if let Some(r) = line.strip_prefix("rename from ") {
                    p.git_old = Some(format!("a/{r}"));
                } else if let Some(r) = line.strip_prefix("rename to ") {
                    p.git_new = Some(format!("b/{r}"));
                } else if let Some(m) = line.strip_prefix("new file mode ") {
                    p.created = true;
                    note_mode(p, m);
                } else if let Some(m) = line.strip_prefix("deleted file mode ") {
                    p.deleted = true;
                    note_mode(p, m);
                } else if let Some(m) = line.strip_prefix("new mode ") {
                    note_mode(p, m);
                }
            }
            if line.starts_with("GIT binary patch")
                || (line.starts_with("Binary files ") && line.ends_with(" differ"))
            {
                p.binary = true;
            }
        }
        if is_hunk_header(line) {
            let (old_start, counts) = parse_hunk_header(line);
            let mut body = Vec::new();
            let mut new_no_eol = false;
            let mut j = i + 1;
            while j < lines.len() {
                let l = lines[j];
                if l.starts_with("@@") || l.starts_with("diff --git ") {
                    break;
                }
                if l.starts_with("--- ") && lines.get(j + 1).is_some_and(|n| n.starts_with("+++ "))
                {
                    break;
                }
                if let Some(t) = l.strip_prefix(' ') {
                    body.push(HunkLine::Context(t.to_string()));
                } else if let Some(t) = l.strip_prefix('-') {
                    body.push(HunkLine::Remove(t.to_string()));
                } else if let Some(t) = l.strip_prefix('+') {
                    body.push(HunkLine::Add(t.to_string()));
                } else if l.is_empty() {
                    body.push(HunkLine::Context(String::new()));
                } else if l.starts_with('\\') {
                    // After a removed line it concerns the old side only.
                    if matches!(body.last(), Some(HunkLine::Add(_) | HunkLine::Context(_))) {
                        new_no_eol = true;
                    }
                } else {
                    break;
                }
                j += 1;
            }
            cut_at_counts(&mut body, counts);
            while matches!(body.last(), Some(HunkLine::Context(t)) if t.is_empty()) {
                body.pop();
            }
            if let Some(p) = cur.as_mut() {
                p.hunks.push(Hunk {
                    old_start,
                    lines: body,
                    new_no_eol,
                    header: line.to_string(),
                });
            }
            i = j;
            continue;
        }
        i += 1;
    }
    if let Some(p) = cur.take().and_then(Pending::finish) {
        files.push(p);
    }
    files
}

fn note_mode(p: &mut Pending, mode: &str) {
    let mode = mode.trim();
    if mode.starts_with("120") || mode.starts_with("160") {
        p.special_mode = Some(mode.to_string());
    }
}

/// When the header's counts are met exactly at some point and what follows is a blank line and
/// then only lines shaped like a markdown list (`- word`, `+ word`: one space, then text; code
/// is indented by 2, 4 or a tab, or not at all), the rest is prose after the diff.
fn cut_at_counts(body: &mut Vec<HunkLine>, counts: Option<(usize, usize)>) {
    let Some((want_old, want_new)) = counts else {
        return;
    };
    let (mut old, mut new) = (0, 0);
    for k in 0..body.len() {
        match &body[k] {
            HunkLine::Context(_) => {
                old += 1;
                new += 1;
            }
            HunkLine::Remove(_) => old += 1,
            HunkLine::Add(_) => new += 1,
        }
        if old == want_old && new == want_new {
            let rest = &body[k + 1..];
            let listy = |l: &HunkLine| match l {
                HunkLine::Context(t) => t.is_empty(),
                HunkLine::Remove(t) | HunkLine::Add(t) => {
                    t.starts_with(' ') && t[1..].starts_with(|c: char| !c.is_whitespace())
                }
            };
            if matches!(rest.first(), Some(HunkLine::Context(t)) if t.is_empty())
                && rest.iter().any(|l| !matches!(l, HunkLine::Context(_)))
                && rest.iter().all(listy)
            {
                body.truncate(k + 1);
            }
            return;
        }
    }
}

/// Renders file patches as one canonical git diff with recounted hunk headers.
pub fn render_git(files: &[FilePatch]) -> String {
    let mut out = String::new();
    for f in files {
        let old = f
            .old_path
            .as_deref()
            .or(f.new_path.as_deref())
            .unwrap_or("");
        let new = f
            .new_path
            .as_deref()
            .or(f.old_path.as_deref())
            .unwrap_or("");
        out.push_str(&format!("diff --git a/{old} b/{new}\n"));
        if f.old_path.is_none() {
            out.push_str("new file mode 100644\n");
        } else if f.new_path.is_none() {
            out.push_str("deleted file mode 100644\n");
        } else if old != new {
            out.push_str(&format!("rename from {old}\nrename to {new}\n"));
        }
        if f.hunks.is_empty() {
            continue;
        }
        match &f.old_path {
            Some(p) => out.push_str(&format!("--- a/{p}\n")),
            None => out.push_str("--- /dev/null\n"),
        }
        match &f.new_path {
            Some(p) => out.push_str(&format!("+++ b/{p}\n")),
            None => out.push_str("+++ /dev/null\n"),
        }
        for h in &f.hunks {
            let old_n = h.old_lines().len();
            let new_n = h.new_lines().len();
            let start = h.old_start.unwrap_or(1);
            let old_start = if old_n == 0 {
                start.saturating_sub(0)
            } else {
                start.max(1)
            };
            let new_start = if new_n == 0 { 0 } else { old_start.max(1) };
            out.push_str(&format!(
                "@@ -{old_start},{old_n} +{new_start},{new_n} @@\n"
            ));
            for l in &h.lines {
                let (m, t) = match l {
                    HunkLine::Context(t) => (' ', t),
                    HunkLine::Remove(t) => ('-', t),
                    HunkLine::Add(t) => ('+', t),
                };
                out.push(m);
                out.push_str(t);
                out.push('\n');
            }
            if h.new_no_eol {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bare_diff_without_git_header_or_prefixes() {
        let files = parse("--- src/a.py\n+++ src/a.py\n@@ -1,9 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].old_path.as_deref(), Some("src/a.py"));
        assert_eq!(files[0].hunks[0].lines.len(), 3);
    }

    #[test]
    fn git_rename_without_hunks() {
        let files = parse(
            "diff --git a/old.py b/new.py\nsimilarity index 100%\nrename from old.py\nrename to new.py\n",
        );
        assert_eq!(files[0].old_path.as_deref(), Some("old.py"));
        assert_eq!(files[0].new_path.as_deref(), Some("new.py"));
    }

    #[test]
    fn markdown_list_after_a_hunk_is_not_part_of_it() {
        let files = parse("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\n- changed b to c\n");
        assert_eq!(files[0].hunks[0].lines.len(), 3);
    }

    #[test]
    fn a_miscounted_hunk_keeps_its_edits_after_a_blank_line() {
        let files =
            parse("--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\n-    d = 1\n+    d = 2\n");
        assert_eq!(files[0].hunks[0].lines.len(), 6);
    }

    #[test]
    fn created_and_deleted_files() {
        let files = parse("--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1 @@\n+n\n--- a/d.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-d\n");
        assert_eq!(files[0].old_path, None);
        assert_eq!(files[0].new_path.as_deref(), Some("n.txt"));
        assert_eq!(files[1].new_path, None);
    }
}
