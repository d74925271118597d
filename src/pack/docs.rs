//! Outlines of documentation files: a Markdown or reStructuredText file's path and text in,
//! its section headings as [`FileFacts`] definitions out (no references, no imports), so
//! that the outline forms of `outline.rs` show a README or a changelog by its titles the way
//! they show code by its definitions: every title (signatures, headlines), or the first
//! ones in the document's order (partial: a changelog's newest releases first).
//!
//! Why: a task often says where its change must be written up ("note in CHANGES.rst what
//! changed"), and such a file is too large to show in full at most budgets; without an
//! outline it would be a bare name, and the model would not see where its entry goes.
//!
//! Headings read: Markdown ATX (`## Title`) and setext (a line underlined with `===` or
//! `---`) outside fenced code; reStructuredText titles underlined (and optionally overlined)
//! with a repeated punctuation character, levels in the order their styles first appear, as
//! docutils assigns them.

use crate::catalog::SymbolKind;
use crate::codegraph::parse::{Def, FileFacts};
use crate::codegraph::walk::SourceFile;

/// What kind of documentation a path holds, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Markup {
    Markdown,
    Rst,
}

fn markup_of(path: &str) -> Option<Markup> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "md" | "markdown" => Some(Markup::Markdown),
        "rst" => Some(Markup::Rst),
        _ => None,
    }
}

/// The documentation file `file` (read from `root` when the walk did not load it) with
/// its headings as facts, if it is Markdown or reStructuredText, readable as UTF-8 and has
/// at least one heading.
pub fn doc_source(root: &std::path::Path, file: &SourceFile) -> Option<SourceFile> {
    let markup = markup_of(&file.path)?;
    let text = match &file.text {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(root.join(&file.path)).ok()?,
    };
    let facts = headings(markup, &text);
    if facts.defs.is_empty() {
        return None;
    }
    Some(SourceFile {
        path: file.path.clone(),
        lang: None,
        bytes: text.len() as u64,
        text: Some(text),
        facts: Some(facts),
    })
}

/// A heading found: its title's line (1-based), the line its adornment ends on,
/// its level (1 = outermost) and title.
struct Heading {
    line: u32,
    sig_end: u32,
    level: usize,
    title: String,
}

fn headings(markup: Markup, text: &str) -> FileFacts {
    let lines: Vec<&str> = text.lines().collect();
    let found = match markup {
        Markup::Markdown => markdown_headings(&lines),
        Markup::Rst => rst_headings(&lines),
    };
    let last = lines.len() as u32;
    let mut defs = Vec::with_capacity(found.len());
    let mut open: Vec<(usize, String)> = Vec::new();
    for (i, h) in found.iter().enumerate() {
        while open.last().is_some_and(|(level, _)| *level >= h.level) {
            open.pop();
        }
        // A section runs to the line before the next heading at its level or above.
        let end_line = found[i + 1..]
            .iter()
            .find(|n| n.level <= h.level)
            .map_or(last, |n| n.line - 1)
            .max(h.sig_end);
        defs.push(Def {
            name: h.title.clone(),
            scope: open.iter().map(|(_, t)| t.clone()).collect(),
            kind: SymbolKind::Module,
            line: h.line,
            sig_end: h.sig_end,
            end_line,
        });
        open.push((h.level, h.title.clone()));
    }
    FileFacts {
        defs,
        refs: Vec::new(),
        imports: Vec::new(),
    }
}

fn markdown_headings(lines: &[&str]) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut fence: Option<(char, usize)> = None;
    for (i, raw) in lines.iter().enumerate() {
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let line = raw.trim();
        let fence_run = |c: char| line.chars().take_while(|&x| x == c).count();
        // Indented code, or a line inside a fence: neither a heading nor a fence's end.
        if indent > 3 {
            continue;
        }
        if let Some((c, n)) = fence {
            if fence_run(c) >= n && line.chars().all(|x| x == c) {
                fence = None;
            }
            continue;
        }
        if let Some(c) = ['`', '~'].into_iter().find(|&c| fence_run(c) >= 3) {
            fence = Some((c, fence_run(c)));
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) {
            let rest = &line[hashes..];
            if rest.is_empty() || rest.starts_with([' ', '\t']) {
                let title = rest.trim().trim_end_matches('#').trim();
                out.push(Heading {
                    line: i as u32 + 1,
                    sig_end: i as u32 + 1,
                    level: hashes,
                    title: title.to_string(),
                });
                continue;
            }
        }
        // Setext: this line underlines the paragraph line before it.
        let under = |c: char| !line.is_empty() && line.chars().all(|x| x == c);
        let level = if under('=') {
            1
        } else if under('-') && line.len() >= 2 {
            2
        } else {
            continue;
        };
        let Some(prev) = i.checked_sub(1).map(|p| lines[p].trim()) else {
            continue;
        };
        let prev_is_heading = out.last().is_some_and(|h| h.sig_end == i as u32);
        if !prev.is_empty() && !prev_is_heading && !prev.starts_with(['#', '-', '*', '>']) {
            out.push(Heading {
                line: i as u32,
                sig_end: i as u32 + 1,
                level,
                title: prev.to_string(),
            });
        }
    }
    out
}

