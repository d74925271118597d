//! Where a seeded bug shows, and whether a pack shows it. In: a bug's inject patch and the
//! bug file as the packer saw it (the task's base, bug injected). Out: [`BugLines`], the
//! code lines that show the bug and where each is in the file; and, for one file's section of
//! a pack, whether every one of them is visible at its place.
//!
//! The lines that show a bug are the code lines its injection added (blank, comment-only and
//! punctuation-only lines left out, since outlines and maps may leave comments and closing
//! braces out) and, for each hunk that
//! only takes code away (a `notify()` removed), the code line just before the removal: the
//! place where the missing code should be. A line counts only where it is: a file holds many
//! `with self._lock:` lines and the same `sync::lock(..)` line in several functions, and one
//! shown elsewhere in the file does not show the bug.
//!
//! Which of a file's lines a section shows: all of them in full text; for an outline or map
//! (refbench's `⋮` outlines, aider's `│` lines), its lines matched in order against the
//! file's, each to the next line of the file with the same text (outlines and maps copy
//! lines in file order, a definition's header before its body lines).

use super::Mode;
use crate::patch::udiff::HunkLine;

/// A seeded bug's file and the code lines that show it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BugLines {
    /// The file, relative to the repository.
    pub file: String,
    /// Trimmed code lines that must be visible.
    pub lines: Vec<String>,
    /// Where each of `lines` is in the file (1-based), when known: then a line counts only at
    /// its place. Empty: a line counts wherever the same text is shown.
    #[serde(default)]
    pub at: Vec<u32>,
}

/// Whether a trimmed line is code that says something: not blank, not only a comment or a
/// docstring quote, not only punctuation (a closing `}` or `);` is in every function, and
/// an outline that elides it still shows the code around it).
fn is_code(t: &str) -> bool {
    t.chars().any(char::is_alphanumeric)
        && !["//", "#", "/*", "*", "\"\"\""]
            .iter()
            .any(|c| t.starts_with(c))
}

/// One hunk of a patch to the bug file: its new side's lines, each marked added or not, and
/// the positions in it (indexes of the next new-side line) where old lines were removed.
#[derive(Default)]
struct Hunk {
    new: Vec<(bool, String)>,
    removed_at: Vec<usize>,
}

/// The hunks `patch` makes to `file` (read by the patch stage's diff parser).
fn hunks_of(patch: &str, file: &str) -> Vec<Hunk> {
    crate::patch::udiff::parse(patch)
        .into_iter()
        .filter(|p| p.new_path.as_deref() == Some(file))
        .flat_map(|p| p.hunks)
        .map(|h| {
            let mut out = Hunk::default();
            for line in h.lines {
                match line {
                    HunkLine::Add(t) => out.new.push((true, t)),
                    HunkLine::Context(t) => out.new.push((false, t)),
                    HunkLine::Remove(_) => {
                        let at = out.new.len();
                        if out.removed_at.last() != Some(&at) {
                            out.removed_at.push(at);
                        }
                    }
                }
            }
            out
        })
        .collect()
}

/// The code lines an inject patch adds to `file` (trimmed; blank, comment-only and
/// punctuation-only lines left out).
pub fn added_code_lines(patch: &str, file: &str) -> Vec<String> {
    added_code(&hunks_of(patch, file))
}

fn added_code(hunks: &[Hunk]) -> Vec<String> {
    hunks
        .iter()
        .flat_map(|h| &h.new)
        .filter(|(added, _)| *added)
        .map(|(_, l)| l.trim().to_string())
        .filter(|t| is_code(t))
        .collect()
}

