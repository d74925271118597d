//! Extraction: the edits a reply holds, in the order it gives them.
//!
//! In: the reply text and the [`EditFormat`] the prompt asked for (or `Auto`). Out: a list of
//! [`Edit`]s. Formats:
//! - unified diff: every ```diff/```patch fence (or any fence that holds a diff), else the bare
//!   reply; parsed by [`super::udiff::parse`], which skips prose;
//! - search/replace: a file path line (before the fence, or the fence's first line), then
//!   `<<<<<<< SEARCH`, the old text, `=======`, the new text, `>>>>>>> REPLACE`; several blocks
//!   may follow one path;
//! - whole file: a fence whose info string names a path (```python src/a.py, ```src/a.py,
//!   ```rust:src/a.rs, ```python path=app/x.py, ```rust title="src/a.rs"), or that follows a
//!   line naming one (`src/a.py`, `**src/a.py**`,
//!   "Here is the updated `src/a.py`:").
//!
//! `Auto` picks search/replace when the reply has SEARCH markers, else a diff when it has one,
//! else whole-file blocks.

use serde::{Deserialize, Serialize};

use super::udiff::{self, FilePatch};

/// The edit format a reply is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "kebab-case")]
pub enum EditFormat {
    /// Unified diff.
    Diff,
    /// Search/replace blocks.
    SearchReplace,
    /// Whole files in fences.
    WholeFile,
    /// Whichever the reply uses.
    #[default]
    Auto,
}

impl std::fmt::Display for EditFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EditFormat::Diff => "diff",
            EditFormat::SearchReplace => "search-replace",
            EditFormat::WholeFile => "whole-file",
            EditFormat::Auto => "auto",
        })
    }
}

/// One edit found in a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// A diff section for one file.
    Diff(FilePatch),
    /// Replace `search` by `replace` in `path` (an empty search creates or appends).
    SearchReplace {
        /// Repo-relative path as written.
        path: String,
        /// Old text (may be empty).
        search: String,
        /// New text.
        replace: String,
    },
    /// The full new content of `path`.
    WholeFile {
        /// Repo-relative path as written.
        path: String,
        /// The content.
        content: String,
    },
}

impl Edit {
    /// Every path the edit names.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Edit::Diff(p) => [p.old_path.as_deref(), p.new_path.as_deref()]
                .into_iter()
                .flatten()
                .collect(),
            Edit::SearchReplace { path, .. } | Edit::WholeFile { path, .. } => vec![path],
        }
    }
}

/// A fenced block.
struct Fence<'a> {
    info: &'a str,
    /// Line index of the opening fence.
    open: usize,
    body: Vec<&'a str>,
}

fn fences<'a>(lines: &[&'a str]) -> Vec<Fence<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        let marker = if t.starts_with("```") {
            "```"
        } else if t.starts_with("~~~") {
            "~~~"
        } else {
            i += 1;
            continue;
        };
        let ticks = t.len() - t.trim_start_matches(marker.chars().next().unwrap()).len();
        let info = t[ticks..].trim();
        let mut j = i + 1;
        let mut body = Vec::new();
        while j < lines.len() {
            let u = lines[j].trim();
            let c = marker.chars().next().unwrap();
            if u.len() >= ticks && u.chars().all(|x| x == c) {
                break;
            }
            body.push(lines[j]);
            j += 1;
        }
        out.push(Fence {
            info,
            open: i,
            body,
        });
        i = j + 1;
    }
    out
}

fn looks_like_diff(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("@@") || l.starts_with("diff --git "))
        || text
            .lines()
            .zip(text.lines().skip(1))
            .any(|(a, b)| a.starts_with("--- ") && b.starts_with("+++ "))
}

fn is_sr_start(l: &str) -> bool {
    let t = l.trim();
    t.starts_with("<<<<<<<") && t.trim_start_matches('<').trim() == "SEARCH"
}
fn is_sr_mid(l: &str) -> bool {
    let t = l.trim();
    t.len() >= 7 && t.chars().all(|c| c == '=')
}
fn is_sr_end(l: &str) -> bool {
    let t = l.trim();
    t.starts_with(">>>>>>>") && t.trim_start_matches('>').trim() == "REPLACE"
}

