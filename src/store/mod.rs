//! Store: the durable record of a run.
//!
//! In: the run's [`RunMeta`] when it starts, then one [`AttemptRecord`] (and its artifacts) per
//! finished attempt. Out: `runs/RUN_ID/` holding
//! - `results.sqlite`: tables `run` (metadata), `attempt`, `test_result`, `detector_result`,
//!   `usage`; the source of truth;
//! - `attempts.jsonl`: one line per finished attempt, derived from SQLite;
//! - `artifacts/ATTEMPT_ID/`: reply, patch, test and detector logs;
//! - `run.json`: the metadata, for people and scripts.
//!
//! Durability: artifacts are written to a `.partial` folder and renamed into place, then the
//! attempt is committed to SQLite in one transaction (WAL, `synchronous=FULL`), then its JSONL
//! line is appended and fsynced. A crash at any point leaves either no record of the attempt
//! (it is redone on resume) or a committed one (it is skipped); on open, leftovers are swept and
//! `attempts.jsonl` is rebuilt from SQLite, so no attempt is ever recorded twice.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

mod jsonl;
pub mod merge;
mod schema;
mod state;

pub use jsonl::JsonlLog;
pub use merge::{merge_runs, MergeError, Merged};
pub use state::{RunLock, RunState};

use crate::attempt::Artifact;
pub use crate::attempt::{AttemptKey, AttemptOutcome, AttemptRecord, Timing};
use crate::catalog::TaskId;
use crate::sandbox::SandboxMode;

/// Store failures (harness errors).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("run store {path}: {source}")]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// Filesystem trouble.
    #[error("run store: {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No such run.
    #[error("no run `{run}` under {dir}; `refbench list runs` shows the runs there")]
    NotFound {
        /// The id asked for.
        run: String,
        /// The runs directory.
        dir: PathBuf,
    },
    /// Another `refbench run` holds the run's lock.
    #[error("run `{run}` is being run by another refbench process right now; wait for it to finish (or stop it) first")]
    Running {
        /// The run id.
        run: String,
    },
    /// A stored record could not be decoded.
    #[error("run store {path}: corrupt record: {message}")]
    Corrupt {
        /// The database.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// What a run evaluates and with which software; stored when it starts, checked on resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// The run id.
    pub run_id: String,
    /// RFC 3339 UTC start time.
    pub created_at: String,
    /// refbench's version.
    pub refbench_version: String,
    /// The refbench checkout's commit, when known.
    pub refbench_commit: Option<String>,
    /// Tasks, in order.
    pub tasks: Vec<TaskId>,
    /// Models, in order.
    pub models: Vec<String>,
    /// Samples per task and model.
    pub samples: u32,
    /// Fingerprint of each task's inputs (fixture, task files, bugs), so a resumed run is known
    /// to grade the same thing.
    pub task_fingerprints: BTreeMap<TaskId, String>,
    /// The containment used for tests and detectors.
    pub sandbox: SandboxMode,
    /// The shard this run evaluates, when it is one piece of a sharded run.
    #[serde(default)]
    pub shard: Option<crate::plan::Shard>,
    /// Run ids of the shards a merged run was made from.
    #[serde(default)]
    pub merged_from: Vec<String>,
    /// Tasks a model is not asked (a folder of hand-written replies has none for them); they
    /// are not in the plan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<crate::plan::Skipped>,
    /// Tasks of the run that are impossible variants (their hidden tests contradict the
    /// statement): reports count their attempts in a cheating rate, never in the resolve rate.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub impossible: BTreeSet<TaskId>,
}

impl RunMeta {
    /// The attempts this run plans: every task x model x sample but the skipped pairs, or its
    /// shard's part of them.
    pub fn planned(&self) -> Vec<AttemptKey> {
        crate::plan::attempts(
            &self.tasks,
            &self.models,
            self.samples,
            self.shard,
            &self.skipped,
        )
    }
}

/// An open run directory.
pub struct RunStore {
    dir: PathBuf,
    db_path: PathBuf,
    conn: Connection,
}

fn enum_str<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

impl RunStore {
    /// Creates `runs_dir/RUN_ID/` for a new run.
    pub fn create(runs_dir: &Path, meta: &RunMeta) -> Result<RunStore, StoreError> {
        let dir = runs_dir.join(&meta.run_id);
        std::fs::create_dir_all(dir.join("artifacts")).map_err(|source| StoreError::Io {
            action: "creating",
            path: dir.clone(),
            source,
        })?;
        let store = RunStore::open_dir(&dir)?;
        let meta_json = serde_json::to_string_pretty(meta).expect("run metadata serializes");
        store
            .conn
            .execute(
                "INSERT OR REPLACE INTO run (key, value) VALUES ('meta', ?1)",
                params![meta_json],
            )
            .map_err(|source| store.sqlite(source))?;
        write_atomic(&dir.join("run.json"), meta_json.as_bytes())?;
        Ok(store)
    }