impl BugLines {
    /// The lines that show the bug `patch` injects into `file`, located in `text` (the file
    /// with the bug injected). Where a hunk's new side is not found in `text` (the base moved
    /// on), the lines are given without places.
    pub fn from_patch(patch: &str, file: &str, text: Option<&str>) -> BugLines {
        let hunks = hunks_of(patch, file);
        let unlocated = BugLines {
            file: file.to_string(),
            lines: added_code(&hunks),
            at: Vec::new(),
        };
        let Some(text) = text else {
            return unlocated;
        };
        let file_lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        let mut lines = Vec::new();
        let mut at = Vec::new();
        for hunk in &hunks {
            let block: Vec<&str> = hunk.new.iter().map(|(_, l)| l.trim_end()).collect();
            let Some(start) = find_block(&file_lines, &block) else {
                return unlocated;
            };
            let code = |i: usize| is_code(hunk.new[i].1.trim());
            let mut picked: Vec<usize> = (0..hunk.new.len())
                .filter(|&i| hunk.new[i].0 && code(i))
                .collect();
            if picked.is_empty() {
                // Only code taken away: the code line before each removal (after, at the top).
                for &r in &hunk.removed_at {
                    let before = (0..r).rev().find(|&i| code(i));
                    if let Some(i) = before.or_else(|| (r..hunk.new.len()).find(|&i| code(i))) {
                        picked.push(i);
                    }
                }
                picked.sort_unstable();
                picked.dedup();
            }
            for i in picked {
                lines.push(hunk.new[i].1.trim().to_string());
                at.push((start + i + 1) as u32);
            }
        }
        BugLines {
            file: file.to_string(),
            lines,
            at,
        }
    }

    /// Whether the section of the bug file shown as `mode` (its text `shown`; the file's own
    /// text `file_text`, to place an outline's or map's lines) shows every one of the bug's
    /// lines: all of them in full text, none as a bare name.
    pub fn visible_in(&self, mode: Mode, shown: &str, file_text: Option<&str>) -> bool {
        match mode {
            Mode::Full => return true,
            Mode::Name => return false,
            Mode::Outline => {}
        }
        let shown_lines: Vec<&str> = shown
            .lines()
            .map(|l| l.trim_start_matches('│').trim())
            .filter(|l| !l.is_empty() && !l.starts_with("```") && !l.starts_with('⋮'))
            .collect();
        match (self.at.is_empty(), file_text) {
            (false, Some(text)) => {
                let file_lines: Vec<&str> = text.lines().map(str::trim).collect();
                let places = aligned(&file_lines, &shown_lines);
                self.at.iter().all(|a| places.binary_search(a).is_ok())
            }
            _ => {
                let set: std::collections::BTreeSet<&str> = shown_lines.into_iter().collect();
                self.lines.iter().all(|l| set.contains(l.as_str()))
            }
        }
    }
}

/// Where `block` (lines, trailing space trimmed) starts in `lines`, if it does.
fn find_block(lines: &[&str], block: &[&str]) -> Option<usize> {
    if block.is_empty() || block.len() > lines.len() {
        return None;
    }
    (0..=lines.len() - block.len()).find(|&s| lines[s..s + block.len()] == *block)
}