/// A path named on a line of prose or a fence header, if the line is just that.
pub fn path_from_line(line: &str) -> Option<String> {
    let mut t = line.trim();
    // "Here is the updated `src/a.py`:" -> the single backticked path
    let ticked: Vec<&str> = t.split('`').skip(1).step_by(2).collect();
    if ticked.len() == 1 && t.trim_end().ends_with(':') && plausible_path(ticked[0]) {
        return Some(ticked[0].to_string());
    }
    for prefix in ["#", "*", "`", ">"] {
        t = t.trim_start_matches(prefix).trim();
    }
    for prefix in ["File:", "file:", "Path:", "path:", "FILE:"] {
        if let Some(r) = t.strip_prefix(prefix) {
            t = r.trim();
        }
    }
    let t = t
        .trim_end_matches(':')
        .trim_matches(|c| c == '*' || c == '`')
        .trim();
    plausible_path(t).then(|| t.to_string())
}

fn plausible_path(t: &str) -> bool {
    !t.is_empty()
        && !t.contains(char::is_whitespace)
        && (t.contains('/') || t.contains('.'))
        && !t.starts_with("http")
        && t.chars().any(|c| c.is_alphanumeric())
        && !t.ends_with('.')
}

/// Keys of an info string's `key=value` attributes that name the file.
const PATH_KEYS: [&str; 5] = ["path", "file", "filename", "title", "name"];

/// A path named in a fence's info string: ```rust src/a.rs, ```src/a.rs, ```rust:src/a.rs,
/// ```python path=app/x.py, ```rust title="src/a.rs", ```{.rust file=src/a.rs}.
///
/// The language word, attributes that name no file (`edition=2021`, `{linenos}`) and numbers
/// (`1.75`, `v0.1`) are skipped: a token names a file only when it holds a `/` or ends in an
/// extension with a letter.
fn path_from_info(info: &str) -> Option<String> {
    let info = info.trim();
    // Pandoc's attribute form: only its key=value pairs can name the file.
    let attributes_only = info.starts_with('{');
    let info = info.trim_start_matches('{').trim_end_matches('}');
    for (i, raw) in info.split_whitespace().enumerate() {
        let mut tok = raw;
        if let Some((key, value)) = tok.split_once('=') {
            let key = key.trim_start_matches(['.', '#']).to_ascii_lowercase();
            if !PATH_KEYS.contains(&key.as_str()) {
                continue;
            }
            tok = value;
        } else if attributes_only {
            continue;
        } else if i == 0 {
            // ```rust:src/a.rs
            if let Some((lang, rest)) = tok.split_once(':') {
                if !lang.is_empty()
                    && lang
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-#_".contains(c))
                {
                    tok = rest;
                }
            }
        }
        let tok = tok
            .trim_matches(|c: char| "\"'()[]{}`,;".contains(c))
            .trim_end_matches(':');
        let tok = tok.strip_prefix("./").unwrap_or(tok);
        if names_a_file(tok) {
            return Some(tok.to_string());
        }
    }
    None
}

/// A token that can only be a file path: a plausible path with a `/`, or with an extension
/// holding a letter (`Cargo.toml`, not `1.75`).
fn names_a_file(tok: &str) -> bool {
    if !plausible_path(tok) || tok.contains("://") {
        return false;
    }
    let file = tok.rsplit('/').next().unwrap_or(tok);
    let extension_has_letter = file
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.chars().any(|c| c.is_ascii_alphabetic()));
    (tok.contains('/') && file.chars().any(|c| c.is_alphanumeric())) || extension_has_letter
}

fn diff_edits(reply: &str, lines: &[&str]) -> Vec<Edit> {
    let fenced: Vec<String> = fences(lines)
        .into_iter()
        .map(|f| f.body.join("\n") + "\n")
        .filter(|b| looks_like_diff(b))
        .collect();
    let text = if fenced.is_empty() {
        reply.to_string()
    } else {
        fenced.concat()
    };
    udiff::parse(&text).into_iter().map(Edit::Diff).collect()
}

