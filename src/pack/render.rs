//! Rendering ranked files as Markdown under a hard token budget, counted exactly (o200k_base)
//! on the final text.
//!
//! Files go in rank order: full text while it fits (at most 80% of the budget when not every
//! file fits, so outlines and names keep some room), else an outline (signatures and headers;
//! `⋮` marks elided lines) while it fits in 92%, else the file's name in a closing list. Whole
//! sections and whole lines only: nothing is ever cut mid-line. The finished text is counted
//! again and trailing entries are dropped until it fits, so the budget holds exactly even
//! where token boundaries merge across sections.

use std::path::Path;

use super::rank::Ranked;
use super::tokens::TokenCache;
use super::walk::SourceFile;
use crate::catalog::Language as Lang;

/// How much of a file a pack shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The whole file.
    Full,
    /// Signatures and headers, bodies elided.
    Outline,
    /// Only its path.
    Name,
}

const HEADER: &str = "# Repository map\n\nFiles ranked by relevance to the task: full text first, then outlines (⋮ marks elided lines), then the names of other files.\n";
/// Files in a row that may fail to fit in one mode before that mode is given up.
const MAX_MISSES: usize = 25;
const NAMES_HEADER: &str = "\n## Other files\n\n";

/// Tokens of `text` in o200k_base.
pub fn count_tokens(text: &str) -> usize {
    tiktoken_rs::o200k_base_singleton()
        .encode_with_special_tokens(text)
        .len()
}

/// Starts loading the tokenizer's vocabulary on a thread of its own (once per process): the
/// load takes a good part of a second, which can overlap parsing. A count that comes before
/// the load is done waits for it.
pub fn warm_tokenizer() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        std::thread::spawn(|| {
            tiktoken_rs::o200k_base_singleton();
        });
    });
}

/// One rendered section.
#[derive(Debug, Clone)]
pub struct Section {
    /// Index into the files.
    pub file: usize,
    /// Rank (0-based) of the file.
    pub rank: usize,
    /// What is shown.
    pub mode: Mode,
    /// The section's text.
    pub text: String,
    /// Its tokens counted alone.
    pub tokens: usize,
}

/// The rendered pack.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The final text.
    pub text: String,
    /// Its exact token count.
    pub tokens: usize,
    /// Sections in output order (names included).
    pub sections: Vec<Section>,
}

fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

fn lang_tag(path: &str) -> &str {
    match path.rsplit_once('.').map(|(_, e)| e) {
        Some("rs") => "rust",
        Some("py") | Some("pyi") => "python",
        Some("toml") => "toml",
        Some("md") => "markdown",
        Some("json") => "json",
        Some("yml") | Some("yaml") => "yaml",
        Some("sh") => "sh",
        Some("ini") | Some("cfg") => "ini",
        _ => "",
    }
}

fn code_section(path: &str, note: &str, body: &str) -> String {
    let fence = fence_for(body);
    let mut s = format!("\n## {path}{note}\n\n{fence}{}\n", lang_tag(path));
    s.push_str(body);
    if !body.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(&fence);
    s.push('\n');
    s
}

/// The outline of a parsed file: each definition's header lines, `⋮` for what is left out.
pub fn outline(file: &SourceFile) -> Option<String> {
    let facts = file.facts.as_ref()?;
    let text = file.text.as_ref()?;
    let lines: Vec<&str> = text.lines().collect();
    let mut keep = vec![false; lines.len() + 1];
    for d in &facts.defs {
        let end = d.sig_end.max(d.line).min(d.line + 5) as usize;
        let first = (d.line as usize).min(lines.len() + 1);
        keep[first..=end.min(lines.len()).max(first - 1)]
            .iter_mut()
            .for_each(|k| *k = true);
        if file.lang == Some(Lang::Rust)
            && d.end_line > end as u32
            && (d.end_line as usize) <= lines.len()
        {
            // The closing brace of a block keeps the outline readable.
            let closing = lines[d.end_line as usize - 1].trim();
            if closing == "}" || closing == "};" {
                keep[d.end_line as usize] = true;
            }
        }
    }
    let mut out = String::new();
    let mut elided = false;
    for (i, line) in lines.iter().enumerate() {
        if keep[i + 1] {
            out.push_str(line);
            out.push('\n');
            elided = false;
        } else if !elided {
            out.push_str("⋮\n");
            elided = true;
        }
    }
    Some(out)
}

fn full_text(root: &Path, file: &SourceFile) -> Option<String> {
    if let Some(t) = &file.text {
        return Some(t.clone());
    }
    let t = std::fs::read_to_string(root.join(&file.path)).ok()?;
    (!t.contains('\0')).then_some(t)
}

