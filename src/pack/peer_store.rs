//! Saved peer results for pack-eval (`--peer-results FILE`): aider's cells do not depend on
//! refbench's ranking, and running aider's RepoMap takes most of a pack-eval's time, so its
//! rows are written to a file once and read back.
//!
//! In: a JSON Lines file (one [`StoredRow`] per line: case, budget, the hash of the inputs
//! the row was measured on, the row), the cases and the aider script. Out: for each case and
//! budget the stored row when its inputs hash matches; a clear error when it is stale or
//! missing and aider cannot be run to refresh it.
//!
//! The inputs hash ([`inputs_hash`]) covers everything an aider row depends on besides
//! aider itself: the repository's files (every path and content outside `.git` and aider's
//! own `.aider*` caches, which its RepoMap writes into the repository), the task's
//! text, the gold files, the seeded bugs' files, lines and places, the budget, the script's
//! text and the version of how a row is measured (`METRIC`).
//! A different aider-chat install is not seen; say so when the file is shared.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::eval::{aider_row, AiderPeer, Case, EvalError, EvalRow};
use super::hash::hash128;

/// Names how a row is measured from a pack (bump it when that changes, so rows measured the
/// old way are measured again): version 2 places a bug's lines in its file
/// (`bug_lines.rs`).
const METRIC: &str = "pack-eval rows v2: bug lines at their places";

/// One line of a peer results file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredRow {
    /// The case's id.
    pub case: String,
    /// The budget.
    pub budget: usize,
    /// [`inputs_hash`] of the case, budget and script when the row was measured (hex).
    pub inputs: String,
    /// The row.
    pub row: EvalRow,
}

/// The peer results of a file, by case and budget.
#[derive(Debug)]
pub struct PeerStore {
    path: PathBuf,
    rows: BTreeMap<(String, usize), StoredRow>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of what an aider row of `case` at `budget` depends on (see the module doc).
pub fn inputs_hash(case: &Case, budget: usize, script: &[u8]) -> Result<String, EvalError> {
    let fail = |message: String| EvalError::Cases {
        path: case.repo.clone(),
        message,
    };
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let walker = ignore::WalkBuilder::new(&case.repo)
        .standard_filters(false)
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            name != ".git" && !name.starts_with(".aider")
        })
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| fail(format!("cannot walk it: {e}")))?;
        if entry.file_type().is_some_and(|t| t.is_file()) {
            let rel = entry
                .path()
                .strip_prefix(&case.repo)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .into_owned();
            files.push((rel, entry.path().to_path_buf()));
        }
    }
    files.sort();
    let mut buf: Vec<u8> = Vec::new();
    let mut field = |bytes: &[u8]| {
        buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        buf.extend_from_slice(bytes);
    };
    field(script);
    field(METRIC.as_bytes());
    field(&(budget as u64).to_le_bytes());
    field(case.query.as_bytes());
    for g in &case.gold {
        field(g.as_bytes());
    }
    for b in &case.bugs {
        field(b.file.as_bytes());
        for l in &b.lines {
            field(l.as_bytes());
        }
        for a in &b.at {
            field(&a.to_le_bytes());
        }
    }
    for (rel, path) in &files {
        let text = std::fs::read(path)
            .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
        field(rel.as_bytes());
        field(&text);
    }
    Ok(hex(&hash128(&buf)))
}