    /// Opens an existing run by id.
    pub fn open(runs_dir: &Path, run_id: &str) -> Result<RunStore, StoreError> {
        let dir = runs_dir.join(run_id);
        if !dir.join("results.sqlite").is_file() {
            return Err(StoreError::NotFound {
                run: run_id.to_string(),
                dir: runs_dir.to_path_buf(),
            });
        }
        let store = RunStore::open_dir(&dir)?;
        // A run another process is writing keeps its half-written artifacts: they are its
        // attempt in flight, not a crash's leftovers.
        if !store.is_running() {
            store.sweep()?;
        }
        Ok(store)
    }

    fn open_dir(dir: &Path) -> Result<RunStore, StoreError> {
        let db_path = dir.join("results.sqlite");
        let conn = Connection::open(&db_path).map_err(|source| StoreError::Sqlite {
            path: db_path.clone(),
            source,
        })?;
        let store = RunStore {
            dir: dir.to_path_buf(),
            db_path,
            conn,
        };
        store
            .conn
            .execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;")
            .map_err(|source| store.sqlite(source))?;
        schema::migrate(&store.conn, &store.db_path)?;
        Ok(store)
    }

    fn sqlite(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.db_path.clone(),
            source,
        }
    }

    /// The run directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The run's metadata.
    pub fn meta(&self) -> Result<RunMeta, StoreError> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT value FROM run WHERE key = 'meta'", [], |r| r.get(0))
            .optional()
            .map_err(|source| self.sqlite(source))?;
        let json = json.ok_or_else(|| StoreError::Corrupt {
            path: self.db_path.clone(),
            message: "no run metadata".into(),
        })?;
        serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
            path: self.db_path.clone(),
            message: e.to_string(),
        })
    }

    /// Removes what a crash can leave behind: `.partial` artifact folders and artifact folders
    /// of attempts that were never committed. Rebuilds `attempts.jsonl` from SQLite.
    fn sweep(&self) -> Result<(), StoreError> {
        let committed: BTreeSet<String> = self.attempts()?.iter().map(|r| r.key.id()).collect();
        let artifacts = self.dir.join("artifacts");
        if let Ok(entries) = std::fs::read_dir(&artifacts) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".partial") || !committed.contains(&name) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        self.rewrite_jsonl()
    }

    fn rewrite_jsonl(&self) -> Result<(), StoreError> {
        let mut text = String::new();
        for record in self.attempts()? {
            text.push_str(&serde_json::to_string(&record).expect("records serialize"));
            text.push('\n');
        }
        write_atomic(&self.dir.join("attempts.jsonl"), text.as_bytes())
    }

    /// Keys of attempts already recorded. With `include_errors = false`, errored attempts are
    /// left out so that they are tried again.
    pub fn finished(&self, include_errors: bool) -> Result<BTreeSet<AttemptKey>, StoreError> {
        // From the columns, not the records: a resume of a large run need not decode every
        // verdict to know what is done.
        let mut stmt = self
            .conn
            .prepare("SELECT task, model, sample, outcome FROM attempt")
            .map_err(|source| self.sqlite(source))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(|source| self.sqlite(source))?;
        let errors = [
            enum_str(&AttemptOutcome::Error),
            enum_str(&AttemptOutcome::ModelError),
        ];
        let mut out = BTreeSet::new();
        for row in rows {
            let (task, model, sample, outcome) = row.map_err(|source| self.sqlite(source))?;
            if include_errors || !errors.contains(&outcome) {
                out.insert(AttemptKey {
                    task: TaskId(task),
                    model,
                    sample,
                });
            }
        }
        Ok(out)
    }

    /// Records a finished attempt durably. A record with the same key (an errored attempt being
    /// retried) is replaced, never duplicated.
    pub fn record(
        &mut self,
        record: &AttemptRecord,
        artifacts: &[(Artifact, String)],
    ) -> Result<(), StoreError> {
        let files: Vec<(String, &str)> = artifacts
            .iter()
            .map(|(a, content)| (a.file_name(), content.as_str()))
            .collect();
        self.record_files(record, &files)
    }

    /// [`RunStore::record`] with the artifacts by file name (a merge copies them as they are).
    fn record_files(
        &mut self,
        record: &AttemptRecord,
        artifacts: &[(String, &str)],
    ) -> Result<(), StoreError> {
        let id = record.key.id();
        let artifacts_dir = self.dir.join("artifacts");
        let partial = artifacts_dir.join(format!("{id}.partial"));
        let final_dir = artifacts_dir.join(&id);
        let io = |action: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io {
                action,
                path,
                source,
            }
        };
        let _ = std::fs::remove_dir_all(&partial);
        std::fs::create_dir_all(&partial).map_err(io("creating", &partial))?;
        for (name, content) in artifacts {
            let path = partial.join(name);
            let mut f = std::fs::File::create(&path).map_err(io("creating", &path))?;
            f.write_all(content.as_bytes())
                .map_err(io("writing", &path))?;
            f.sync_all().map_err(io("syncing", &path))?;
        }
        let _ = std::fs::remove_dir_all(&final_dir);
        std::fs::rename(&partial, &final_dir).map_err(io("moving artifacts to", &final_dir))?;
        sync_dir(&artifacts_dir);

        let json = serde_json::to_string(record).expect("records serialize");
        let tx = self
            .conn
            .transaction()
            .map_err(|source| StoreError::Sqlite {
                path: self.db_path.clone(),
                source,
            })?;
        let result = (|| -> rusqlite::Result<()> {
            tx.execute("DELETE FROM attempt WHERE id = ?1", params![id])?;
            let verdict = record.verdict();
            tx.execute(
                "INSERT INTO attempt (id, task, model, sample, outcome, apply_status, tests_grade, f2p_passed, f2p_total, p2p_passed, p2p_total, detectors_passed, detectors_total, resolved, error, total_ms, finished_at, record, error_stage)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
                params![
                    id,
                    record.key.task.0,
                    record.key.model,
                    record.key.sample,
                    enum_str(&record.outcome()),
                    record.apply().map(|a| enum_str(&a.status)),
                    verdict.map(|v| v.tests.grade.to_string()),
                    verdict.map(|v| v.tests.f2p.0 as i64),
                    verdict.map(|v| v.tests.f2p.1 as i64),
                    verdict.map(|v| v.tests.p2p.0 as i64),
                    verdict.map(|v| v.tests.p2p.1 as i64),
                    verdict.map(|v| v.detectors.iter().filter(|d| d.status == crate::score::DetectorStatus::Passed).count() as i64),
                    verdict.map(|v| v.detectors.len() as i64),
                    record.outcome() == AttemptOutcome::Resolved,
                    record.error(),
                    record.timing.total_ms as i64,
                    record.finished_at,
                    json,
                    record
                        .harness_error()
                        .and_then(|e| e.stage)
                        .map(|s| s.to_string()),
                ],
            )?;
            if let Some(v) = verdict {
                for t in &v.tests.tests {
                    tx.execute(
                        "INSERT OR REPLACE INTO test_result (attempt_id, test_id, kind, status) VALUES (?1, ?2, ?3, ?4)",
                        params![id, t.id.0, enum_str(&t.kind), enum_str(&t.status)],
                    )?;
                }
                for d in &v.detectors {
                    tx.execute(
                        "INSERT INTO detector_result (attempt_id, bug, status, detail, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![id, d.bug.0, enum_str(&d.status), d.detail, d.duration_ms as i64],
                    )?;
                }
                schema::insert_rule_results(&tx, &id, &v.rules)?;
            }
            if let Some(u) = &record.usage {
                tx.execute(
                    "INSERT INTO usage (attempt_id, input_tokens, output_tokens, cost_usd) VALUES (?1, ?2, ?3, ?4)",
                    params![id, u.input_tokens.map(|x| x as i64), u.output_tokens.map(|x| x as i64), u.cost_usd],
                )?;
            }
            Ok(())
        })();
        result.map_err(|source| StoreError::Sqlite {
            path: self.db_path.clone(),
            source,
        })?;
        tx.commit().map_err(|source| StoreError::Sqlite {
            path: self.db_path.clone(),
            source,
        })?;

        Ok(())
    }

    /// Every recorded attempt, ordered by task, model, sample.
    pub fn attempts(&self) -> Result<Vec<AttemptRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT record FROM attempt ORDER BY task, model, sample")
            .map_err(|source| self.sqlite(source))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|source| self.sqlite(source))?;
        let mut out = Vec::new();
        for row in rows {
            let json = row.map_err(|source| self.sqlite(source))?;
            let record: AttemptRecord =
                serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                    path: self.db_path.clone(),
                    message: e.to_string(),
                })?;
            out.push(record);
        }
        Ok(out)
    }

    /// Writes a run-level file (report, summary) atomically.
    pub fn write_file(&self, name: &str, content: &str) -> Result<PathBuf, StoreError> {
        let path = self.dir.join(name);
        write_atomic(&path, content.as_bytes())?;
        Ok(path)
    }
}