fn search_replace_edits(lines: &[&str]) -> Vec<Edit> {
    let mut out = Vec::new();
    let mut last_path: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        if !is_sr_start(lines[i]) {
            i += 1;
            continue;
        }
        // The path: the nearest line above that is not a fence opener or blank.
        let mut path = None;
        let mut k = i;
        while k > 0 {
            k -= 1;
            let t = lines[k].trim();
            if t.is_empty() {
                continue;
            }
            if t.starts_with("```") || t.starts_with("~~~") {
                if let Some(p) = path_from_info(t.trim_start_matches(['`', '~'])) {
                    path = Some(p);
                    break;
                }
                continue;
            }
            if is_sr_end(t) {
                break;
            }
            path = path_from_line(t);
            break;
        }
        let path = path.or_else(|| last_path.clone());
        let mut j = i + 1;
        let mut search = Vec::new();
        while j < lines.len() && !is_sr_mid(lines[j]) {
            search.push(lines[j]);
            j += 1;
        }
        j += 1;
        let mut replace = Vec::new();
        while j < lines.len() && !is_sr_end(lines[j]) {
            replace.push(lines[j]);
            j += 1;
        }
        let complete = j < lines.len();
        if let (Some(path), true) = (path, complete) {
            let join = |v: &[&str]| {
                if v.is_empty() {
                    String::new()
                } else {
                    v.join("\n") + "\n"
                }
            };
            out.push(Edit::SearchReplace {
                path: path.clone(),
                search: join(&search),
                replace: join(&replace),
            });
            last_path = Some(path);
        }
        i = j + 1;
    }
    out
}

fn whole_file_edits(lines: &[&str]) -> Vec<Edit> {
    let mut out = Vec::new();
    for f in fences(lines) {
        if f.info.starts_with("diff") || f.info.starts_with("patch") {
            continue;
        }
        let path = path_from_info(f.info).or_else(|| {
            lines[..f.open]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .and_then(|l| path_from_line(l))
        });
        if let Some(path) = path {
            let content = if f.body.is_empty() {
                String::new()
            } else {
                f.body.join("\n") + "\n"
            };
            out.push(Edit::WholeFile { path, content });
        }
    }
    out
}

/// The edits in `reply` and the format they were read in (the detected one for `Auto`).
pub fn extract(reply: &str, format: EditFormat) -> (EditFormat, Vec<Edit>) {
    let lines: Vec<&str> = reply
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    match format {
        EditFormat::Diff => (format, diff_edits(reply, &lines)),
        EditFormat::SearchReplace => (format, search_replace_edits(&lines)),
        EditFormat::WholeFile => (format, whole_file_edits(&lines)),
        EditFormat::Auto => {
            if lines.iter().any(|l| is_sr_start(l)) {
                return (EditFormat::SearchReplace, search_replace_edits(&lines));
            }
            let diffs = diff_edits(reply, &lines);
            if !diffs.is_empty() {
                return (EditFormat::Diff, diffs);
            }
            let whole = whole_file_edits(&lines);
            if !whole.is_empty() {
                return (EditFormat::WholeFile, whole);
            }
            (EditFormat::Auto, vec![])
        }
    }
}