/// Renders `ranked` files under `budget` tokens; counts come from `tokens` when it has them.
pub fn render(
    root: &Path,
    files: &[SourceFile],
    ranked: &[Ranked],
    budget: usize,
    tokens: &mut TokenCache,
) -> Rendered {
    let header_tokens = tokens.count(HEADER);
    if header_tokens > budget {
        return Rendered {
            text: String::new(),
            tokens: 0,
            sections: Vec::new(),
        };
    }
    // First try everything in full; if it does not all fit, place with caps.
    let mut attempt = |caps: Option<(usize, usize)>| -> (Vec<Section>, Vec<(usize, usize)>, bool) {
        let mut used = header_tokens;
        let mut sections = Vec::new();
        let mut names = Vec::new();
        let mut all_full = true;
        let (full_cap, outline_cap) = caps.unwrap_or((budget, budget));
        // Counting tokens costs time: after this many files in a row that did not fit in a
        // mode, stop trying that mode (a large tree would otherwise be tokenized whole).
        let (mut full_misses, mut outline_misses) = (0, 0);
        for (rank, r) in ranked.iter().enumerate() {
            let file = &files[r.file];
            let room = full_cap.saturating_sub(used);
            // A token is rarely more than 8 bytes of source: skip counting what cannot fit.
            if full_misses < MAX_MISSES && (file.bytes as usize) <= room.saturating_mul(8) {
                if let Some(text) = full_text(root, file) {
                    let s = code_section(&file.path, "", &text);
                    let t = tokens.count(&s);
                    if used + t <= full_cap {
                        used += t;
                        full_misses = 0;
                        sections.push(Section {
                            file: r.file,
                            rank,
                            mode: Mode::Full,
                            text: s,
                            tokens: t,
                        });
                        continue;
                    }
                }
            }
            full_misses += 1;
            all_full = false;
            if caps.is_none() {
                break;
            }
            let o = (outline_misses < MAX_MISSES)
                .then(|| outline(file))
                .flatten();
            if let Some(o) = o {
                outline_misses += 1;
                if o.len() <= outline_cap.saturating_sub(used).saturating_mul(8) {
                    let s = code_section(&file.path, " (outline)", &o);
                    let t = tokens.count(&s);
                    if used + t <= outline_cap {
                        used += t;
                        sections.push(Section {
                            file: r.file,
                            rank,
                            mode: Mode::Outline,
                            text: s,
                            tokens: t,
                        });
                        outline_misses = 0;
                        continue;
                    }
                }
            }
            names.push((rank, r.file));
        }
        (sections, names, all_full)
    };
    let (mut sections, mut names, all_full) = attempt(None);
    if !all_full {
        (sections, names) = {
            let (s, n, _) = attempt(Some((budget * 80 / 100, budget * 92 / 100)));
            (s, n)
        };
    }
    let mut used = header_tokens + sections.iter().map(|s| s.tokens).sum::<usize>();
    if !names.is_empty() {
        let ht = tokens.count(NAMES_HEADER);
        if used + ht < budget {
            used += ht;
            for (rank, f) in names {
                let line = format!("{}\n", files[f].path);
                let t = tokens.count(&line);
                if used + t > budget {
                    break;
                }
                used += t;
                sections.push(Section {
                    file: f,
                    rank,
                    mode: Mode::Name,
                    text: line,
                    tokens: t,
                });
            }
        }
    }
    // Exact count on the final text; drop trailing entries while over.
    loop {
        let text = assemble(&sections);
        let total = tokens.count(&text);
        if total <= budget {
            return Rendered {
                text,
                tokens: total,
                sections,
            };
        }
        sections.pop();
    }
}

fn assemble(sections: &[Section]) -> String {
    let mut text = String::from(HEADER);
    let mut names_started = false;
    for s in sections {
        if s.mode == Mode::Name && !names_started {
            text.push_str(NAMES_HEADER);
            names_started = true;
        }
        text.push_str(&s.text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegraph::parse::extract;

    #[test]
    fn outline_keeps_headers_and_marks_elisions() {
        let src = "class A(B):\n    def f(self, x):\n        y = x\n        return y\n\n    def g(self):\n        pass\n";
        let file = SourceFile {
            path: "a.py".into(),
            lang: Some(Lang::Python),
            bytes: src.len() as u64,
            text: Some(src.into()),
            facts: Some(extract(Lang::Python, src)),
        };
        let o = outline(&file).unwrap();
        assert_eq!(
            o,
            "class A(B):\n    def f(self, x):\n⋮\n    def g(self):\n⋮\n"
        );
    }

    #[test]
    fn fence_outgrows_backticks_in_the_text() {
        assert_eq!(fence_for("no ticks"), "```");
        assert_eq!(fence_for("a ```` b"), "`````");
    }
}
