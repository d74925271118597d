//! The agent's file editor: view, create and replace-a-unique-string, confined to the tree.
//!
//! In: an [`EditorCall`] (parsed from the model's JSON arguments) and the attempt's tree. Out:
//! the text the model gets back, or an [`EditorError`] whose message tells the model what was
//! wrong and what to do (sent back as an erroring tool result; the loop goes on).
//!
//! Paths are relative to the tree's root (an absolute path inside the tree is taken too).
//! Anything the patch stage would refuse is refused here, by the same check
//! ([`crate::patch::safety::check_path`]): `..`, paths into `.git`, paths through a symlink, so
//! the editor never reads or writes outside the tree.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::patch::safety::check_path;

/// One editor call, as the model writes its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum EditorCall {
    /// A file with numbered lines (optionally a 1-based inclusive range; `-1` ends at the
    /// end), or a directory's entries.
    View {
        /// The path.
        path: String,
        /// `[first, last]` lines.
        view_range: Option<[i64; 2]>,
    },
    /// Writes a file (creating folders; an existing file is replaced).
    Create {
        /// The path.
        path: String,
        /// The whole content.
        file_text: String,
    },
    /// Replaces the one occurrence of `old_str` with `new_str`.
    StrReplace {
        /// The path.
        path: String,
        /// Text that must occur exactly once.
        old_str: String,
        /// Its replacement (default: nothing).
        #[serde(default)]
        new_str: String,
    },
}

/// Why an editor call did nothing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditorError {
    /// A path the editor may not touch.
    #[error("refused path `{path}`: {why}; give a path relative to the repository root")]
    Path {
        /// The path given.
        path: String,
        /// Why.
        why: String,
    },
    /// The file or folder is not there.
    #[error("`{0}` does not exist")]
    Missing(String),
    /// `old_str` is absent or ambiguous.
    #[error("`old_str` occurs {count} times in `{path}`; it must occur exactly once: {hint}")]
    NotUnique {
        /// The file.
        path: String,
        /// Occurrences found.
        count: usize,
        /// What to do.
        hint: &'static str,
    },
    /// A bad line range.
    #[error("bad view_range {range:?} for `{path}` ({lines} lines): expected [first, last] with 1 <= first <= last <= {lines}, or last = -1")]
    Range {
        /// The file.
        path: String,
        /// The range given.
        range: [i64; 2],
        /// Lines in the file.
        lines: usize,
    },
    /// Reading or writing failed.
    #[error("{action} `{path}`: {message}")]
    Io {
        /// What was done.
        action: &'static str,
        /// The path.
        path: String,
        /// The cause.
        message: String,
    },
}

/// The tree-relative path for `given`, checked.
fn resolve(repo: &Path, given: &str) -> Result<(PathBuf, String), EditorError> {
    let refuse = |why: String| EditorError::Path {
        path: given.to_string(),
        why,
    };
    let as_path = Path::new(given);
    let rel = if as_path.is_absolute() {
        as_path
            .strip_prefix(repo)
            .map_err(|_| refuse("outside the repository".into()))?
            .to_path_buf()
    } else {
        as_path.to_path_buf()
    };
    if rel.as_os_str().is_empty() || rel == Path::new(".") {
        return Ok((repo.to_path_buf(), ".".into()));
    }
    check_path(repo, &rel).map_err(|e| refuse(e.to_string()))?;
    Ok((repo.join(&rel), rel.display().to_string()))
}

fn io<'a>(action: &'static str, path: &'a str) -> impl Fn(std::io::Error) -> EditorError + 'a {
    move |e| EditorError::Io {
        action,
        path: path.to_string(),
        message: e.to_string(),
    }
}