/// The 1-based places of `shown`'s lines in `file` (both trimmed), matched in order: each to
/// the next file line with its text; a line with none (a marker, a line the file lacks) is
/// skipped.
fn aligned(file: &[&str], shown: &[&str]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut next = 0;
    for s in shown {
        if let Some(off) = file[next.min(file.len())..].iter().position(|f| f == s) {
            out.push((next + off + 1) as u32);
            next += off + 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "class Q:\n    def put(self, x):\n        with self._lock:\n            self._items.append(x)\n\n    def take(self):\n        with self._lock:\n            x = self._items.pop()\n        with self._lock:\n            self._count -= 1\n        return x\n\n    def close(self):\n        # woken elsewhere\n        self._closed = True\n\n    def get(self):\n        pass\n";

    const SPLIT: &str = "--- a/q.py\n+++ b/q.py\n@@ -6,6 +6,7 @@ class Q:\n     def take(self):\n         with self._lock:\n             x = self._items.pop()\n+        with self._lock:\n             self._count -= 1\n         return x\n \n";

    const UNNOTIFIED: &str = "--- a/q.py\n+++ b/q.py\n@@ -12,8 +13,6 @@\n     def close(self):\n+        # woken elsewhere\n         self._closed = True\n-        with self._lock:\n-            self._cond.notify()\n \n     def get(self):\n";

    #[test]
    fn added_lines_are_located_where_the_patch_put_them() {
        let bug = BugLines::from_patch(SPLIT, "q.py", Some(FILE));
        assert_eq!(bug.lines, vec!["with self._lock:"]);
        assert_eq!(bug.at, vec![9]);
        assert_eq!(added_code_lines(SPLIT, "q.py"), vec!["with self._lock:"]);
    }

    #[test]
    fn a_removal_is_shown_by_the_code_line_before_it() {
        let bug = BugLines::from_patch(UNNOTIFIED, "q.py", Some(FILE));
        assert_eq!(bug.lines, vec!["self._closed = True"]);
        assert_eq!(bug.at, vec![15]);
        assert!(
            added_code_lines(UNNOTIFIED, "q.py").is_empty(),
            "only a comment was added"
        );
    }

    #[test]
    fn a_line_counts_only_at_its_place() {
        let bug = BugLines::from_patch(SPLIT, "q.py", Some(FILE));
        // The same `with self._lock:` under put only: not the bug's.
        let put_only = "```python\nclass Q:\n    def put(self, x):\n        with self._lock:\n⋮\n    def take(self):\n⋮\n```\n";
        assert!(!bug.visible_in(Mode::Outline, put_only, Some(FILE)));
        // Both critical sections of take, as lock lines under its header.
        let take = "```python\n⋮\n    def take(self):\n        with self._lock:\n⋮\n        with self._lock:\n⋮\n```\n";
        assert!(bug.visible_in(Mode::Outline, take, Some(FILE)));
        // aider's map style.
        let map = "⋮\n│    def take(self):\n│        with self._lock:\n│            x = self._items.pop()\n│        with self._lock:\n⋮\n";
        assert!(bug.visible_in(Mode::Outline, map, Some(FILE)));
        assert!(
            bug.visible_in(Mode::Full, "", Some(FILE)),
            "full text shows all"
        );
        assert!(
            !bug.visible_in(Mode::Name, take, Some(FILE)),
            "a name shows none"
        );
        // Without places, the text anywhere counts (cases files that give none).
        let loose = BugLines {
            at: Vec::new(),
            ..bug.clone()
        };
        assert!(loose.visible_in(Mode::Outline, put_only, Some(FILE)));
    }

    #[test]
    fn a_removal_needs_its_function_s_lines_not_just_the_file() {
        let bug = BugLines::from_patch(UNNOTIFIED, "q.py", Some(FILE));
        let headers = "class Q:\n    def close(self):\n⋮\n    def get(self):\n⋮\n";
        assert!(!bug.visible_in(Mode::Outline, headers, Some(FILE)));
        let body = "    def close(self):\n        self._closed = True\n⋮\n";
        assert!(bug.visible_in(Mode::Outline, body, Some(FILE)));
    }

    #[test]
    fn a_closing_brace_is_not_a_line_that_shows_a_bug() {
        let patch = "--- a/a.rs\n+++ b/a.rs\n@@ -1,2 +1,5 @@\n fn f() {}\n+fn commit(&self) {\n+    sync::lock(&self.m, \"m\").insert(1);\n+}\n \n";
        let file =
            "fn f() {}\nfn commit(&self) {\n    sync::lock(&self.m, \"m\").insert(1);\n}\n\n";
        let bug = BugLines::from_patch(patch, "a.rs", Some(file));
        assert_eq!(bug.at, vec![2, 3]);
        let outline = "fn commit(&self) {\n    sync::lock(&self.m, \"m\").insert(1);\n⋮\n";
        assert!(bug.visible_in(Mode::Outline, outline, Some(file)));
    }

    #[test]
    fn a_patch_the_file_no_longer_matches_gives_unlocated_lines() {
        let bug = BugLines::from_patch(SPLIT, "q.py", Some("something else\n"));
        assert_eq!(bug.lines, vec!["with self._lock:"]);
        assert!(bug.at.is_empty());
    }
}
