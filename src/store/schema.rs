//! The SQLite schema of a run store, versioned with `PRAGMA user_version`, and its migrations.
//!
//! In: an open connection to `results.sqlite`. Out: the schema at [`CURRENT`], every older
//! store migrated forward in one transaction; a store written by a newer refbench is refused
//! with a message saying so (never read half-understood).
//!
//! Versions:
//! - 0: tables `run`, `attempt`, `test_result`, `detector_result`, `usage` (stores written
//!   before versioning carry no version and read as 0);
//! - 1: `rule_result` (one row per architectural rule, with its evidence), and
//!   `attempt.error_stage` (which stage a harness error came from). Migrating fills
//!   `rule_result` from the stored records.

use std::path::Path;

use rusqlite::{params, Connection};

use super::StoreError;
use crate::score::RuleResult;

/// The schema this refbench writes.
pub const CURRENT: i64 = 1;

const V0: &str = "
CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempt (
    id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    sample INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    apply_status TEXT,
    tests_grade TEXT,
    f2p_passed INTEGER, f2p_total INTEGER, p2p_passed INTEGER, p2p_total INTEGER,
    detectors_passed INTEGER, detectors_total INTEGER,
    resolved INTEGER NOT NULL,
    error TEXT,
    total_ms INTEGER NOT NULL,
    finished_at TEXT NOT NULL,
    record TEXT NOT NULL,
    UNIQUE (task, model, sample)
);
CREATE TABLE IF NOT EXISTS test_result (
    attempt_id TEXT NOT NULL REFERENCES attempt(id) ON DELETE CASCADE,
    test_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
    PRIMARY KEY (attempt_id, test_id)
);
CREATE TABLE IF NOT EXISTS detector_result (
    attempt_id TEXT NOT NULL REFERENCES attempt(id) ON DELETE CASCADE,
    bug TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL, duration_ms INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, bug)
);
CREATE TABLE IF NOT EXISTS usage (
    attempt_id TEXT PRIMARY KEY REFERENCES attempt(id) ON DELETE CASCADE,
    input_tokens INTEGER, output_tokens INTEGER, cost_usd REAL
);
";

const V0_TO_V1: &str = "
ALTER TABLE attempt ADD COLUMN error_stage TEXT;
CREATE TABLE rule_result (
    attempt_id TEXT NOT NULL REFERENCES attempt(id) ON DELETE CASCADE,
    rule TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
    evidence TEXT NOT NULL, more_evidence INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, rule)
);
";

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Brings the store at `conn` (file `path`) to [`CURRENT`].
pub fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sqlite(path))?;
    if version > CURRENT {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            message: format!(
                "written by a newer refbench (store schema {version}; this refbench reads up to {CURRENT}); upgrade refbench to open it"
            ),
        });
    }
    if version == CURRENT {
        return Ok(());
    }
    // One transaction: a store is either migrated whole or left as it was.
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(sqlite(path))?;
    let migrated = (|| -> Result<(), StoreError> {
        conn.execute_batch(V0).map_err(sqlite(path))?;
        if version < 1 {
            conn.execute_batch(V0_TO_V1).map_err(sqlite(path))?;
            backfill_rule_results(conn, path)?;
        }
        conn.execute_batch(&format!("PRAGMA user_version = {CURRENT}"))
            .map_err(sqlite(path))
    })();
    match migrated {
        Ok(()) => conn.execute_batch("COMMIT").map_err(sqlite(path)),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// Fills `rule_result` from the records stored before it existed.
fn backfill_rule_results(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    #[derive(serde::Deserialize)]
    struct Stored {
        verdict: Option<StoredVerdict>,
    }
    #[derive(serde::Deserialize)]
    struct StoredVerdict {
        #[serde(default)]
        rules: Vec<RuleResult>,
    }
    let rows: Vec<(String, String)> = {
        let mut stmt = conn
            .prepare("SELECT id, record FROM attempt")
            .map_err(sqlite(path))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(sqlite(path))?;
        rows.collect::<Result<_, _>>().map_err(sqlite(path))?
    };
    for (id, json) in rows {
        let stored: Stored = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
            path: path.to_path_buf(),
            message: format!("attempt {id}: {e}"),
        })?;
        if let Some(v) = stored.verdict {
            insert_rule_results(conn, &id, &v.rules).map_err(sqlite(path))?;
        }
    }
    Ok(())
}

/// Inserts one row per rule result of attempt `id`.
pub fn insert_rule_results(
    conn: &Connection,
    id: &str,
    rules: &[RuleResult],
) -> rusqlite::Result<()> {
    for r in rules {
        conn.execute(
            "INSERT OR REPLACE INTO rule_result (attempt_id, rule, kind, status, evidence, more_evidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                r.id.to_string(),
                r.kind,
                super::enum_str(&r.status),
                serde_json::to_string(&r.evidence).expect("evidence serializes"),
                r.more_evidence as i64,
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_from_a_newer_refbench_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        let err = migrate(&conn, &path).unwrap_err().to_string();
        assert!(
            err.contains("newer refbench") && err.contains("99"),
            "{err}"
        );
    }

    #[test]
    fn a_version_0_store_gains_rule_results() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(V0).unwrap();
        let record = r#"{"verdict":{"rules":[{"id":"r1","kind":"file_absent","description":"d","status":"broken","evidence":[],"more_evidence":0}]}}"#;
        conn.execute(
            "INSERT INTO attempt (id, task, model, sample, outcome, resolved, total_ms, finished_at, record) VALUES ('a', 'f/t', 'm', 0, 'unresolved', 0, 1, 'x', ?1)",
            params![record],
        )
        .unwrap();
        migrate(&conn, &path).unwrap();
        let (rule, status): (String, String) = conn
            .query_row("SELECT rule, status FROM rule_result", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((rule.as_str(), status.as_str()), ("r1", "broken"));
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, CURRENT);
        // Migrating again is a no-op.
        migrate(&conn, &path).unwrap();
    }
}
