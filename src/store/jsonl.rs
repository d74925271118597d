//! `attempts.jsonl`: one line per recorded attempt, for people and scripts (`jq`, pandas).
//!
//! In: finished [`AttemptRecord`]s. Out: their JSON lines, appended and fsynced. The file is
//! read once when it is opened (to know which attempts it holds), never per attempt: a run of
//! thousands of attempts appends in constant time. An attempt recorded again (a retried error)
//! replaces its line, which rewrites the file once. SQLite stays the source of truth: opening a
//! run rebuilds this file from it ([`super::RunStore::open`]).

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::StoreError;
use crate::attempt::{AttemptKey, AttemptRecord};

/// The JSON Lines log of a run's attempts.
pub struct JsonlLog {
    path: PathBuf,
    /// The `"key"` prefix of every line in the file.
    keys: HashSet<String>,
}

/// A line's prefix for `key`: records serialise their key first.
fn line_prefix(key: &AttemptKey) -> String {
    format!(
        "{{\"key\":{},",
        serde_json::to_string(key).expect("keys serialize")
    )
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

impl JsonlLog {
    /// The log of the run in `run_dir` (made when missing).
    pub fn open(run_dir: &Path) -> Result<JsonlLog, StoreError> {
        let path = run_dir.join("attempts.jsonl");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io("reading", &path)(e)),
        };
        #[derive(serde::Deserialize)]
        struct KeyOnly {
            key: AttemptKey,
        }
        let keys = text
            .lines()
            .filter_map(|l| serde_json::from_str::<KeyOnly>(l).ok())
            .map(|k| line_prefix(&k.key))
            .collect();
        Ok(JsonlLog { path, keys })
    }

    /// Appends `record`'s line, or replaces the line of an attempt recorded before.
    pub fn append(&mut self, record: &AttemptRecord) -> Result<(), StoreError> {
        let prefix = line_prefix(&record.key);
        let line = serde_json::to_string(record).expect("records serialize");
        debug_assert!(line.starts_with(&prefix));
        if self.keys.contains(&prefix) {
            return self.replace(&prefix, &line);
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io("opening", &self.path))?;
        f.write_all(line.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .map_err(io("appending to", &self.path))?;
        f.sync_all().map_err(io("syncing", &self.path))?;
        self.keys.insert(prefix);
        Ok(())
    }

    fn replace(&mut self, prefix: &str, line: &str) -> Result<(), StoreError> {
        let text = std::fs::read_to_string(&self.path).map_err(io("reading", &self.path))?;
        let mut out = String::with_capacity(text.len() + line.len());
        for l in text.lines() {
            out.push_str(if l.starts_with(prefix) { line } else { l });
            out.push('\n');
        }
        super::write_atomic(&self.path, out.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attempt::AttemptEnd;
    use crate::catalog::TaskId;

    fn record(sample: u32, message: &str) -> AttemptRecord {
        let key = AttemptKey {
            task: TaskId("f/t".into()),
            model: "m".into(),
            sample,
        };
        AttemptRecord::new(
            key,
            AttemptEnd::ModelError {
                message: message.into(),
            },
        )
    }

    #[test]
    fn appends_and_replaces_a_retried_attempt() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = JsonlLog::open(dir.path()).unwrap();
        log.append(&record(0, "first")).unwrap();
        log.append(&record(1, "other")).unwrap();
        // Reopened: the keys are known from the file.
        let mut log = JsonlLog::open(dir.path()).unwrap();
        log.append(&record(0, "again")).unwrap();
        let text = std::fs::read_to_string(dir.path().join("attempts.jsonl")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].contains("again") && lines[1].contains("other"),
            "{text}"
        );
    }
}
