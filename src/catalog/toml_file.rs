//! Loading a TOML file into a typed struct with errors that name the file, the line, the key,
//! what was expected and what was found.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// An error in a user-written TOML file (task.toml, bug.toml, refbench.toml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file, as given.
    pub path: PathBuf,
    /// 1-based line of the offending key or value, when known.
    pub line: Option<usize>,
    /// Dotted key path (`timeouts.tests`), or empty for the whole file.
    pub key: String,
    /// What was expected and what was found.
    pub message: String,
}

impl FileError {
    /// An error about `key` in `path`, found by refbench's own checks after parsing.
    pub fn invalid(path: &Path, text: Option<&str>, key: &str, message: impl Into<String>) -> Self {
        let line = text.and_then(|t| line_of_key(t, key));
        FileError {
            path: path.to_path_buf(),
            line,
            key: key.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": key `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FileError {}

/// Reads and deserializes `path`. Unknown keys are errors when `T` denies them.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<(T, String), FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FileError {
        path: path.to_path_buf(),
        line: None,
        key: String::new(),
        message: format!("cannot read the file: {e}"),
    })?;
    let value = parse::<T>(path, &text)?;
    Ok((value, text))
}

/// Deserializes TOML text that came from `path`.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, FileError> {
    let de = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let key = err.path().to_string();
        let key = if key == "." { String::new() } else { key };
        let inner = err.into_inner();
        let line = inner
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1)
            .or_else(|| line_of_key(text, &key));
        FileError {
            path: path.to_path_buf(),
            line,
            key,
            message: explain(inner.message()),
        }
    })
}

/// Rewords serde's messages so they read as "expected X, found Y".
fn explain(message: &str) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("expected {expected}, found {found}");
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("expected {expected}, found {found}");
        }
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("unknown key {found} (expected {expected}); check its spelling");
        }
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        return format!("required key {rest} is missing");
    }
    message.to_string()
}

/// Best-effort line number of `key` (dotted) in TOML text: the last segment at the start of a
/// line, after the table header of the earlier segments when there is one. A table segment
/// with an index (`arch_rules[2].from`) means that entry of an array of tables
/// (`[[arch_rules]]`); when the key itself is not written there (a missing key), the entry's
/// header line is given.
pub fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let mut segments: Vec<&str> = key.split('.').filter(|s| !s.is_empty()).collect();
    // Array indices such as `requirements[2]` point at the array's own key.
    if let Some(last) = segments.last_mut() {
        if let Some((name, _)) = last.split_once('[') {
            *last = name;
        }
    }
    let leaf = *segments.last()?;
    // The table: names without indices, and the index of an array-of-tables entry.
    let mut table: Vec<&str> = Vec::new();
    let mut entry: Option<usize> = None;
    for seg in &segments[..segments.len() - 1] {
        match seg.split_once('[') {
            Some((name, rest)) => {
                table.push(name);
                entry = rest.trim_end_matches(']').parse().ok();
            }
            None => table.push(seg),
        }
    }
    let wanted = table.join(".");
    let mut in_table = table.is_empty();
    let mut seen_entries = 0usize;
    let mut header_line = None;
    for (idx, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if line.starts_with('[') {
            let is_array = line.starts_with("[[");
            let header = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            in_table = !table.is_empty() && header == wanted;
            if in_table {
                if let Some(n) = entry {
                    in_table = is_array && seen_entries == n;
                    seen_entries += usize::from(is_array);
                }
                if in_table {
                    header_line = Some(idx + 1);
                }
            } else if header_line.is_some() {
                break;
            }
            continue;
        }
        if in_table {
            if let Some(rest) = line.strip_prefix(leaf) {
                if rest.trim_start().starts_with('=') {
                    return Some(idx + 1);
                }
            }
        }
    }
    header_line
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Demo {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        limits: Limits,
    }
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Limits {
        #[allow(dead_code)]
        secs: u64,
    }

    #[test]
    fn wrong_type_names_line_key_expected_and_found() {
        let text = "name = \"x\"\n[limits]\nsecs = \"ten\"\n";
        let err = parse::<Demo>(Path::new("demo.toml"), text).unwrap_err();
        assert_eq!(err.key, "limits.secs");
        assert_eq!(err.line, Some(3));
        let shown = err.to_string();
        assert!(
            shown.starts_with("demo.toml:3: key `limits.secs`: expected u64"),
            "{shown}"
        );
        assert!(shown.contains("found string \"ten\""), "{shown}");
    }

    #[test]
    fn unknown_key_is_named() {
        let text = "name = \"x\"\nnmae = 1\n[limits]\nsecs = 1\n";
        let err = parse::<Demo>(Path::new("demo.toml"), text).unwrap_err();
        assert!(err.to_string().contains("unknown key `nmae`"), "{err}");
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn missing_key_is_named() {
        let err = parse::<Demo>(Path::new("d.toml"), "[limits]\nsecs = 1\n").unwrap_err();
        assert!(
            err.to_string().contains("required key `name` is missing"),
            "{err}"
        );
    }

    #[test]
    fn line_of_nested_key() {
        let text = "a = 1\n[t]\nb = 2\n[u]\nb = 3\n";
        assert_eq!(line_of_key(text, "u.b"), Some(5));
        assert_eq!(line_of_key(text, "a"), Some(1));
        // A key not written in its table: the table's header.
        assert_eq!(line_of_key(text, "t.c"), Some(2));
        assert_eq!(line_of_key(text, "v.c"), None);
    }

    #[test]
    fn line_of_a_key_in_an_array_of_tables() {
        let text = "id = 1\n[[r]]\nid = \"a\"\nfrom = \"x\"\n\n[[r]]\nid = \"b\"\n[t]\nfrom = 1\n";
        assert_eq!(line_of_key(text, "r[0].from"), Some(4));
        assert_eq!(line_of_key(text, "r[1].id"), Some(7));
        // Missing in the entry: its header, not a later table's key of the same name.
        assert_eq!(line_of_key(text, "r[1].from"), Some(6));
    }
}