impl PeerStore {
    /// Reads `path` (a missing file is an empty store).
    pub fn open(path: &Path) -> Result<PeerStore, EvalError> {
        let fail = |message: String| EvalError::Cases {
            path: path.to_path_buf(),
            message,
        };
        let mut rows = BTreeMap::new();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(fail(format!("cannot read it: {e}"))),
        };
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let stored: StoredRow = serde_json::from_str(line).map_err(|e| {
                fail(format!(
                    "line {}: {e}; expected {{\"case\", \"budget\", \"inputs\", \"row\"}} as `pack-eval --peer-results` writes it (delete the file to measure again)",
                    n + 1
                ))
            })?;
            rows.insert((stored.case.clone(), stored.budget), stored);
        }
        Ok(PeerStore {
            path: path.to_path_buf(),
            rows,
        })
    }

    /// aider's row for `case` at `budget`: the stored one if it was measured on the same
    /// inputs, else measured now with `aider` (and stored), else an error saying what to do.
    pub fn aider_row(
        &mut self,
        case: &Case,
        budget: usize,
        script: &[u8],
        aider: Option<&AiderPeer>,
    ) -> Result<EvalRow, EvalError> {
        let inputs = inputs_hash(case, budget, script)?;
        let key = (case.id.clone(), budget);
        let stale = match self.rows.get(&key) {
            Some(s) if s.inputs == inputs => return Ok(s.row.clone()),
            Some(s) => Some(s.inputs.clone()),
            None => None,
        };
        let Some(aider) = aider else {
            let why = match stale {
                Some(old) => format!(
                    "aider's row for {} at {budget} tokens was measured on other inputs (hash {old}, now {inputs}: the repository, task text, gold, bugs or script changed)",
                    case.id
                ),
                None => format!("no aider row for {} at {budget} tokens", case.id),
            };
            return Err(EvalError::Cases {
                path: self.path.clone(),
                message: format!("{why}; run pack-eval again with --aider-python PY to measure it"),
            });
        };
        let row = aider_row(aider, case, budget)?;
        self.rows.insert(
            key,
            StoredRow {
                case: case.id.clone(),
                budget,
                inputs,
                row: row.clone(),
            },
        );
        Ok(row)
    }

    /// Writes the store back (rows by case and budget).
    pub fn save(&self) -> Result<(), EvalError> {
        let mut text = String::new();
        for stored in self.rows.values() {
            text.push_str(&serde_json::to_string(stored).expect("a row serializes"));
            text.push('\n');
        }
        std::fs::write(&self.path, text).map_err(|e| EvalError::Cases {
            path: self.path.clone(),
            message: format!("cannot write it: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::eval::{BugLines, Packer};

    fn case(repo: &Path) -> Case {
        Case {
            id: "fx/task".into(),
            repo: repo.to_path_buf(),
            query: "move the retry loop".into(),
            gold: vec!["a.py".into()],
            bugs: vec![BugLines {
                file: "a.py".into(),
                lines: vec!["x = 1".into()],
                at: vec![3],
            }],
        }
    }

    fn row() -> EvalRow {
        EvalRow {
            case: "fx/task".into(),
            packer: Packer::Aider,
            budget: 4096,
            tokens: 4000,
            gold_files: 1,
            gold_full: 0,
            gold_shown: 1,
            gold_named: 1,
            bugs: 1,
            bugs_visible: 0,
        }
    }

    #[test]
    fn stored_rows_are_reused_and_stale_or_missing_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::write(repo.join("a.py"), "x = 1\n").unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref\n").unwrap();
        let file = dir.path().join("peers.jsonl");
        let c = case(&repo);
        let inputs = inputs_hash(&c, 4096, b"script").unwrap();
        let stored = StoredRow {
            case: c.id.clone(),
            budget: 4096,
            inputs,
            row: row(),
        };
        std::fs::write(
            &file,
            format!("{}\n", serde_json::to_string(&stored).unwrap()),
        )
        .unwrap();
        let mut store = PeerStore::open(&file).unwrap();
        let got = store.aider_row(&c, 4096, b"script", None).unwrap();
        assert_eq!((got.gold_shown, got.tokens), (1, 4000));
        store.save().unwrap();
        assert_eq!(
            PeerStore::open(&file).unwrap().rows.len(),
            1,
            "saved back as read"
        );

        // Another budget was never measured.
        let err = store.aider_row(&c, 8192, b"script", None).unwrap_err();
        assert!(
            err.to_string().contains("no aider row for fx/task at 8192"),
            "{err}"
        );
        // A changed script, query or repository file makes the row stale; .git and aider's
        // cache do not.
        let err = store.aider_row(&c, 4096, b"other", None).unwrap_err();
        assert!(err.to_string().contains("other inputs"), "{err}");
        std::fs::write(repo.join(".git/HEAD"), "other\n").unwrap();
        std::fs::create_dir_all(repo.join(".aider.tags.cache.v4")).unwrap();
        std::fs::write(repo.join(".aider.tags.cache.v4/cache.db"), "x").unwrap();
        assert!(store.aider_row(&c, 4096, b"script", None).is_ok());
        std::fs::write(repo.join("a.py"), "x = 2\n").unwrap();
        let err = store.aider_row(&c, 4096, b"script", None).unwrap_err();
        assert!(err.to_string().contains("--aider-python"), "{err}");
    }

    #[test]
    fn a_malformed_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("peers.jsonl");
        std::fs::write(&file, "\n{\"case\": 1}\n").unwrap();
        let err = PeerStore::open(&file).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(PeerStore::open(&dir.path().join("none.jsonl"))
            .unwrap()
            .rows
            .is_empty());
    }
}