/// A line that stands for code the model left out ("... rest unchanged", "# existing code").
pub fn is_placeholder(line: &str) -> bool {
    let t = line.trim();
    let body = t
        .trim_start_matches(['#', '/', '*', '-', '<', '!', ';'])
        .trim_end_matches(['*', '/', '>', '-'])
        .trim()
        .to_lowercase();
    let commented = body.len() != t.len();
    let dotted = body.starts_with("...") || body.ends_with("...") || body.starts_with('…');
    let words = [
        "existing code",
        "rest unchanged",
        "rest of the",
        "rest of file",
        "unchanged",
        "remaining code",
        "remains the same",
        "same as before",
        "as before",
        "omitted",
        "other methods",
        "previous code",
        "code here",
    ];
    let wordy = words.iter().any(|w| body.contains(w));
    (wordy && (dotted || commented) && body.len() < 80)
        || (commented && (body == "..." || body == "…"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        assert!(is_placeholder("    # ... rest unchanged"));
        assert!(is_placeholder("# existing code here"));
        assert!(is_placeholder("// ... existing methods unchanged ..."));
        assert!(is_placeholder("    # ..."));
        assert!(!is_placeholder("    ..."));
        assert!(!is_placeholder("    return unchanged_value"));
        assert!(!is_placeholder("# compute the total"));
    }

    #[test]
    fn search_replace_with_path_before_fence() {
        let reply = "Change:\n\nsrc/a.py\n```python\n<<<<<<< SEARCH\nx = 1\n=======\nx = 2\n>>>>>>> REPLACE\n```\n";
        let (fmt, edits) = extract(reply, EditFormat::Auto);
        assert_eq!(fmt, EditFormat::SearchReplace);
        assert_eq!(
            edits,
            vec![Edit::SearchReplace {
                path: "src/a.py".into(),
                search: "x = 1\n".into(),
                replace: "x = 2\n".into()
            }]
        );
    }

    fn whole(reply: &str) -> Vec<(String, String)> {
        let (fmt, edits) = extract(reply, EditFormat::Auto);
        assert_eq!(fmt, EditFormat::WholeFile, "{reply}");
        edits
            .into_iter()
            .map(|e| match e {
                Edit::WholeFile { path, content } => (path, content),
                other => panic!("not a whole file: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn whole_file_path_in_the_fence_info_string() {
        let body = "pub fn allow() -> bool {\n    true\n}\n";
        for (info, path) in [
            ("rust src/policy.rs", "src/policy.rs"),
            ("python path=app/x.py", "app/x.py"),
            ("src/a.rs", "src/a.rs"),
            ("rust:src/policy.rs", "src/policy.rs"),
            ("rust title=\"src/policy.rs\"", "src/policy.rs"),
            ("rust filename='src/policy.rs'", "src/policy.rs"),
            ("rust file=src/policy.rs {linenos}", "src/policy.rs"),
            ("{.rust file=src/policy.rs}", "src/policy.rs"),
            ("rust (src/policy.rs)", "src/policy.rs"),
            ("toml Cargo.toml", "Cargo.toml"),
            ("python ./app/x.py", "app/x.py"),
            ("rust // src/policy.rs", "src/policy.rs"),
        ] {
            let reply = format!("Here you go.\n\n```{info}\n{body}```\n\nDone.\n");
            assert_eq!(
                whole(&reply),
                vec![(path.to_string(), body.to_string())],
                "info string {info:?}"
            );
        }
    }

    #[test]
    fn several_files_named_in_info_strings_keep_their_order() {
        let reply = "Two files change.\n\n```rust src/policy.rs\npub struct Policy;\n```\n\nand\n\n```rust src/lib.rs\npub mod policy;\n```\n";
        assert_eq!(
            whole(reply),
            vec![
                (
                    "src/policy.rs".to_string(),
                    "pub struct Policy;\n".to_string()
                ),
                ("src/lib.rs".to_string(), "pub mod policy;\n".to_string()),
            ]
        );
    }

    #[test]
    fn an_info_string_without_a_path_names_none() {
        for info in [
            "rust",
            "python3",
            "rust 1.75",
            "rust edition=2021",
            "text v0.1",
            "js {1,3-4}",
        ] {
            assert_eq!(path_from_info(info), None, "{info:?}");
        }
        // A fence with no path and no naming line is not an edit.
        let (_, edits) = extract("```rust 1.75\nfn main() {}\n```\n", EditFormat::Auto);
        assert!(edits.is_empty(), "{edits:?}");
    }

    #[test]
    fn a_whole_file_named_in_the_info_string_is_applied() {
        let dir = crate::test_support::tree(&[
            ("src/policy.rs", "pub fn allow() -> bool {\n    false\n}\n"),
            ("src/lib.rs", "pub mod policy;\n"),
        ]);
        let repo = git2::Repository::init(dir.path()).unwrap();
        crate::materialize::commit_all(&repo, "base").unwrap();
        let reply = "I changed the policy.\n\n```rust:src/policy.rs\npub fn allow() -> bool {\n    true\n}\n```\n";
        let applied = crate::patch::apply_reply(dir.path(), reply, &|_| false).unwrap();
        assert_eq!(applied.format, EditFormat::WholeFile);
        assert_eq!(
            applied.status,
            crate::patch::ApplyStatus::Exact,
            "{applied:?}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("src/policy.rs")).unwrap(),
            "pub fn allow() -> bool {\n    true\n}\n"
        );
    }

    #[test]
    fn whole_file_from_prose_line() {
        let reply = "Here is the updated `src/a.py`:\n\n```python\nx = 2\n```\n";
        let (fmt, edits) = extract(reply, EditFormat::Auto);
        assert_eq!(fmt, EditFormat::WholeFile);
        assert_eq!(
            edits,
            vec![Edit::WholeFile {
                path: "src/a.py".into(),
                content: "x = 2\n".into()
            }]
        );
    }
}