/// Run ids under `runs_dir`, oldest first (ids start with their UTC start time).
pub fn list_runs(runs_dir: &Path) -> Vec<String> {
    let mut runs: Vec<String> = std::fs::read_dir(runs_dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().join("results.sqlite").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    runs.sort();
    runs
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let tmp = path.with_extension("tmp");
    let io = |action: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| StoreError::Io {
            action,
            path: p,
            source,
        }
    };
    let mut f = std::fs::File::create(&tmp).map_err(io("creating", &tmp))?;
    f.write_all(bytes).map_err(io("writing", &tmp))?;
    f.sync_all().map_err(io("syncing", &tmp))?;
    std::fs::rename(&tmp, path).map_err(io("renaming into", path))?;
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> RunMeta {
        RunMeta {
            run_id: "r1".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            refbench_version: "0".into(),
            refbench_commit: None,
            tasks: vec![TaskId("f/t".into())],
            models: vec!["gold".into()],
            samples: 1,
            task_fingerprints: BTreeMap::new(),
            sandbox: SandboxMode::ProcessGroup,
            shard: None,
            merged_from: vec![],
            skipped: vec![],
            impossible: Default::default(),
        }
    }

    fn record(outcome: AttemptOutcome) -> AttemptRecord {
        let key = AttemptKey {
            task: TaskId("f/t".into()),
            model: "gold".into(),
            sample: 0,
        };
        AttemptRecord {
            finished_at: "2026-01-01T00:00:01Z".into(),
            ..AttemptRecord::new(key, crate::attempt::test_end(outcome))
        }
    }

    #[test]
    fn records_survive_reopen_and_retries_replace() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RunStore::create(dir.path(), &meta()).unwrap();
        store
            .record(
                &record(AttemptOutcome::Error),
                &[(Artifact::Reply, "x".into())],
            )
            .unwrap();
        assert!(store.finished(false).unwrap().is_empty());
        assert_eq!(store.finished(true).unwrap().len(), 1);
        store
            .record(&record(AttemptOutcome::Resolved), &[])
            .unwrap();
        drop(store);
        let store = RunStore::open(dir.path(), "r1").unwrap();
        let all = store.attempts().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].outcome(), AttemptOutcome::Resolved);
        let jsonl = std::fs::read_to_string(dir.path().join("r1/attempts.jsonl")).unwrap();
        assert_eq!(jsonl.lines().count(), 1);
        assert_eq!(store.meta().unwrap(), meta());
    }

    #[test]
    fn open_sweeps_uncommitted_artifacts() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::create(dir.path(), &meta()).unwrap();
        std::fs::create_dir_all(store.dir().join("artifacts/ghost.partial")).unwrap();
        std::fs::create_dir_all(store.dir().join("artifacts/ghost")).unwrap();
        drop(store);
        let store = RunStore::open(dir.path(), "r1").unwrap();
        assert_eq!(
            std::fs::read_dir(store.dir().join("artifacts"))
                .unwrap()
                .count(),
            0
        );
    }

    #[test]
    fn a_run_is_incomplete_until_every_planned_attempt_is_recorded_and_running_while_locked() {
        let dir = tempfile::tempdir().unwrap();
        let two_samples = RunMeta {
            samples: 2,
            ..meta()
        };
        let mut store = RunStore::create(dir.path(), &two_samples).unwrap();
        assert_eq!(
            store.state().unwrap(),
            RunState::Incomplete {
                recorded: 0,
                planned: 2
            }
        );
        let lock = store.lock_for_run().unwrap();
        store
            .record(&record(AttemptOutcome::Resolved), &[])
            .unwrap();
        // Another process (here: another handle) sees it running and cannot run it too;
        // opening it leaves the writer's half-written artifacts alone.
        std::fs::create_dir_all(store.dir().join("artifacts/f__t__gold__s1.partial")).unwrap();
        let other = RunStore::open(dir.path(), "r1").unwrap();
        assert!(store
            .dir()
            .join("artifacts/f__t__gold__s1.partial")
            .is_dir());
        assert_eq!(
            other.state().unwrap(),
            RunState::Running {
                recorded: 1,
                planned: 2
            }
        );
        let err = other.lock_for_run().unwrap_err().to_string();
        assert!(
            err.contains("run `r1` is being run by another refbench process"),
            "{err}"
        );
        drop(lock);
        assert_eq!(
            other.state().unwrap(),
            RunState::Incomplete {
                recorded: 1,
                planned: 2
            }
        );
        let second = AttemptRecord {
            key: AttemptKey {
                sample: 1,
                ..record(AttemptOutcome::Resolved).key
            },
            ..record(AttemptOutcome::Unresolved)
        };
        store.record(&second, &[]).unwrap();
        assert_eq!(store.state().unwrap(), RunState::Complete { recorded: 2 });
    }

    #[test]
    fn unknown_run_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = RunStore::open(dir.path(), "nope").err().unwrap();
        assert!(err.to_string().contains("no run `nope`"));
    }
}