/// Runs `call` in `repo`.
pub fn run_editor(repo: &Path, call: &EditorCall) -> Result<String, EditorError> {
    match call {
        EditorCall::View { path, view_range } => {
            let (full, rel) = resolve(repo, path)?;
            if full.is_dir() {
                return list_dir(&full, &rel);
            }
            if !full.exists() {
                return Err(EditorError::Missing(rel));
            }
            let bytes = std::fs::read(&full).map_err(io("reading", &rel))?;
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            let (first, last) = match view_range {
                None => (1, lines.len()),
                Some(range @ [a, b]) => {
                    let n = lines.len() as i64;
                    let last = if *b == -1 { n } else { *b };
                    if *a < 1 || *a > n.max(1) || last < *a || last > n {
                        return Err(EditorError::Range {
                            path: rel,
                            range: *range,
                            lines: lines.len(),
                        });
                    }
                    (*a as usize, last as usize)
                }
            };
            let mut out = String::new();
            for (i, line) in lines.iter().enumerate().take(last).skip(first - 1) {
                out.push_str(&format!("{:>6}\t{line}\n", i + 1));
            }
            if out.is_empty() {
                out.push_str(&format!("(`{rel}` is empty)\n"));
            }
            Ok(out)
        }
        EditorCall::Create { path, file_text } => {
            let (full, rel) = resolve(repo, path)?;
            if full.is_dir() {
                return Err(EditorError::Path {
                    path: path.clone(),
                    why: "a directory".into(),
                });
            }
            let existed = full.exists();
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).map_err(io("creating the folder of", &rel))?;
            }
            std::fs::write(&full, file_text).map_err(io("writing", &rel))?;
            Ok(format!(
                "{} `{rel}` ({} lines)",
                if existed { "replaced" } else { "created" },
                file_text.lines().count()
            ))
        }
        EditorCall::StrReplace {
            path,
            old_str,
            new_str,
        } => {
            let (full, rel) = resolve(repo, path)?;
            if !full.is_file() {
                return Err(EditorError::Missing(rel));
            }
            let text = std::fs::read_to_string(&full).map_err(io("reading", &rel))?;
            let count = if old_str.is_empty() {
                0
            } else {
                text.matches(old_str.as_str()).count()
            };
            if count != 1 {
                return Err(EditorError::NotUnique {
                    path: rel,
                    count,
                    hint: if count == 0 {
                        "view the file and copy the text exactly, whitespace included"
                    } else {
                        "include more surrounding lines to make it unique"
                    },
                });
            }
            let at = text.find(old_str.as_str()).expect("counted once");
            let line = text[..at].lines().count().max(1);
            let updated = text.replacen(old_str.as_str(), new_str, 1);
            std::fs::write(&full, updated).map_err(io("writing", &rel))?;
            Ok(format!("replaced 1 occurrence in `{rel}` at line {line}"))
        }
    }
}

/// A folder's entries, two levels deep, `.git` left out, folders marked with `/`.
fn list_dir(full: &Path, rel: &str) -> Result<String, EditorError> {
    fn walk(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<String>) -> std::io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == ".git" {
                continue;
            }
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            out.push(format!("{prefix}{name}{}", if is_dir { "/" } else { "" }));
            if is_dir && depth > 1 {
                walk(&e.path(), &format!("{prefix}{name}/"), depth - 1, out)?;
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(full, "", 2, &mut out).map_err(io("listing", rel))?;
    Ok(out.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(json: &str) -> EditorCall {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn create_view_and_replace() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        let out = run_editor(
            repo,
            &call(r#"{"command":"create","path":"app/a.py","file_text":"x = 1\ny = 2\n"}"#),
        )
        .unwrap();
        assert_eq!(out, "created `app/a.py` (2 lines)");
        let view = run_editor(
            repo,
            &call(r#"{"command":"view","path":"app/a.py","view_range":[2,-1]}"#),
        )
        .unwrap();
        assert_eq!(view, "     2\ty = 2\n");
        let listing = run_editor(repo, &call(r#"{"command":"view","path":"."}"#)).unwrap();
        assert_eq!(listing, "app/\napp/a.py\n");
        run_editor(
            repo,
            &call(r#"{"command":"str_replace","path":"app/a.py","old_str":"y = 2","new_str":"y = 3"}"#),
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(repo.join("app/a.py")).unwrap(),
            "x = 1\ny = 3\n"
        );
    }

    #[test]
    fn ambiguous_missing_and_escaping_edits_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::write(repo.join("a.txt"), "same\nsame\n").unwrap();
        let err = run_editor(
            &repo,
            &call(r#"{"command":"str_replace","path":"a.txt","old_str":"same"}"#),
        )
        .unwrap_err();
        assert!(
            matches!(err, EditorError::NotUnique { count: 2, .. }),
            "{err}"
        );
        for path in ["../outside.txt", ".git/config", "/etc/passwd"] {
            let json = format!(r#"{{"command":"create","path":"{path}","file_text":"x"}}"#);
            let err = run_editor(&repo, &call(&json)).unwrap_err();
            assert!(matches!(err, EditorError::Path { .. }), "{path}: {err}");
        }
        assert!(!dir.path().join("outside.txt").exists());
        std::os::unix::fs::symlink("/etc", repo.join("etc")).unwrap();
        let err =
            run_editor(&repo, &call(r#"{"command":"view","path":"etc/passwd"}"#)).unwrap_err();
        assert!(matches!(err, EditorError::Path { .. }), "{err}");
        let abs = format!(
            r#"{{"command":"view","path":"{}"}}"#,
            repo.join("a.txt").display()
        );
        assert!(
            run_editor(&repo, &call(&abs)).is_ok(),
            "an absolute path inside is taken"
        );
    }
}
