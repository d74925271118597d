//! Merge: combines the run directories of a sharded run's pieces into one run directory.
//!
//! In: shard run directories (pieces of one run: same tasks, models, samples, inputs). Out: a
//! new run directory holding every attempt once, and the planned attempts no piece holds.
//! Pieces of different runs, and an attempt recorded twice, are refused.

use std::path::{Path, PathBuf};

use super::{RunMeta, RunStore, StoreError};
use crate::attempt::AttemptKey;

/// Merge failures.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The pieces are not parts of one run.
    #[error("cannot merge {run}: {reason}")]
    Mismatch {
        /// The offending run directory.
        run: String,
        /// What differs.
        reason: String,
    },
    /// The same attempt is in two pieces.
    #[error("attempt {attempt} is recorded in both {first} and {second}; merge each shard once")]
    Duplicate {
        /// The attempt id.
        attempt: String,
        /// One run.
        first: String,
        /// The other.
        second: String,
    },
    /// Bad arguments.
    #[error("{0}")]
    Usage(String),
}

/// What [`merge_runs`] did.
pub struct Merged {
    /// The merged store.
    pub store: RunStore,
    /// Attempts of the plan that no piece holds.
    pub missing: Vec<AttemptKey>,
}

fn open_dir(dir: &Path) -> Result<RunStore, MergeError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(RunStore::open(parent, &name)?)
}

/// Merges shard run directories into a new run directory `out`.
pub fn merge_runs(pieces: &[PathBuf], out: &Path) -> Result<Merged, MergeError> {
    if pieces.is_empty() {
        return Err(MergeError::Usage(
            "give at least one run directory to merge".into(),
        ));
    }
    if out.exists() {
        return Err(MergeError::Usage(format!(
            "{} already exists; give a new directory with -o",
            out.display()
        )));
    }
    let stores: Vec<RunStore> = pieces
        .iter()
        .map(|p| open_dir(p))
        .collect::<Result<_, _>>()?;
    let metas: Vec<RunMeta> = stores.iter().map(|s| s.meta()).collect::<Result<_, _>>()?;
    let first = &metas[0];
    for (meta, dir) in metas.iter().zip(pieces).skip(1) {
        let run = dir.display().to_string();
        let mismatch = |what: &str| MergeError::Mismatch {
            run: run.clone(),
            reason: format!("its {what} differs from {}'s", pieces[0].display()),
        };
        if meta.refbench_version != first.refbench_version
            || meta.refbench_commit != first.refbench_commit
        {
            return Err(mismatch("refbench version"));
        }
        if meta.tasks != first.tasks || meta.task_fingerprints != first.task_fingerprints {
            return Err(mismatch("task set (or a task's files)"));
        }
        if meta.models != first.models
            || meta.samples != first.samples
            || meta.sandbox != first.sandbox
            || meta.skipped != first.skipped
        {
            return Err(mismatch("configuration (models, samples or sandbox)"));
        }
        if meta.shard.is_some() && meta.shard == first.shard {
            return Err(mismatch("shard is the same, so it"));
        }
    }
    let mut seen: std::collections::BTreeMap<AttemptKey, String> = Default::default();
    let mut records = Vec::new();
    for (store, dir) in stores.iter().zip(pieces) {
        for record in store.attempts()? {
            let name = dir.display().to_string();
            if let Some(other) = seen.get(&record.key) {
                return Err(MergeError::Duplicate {
                    attempt: record.key.id(),
                    first: other.clone(),
                    second: name,
                });
            }
            seen.insert(record.key.clone(), name);
            let artifacts = store.dir().join("artifacts").join(record.key.id());
            records.push((record, artifacts));
        }
    }
    let mut meta = first.clone();
    meta.run_id = out
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    meta.shard = None;
    meta.merged_from = metas.iter().map(|m| m.run_id.clone()).collect();
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut merged = RunStore::create(parent, &meta)?;
    // Plan order, so the merged attempts.jsonl reads like a single run's.
    records.sort_by(|a, b| a.0.key.cmp(&b.0.key));
    for (record, artifacts_dir) in &records {
        let mut artifacts = Vec::new();
        if let Ok(entries) = std::fs::read_dir(artifacts_dir) {
            let mut entries: Vec<_> = entries.flatten().collect();
            entries.sort_by_key(|e| e.file_name());
            for e in entries {
                let content =
                    std::fs::read_to_string(e.path()).map_err(|source| StoreError::Io {
                        action: "reading",
                        path: e.path(),
                        source,
                    })?;
                artifacts.push((e.file_name().to_string_lossy().into_owned(), content));
            }
        }
        let files: Vec<(String, &str)> = artifacts
            .iter()
            .map(|(name, content): &(String, String)| (name.clone(), content.as_str()))
            .collect();
        merged.record_files(record, &files)?;
    }
    let missing = meta
        .planned()
        .into_iter()
        .filter(|key| !seen.contains_key(key))
        .collect();
    Ok(Merged {
        store: merged,
        missing,
    })
}