/// reStructuredText adornment characters.
const RST_ADORNMENT: &str = "=-`:'\"~^_*+#<>.";

fn rst_headings(lines: &[&str]) -> Vec<Heading> {
    let adornment = |l: &str| -> Option<char> {
        let l = l.trim_end();
        let c = l.chars().next()?;
        (RST_ADORNMENT.contains(c) && l.chars().count() >= 3 && l.chars().all(|x| x == c))
            .then_some(c)
    };
    // Styles in the order they first appear: (character, overlined).
    let mut styles: Vec<(char, bool)> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < lines.len() {
        let title = lines[i].trim_end();
        let starts_text =
            !title.is_empty() && !title.starts_with([' ', '\t']) && adornment(title).is_none();
        let under = adornment(lines[i + 1]);
        match under {
            Some(c)
                if starts_text
                    && lines[i + 1].trim_end().chars().count() >= title.chars().count().min(3) =>
            {
                let over = i > 0 && adornment(lines[i - 1]) == Some(c);
                let style = (c, over);
                let level = match styles.iter().position(|s| *s == style) {
                    Some(p) => p + 1,
                    None => {
                        styles.push(style);
                        styles.len()
                    }
                };
                // The title line is the headline (an overline alone says nothing).
                out.push(Heading {
                    line: i as u32 + 1,
                    sig_end: i as u32 + 2,
                    level,
                    title: title.trim().to_string(),
                });
                i += 2;
            }
            _ => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::outline::{outline_in, partial_order, Form};

    fn doc(path: &str, text: &str) -> SourceFile {
        let file = SourceFile {
            path: path.into(),
            lang: None,
            bytes: text.len() as u64,
            text: Some(text.into()),
            facts: None,
        };
        doc_source(std::path::Path::new("/nonexistent"), &file).expect("headings")
    }

    fn titles(f: &SourceFile) -> Vec<(String, Vec<String>, u32, u32, u32)> {
        f.facts
            .as_ref()
            .unwrap()
            .defs
            .iter()
            .map(|d| {
                (
                    d.name.clone(),
                    d.scope.clone(),
                    d.line,
                    d.sig_end,
                    d.end_line,
                )
            })
            .collect()
    }

    #[test]
    fn markdown_headings_nest_and_skip_code_fences() {
        let f = doc(
            "README.md",
            "# Tool\n\nIntro.\n\n## Install\n\n```sh\n# not a heading\n```\n\nUsage\n-----\n\ntext\n# Tail #\n",
        );
        assert_eq!(
            titles(&f),
            vec![
                ("Tool".into(), vec![], 1, 1, 14),
                ("Install".into(), vec!["Tool".into()], 5, 5, 10),
                ("Usage".into(), vec!["Tool".into()], 11, 12, 14),
                ("Tail".into(), vec![], 15, 15, 15),
            ]
        );
    }

    #[test]
    fn rst_levels_follow_the_order_styles_appear_in() {
        let text = "=========\nChangelog\n=========\n\n2.0.1 (2023-05-02)\n------------------\n\n- Fixed a thing.\n\n2.0.0 (2023-04-26)\n------------------\n\nRemoved\n~~~~~~~\n\n- Old API.\n";
        let f = doc("CHANGES.rst", text);
        assert_eq!(
            titles(&f),
            vec![
                ("Changelog".into(), vec![], 2, 3, 16),
                (
                    "2.0.1 (2023-05-02)".into(),
                    vec!["Changelog".into()],
                    5,
                    6,
                    9
                ),
                (
                    "2.0.0 (2023-04-26)".into(),
                    vec!["Changelog".into()],
                    10,
                    11,
                    16
                ),
                (
                    "Removed".into(),
                    vec!["Changelog".into(), "2.0.0 (2023-04-26)".into()],
                    13,
                    14,
                    16
                ),
            ]
        );
        // The outline forms work on them: every title, or the first sections only.
        assert_eq!(
            outline_in(&f, &[], Form::Headlines).unwrap(),
            "⋮\nChangelog\n⋮\n2.0.1 (2023-05-02)\n⋮\n2.0.0 (2023-04-26)\n⋮\nRemoved\n⋮\n"
        );
        let order = partial_order(&f, &[]);
        assert_eq!(order, vec![0, 1, 2, 3], "the document's order");
        assert_eq!(
            outline_in(
                &f,
                &[],
                Form::Partial {
                    order: &order,
                    n: 2
                }
            )
            .unwrap(),
            "⋮\nChangelog\n⋮\n2.0.1 (2023-05-02)\n⋮\n"
        );
    }

    #[test]
    fn other_files_and_files_without_headings_have_no_doc_outline() {
        let plain = |path: &str, text: &str| SourceFile {
            path: path.into(),
            lang: None,
            bytes: text.len() as u64,
            text: Some(text.into()),
            facts: None,
        };
        let nowhere = std::path::Path::new("/nonexistent");
        assert!(doc_source(nowhere, &plain("notes.txt", "Title\n=====\n")).is_none());
        assert!(doc_source(nowhere, &plain("README.md", "just text\n\n---\n")).is_none());
    }
}
