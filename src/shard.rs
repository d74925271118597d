//! Sharding: splitting one run's attempts over machines, and merging the pieces back.
//!
//! In: the planned attempts (task x model x sample) and a [`Shard`] `I/N`. Out: the attempts
//! of shard I. The partition is deterministic and balanced: attempts are ordered by a stable
//! hash of their key (SHA-256 of task, model and sample, never a process-seeded hash), and the
//! attempt at position p goes to shard p mod N, so shard sizes differ by at most one and every
//! shard gets a mix of tasks and models. Engines that distribute work (a GitHub Actions matrix,
//! a Kubernetes Indexed Job, a Slurm array) run one shard each; [`merge_runs`] combines their run
//! directories into one, refusing pieces of different runs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{AttemptKey, RunMeta, RunStore, StoreError};

/// One shard of N (1-based index, as written on the command line: `--shard 2/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 1..=count.
    pub index: u32,
    /// Number of shards.
    pub count: u32,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("expected I/N with 1 <= I <= N (e.g. 2/4), found \"{s}\"");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = i.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// Variables read by [`Shard::from_env`], in order: a 0-based index and, where the engine does
/// not provide it, the count.
pub const INDEX_VARS: [&str; 3] = [
    "REFBENCH_SHARD_INDEX",
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_TASK_ID",
];
/// Variables holding the shard count.
pub const COUNT_VARS: [&str; 2] = ["REFBENCH_SHARD_COUNT", "SLURM_ARRAY_TASK_COUNT"];

impl Shard {
    /// The shard from the engine's environment: a 0-based index from `REFBENCH_SHARD_INDEX`,
    /// `JOB_COMPLETION_INDEX` (Kubernetes Indexed Jobs) or `SLURM_ARRAY_TASK_ID` (Slurm arrays
    /// numbered from 0), and the count from `REFBENCH_SHARD_COUNT` or `SLURM_ARRAY_TASK_COUNT`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let (var, index) = INDEX_VARS
            .iter()
            .find_map(|v| get(v).map(|x| (*v, x)))
            .ok_or_else(|| format!("--shard-from-env: none of {} is set", INDEX_VARS.join(", ")))?;
        let (cvar, count) = COUNT_VARS
            .iter()
            .find_map(|v| get(v).map(|x| (*v, x)))
            .ok_or_else(|| {
                format!(
                    "--shard-from-env: set the shard count in {}",
                    COUNT_VARS.join(" or ")
                )
            })?;
        let index: u32 = index
            .trim()
            .parse()
            .map_err(|_| format!("{var}: expected a whole number, found \"{index}\""))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("{cvar}: expected a whole number, found \"{count}\""))?;
        if count == 0 || index >= count {
            return Err(format!(
                "{var}={index} is not a 0-based index below {cvar}={count}"
            ));
        }
        Ok(Shard {
            index: index + 1,
            count,
        })
    }

    /// The keys of `plan` that belong to this shard, in plan order.
    pub fn select<'a>(&self, plan: &'a [AttemptKey]) -> Vec<&'a AttemptKey> {
        let mut ordered: Vec<(String, &AttemptKey)> =
            plan.iter().map(|k| (stable_hash(k), k)).collect();
        ordered.sort();
        let mine: std::collections::BTreeSet<&AttemptKey> = ordered
            .iter()
            .enumerate()
            .filter(|(p, _)| (*p as u32) % self.count == self.index - 1)
            .map(|(_, (_, k))| *k)
            .collect();
        plan.iter().filter(|k| mine.contains(k)).collect()
    }
}

fn stable_hash(key: &AttemptKey) -> String {
    let mut h = Sha256::new();
    h.update(key.task.0.as_bytes());
    h.update(b"\0");
    h.update(key.model.as_bytes());
    h.update(b"\0");
    h.update(key.sample.to_le_bytes());
    crate::materialize::hex(&h.finalize())
}

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
        merged.record(record, &artifacts)?;
    }
    let mut missing = Vec::new();
    for task in &meta.tasks {
        for model in &meta.models {
            for sample in 0..meta.samples {
                let key = AttemptKey {
                    task: task.clone(),
                    model: model.clone(),
                    sample,
                };
                if !seen.contains_key(&key) {
                    missing.push(key);
                }
            }
        }
    }
    Ok(Merged {
        store: merged,
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskId;

    fn plan(tasks: usize, models: usize, samples: u32) -> Vec<AttemptKey> {
        let mut out = Vec::new();
        for t in 0..tasks {
            for m in 0..models {
                for s in 0..samples {
                    out.push(AttemptKey {
                        task: TaskId(format!("f/t{t}")),
                        model: format!("m{m}"),
                        sample: s,
                    });
                }
            }
        }
        out
    }

    #[test]
    fn shards_partition_the_plan_and_are_balanced() {
        let plan = plan(7, 3, 2);
        for n in 1..=9u32 {
            let mut all: Vec<&AttemptKey> = Vec::new();
            let mut sizes = Vec::new();
            for i in 1..=n {
                let part = Shard { index: i, count: n }.select(&plan);
                sizes.push(part.len());
                all.extend(part);
            }
            all.sort();
            all.dedup();
            assert_eq!(all.len(), plan.len(), "n={n}");
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "n={n}: {sizes:?}");
        }
        // Deterministic: the same call gives the same shard.
        let a = Shard { index: 2, count: 4 }.select(&plan);
        let b = Shard { index: 2, count: 4 }.select(&plan);
        assert_eq!(a, b);
    }

    #[test]
    fn parsing_and_environment() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        for bad in ["0/4", "5/4", "x", "1/0", "2-4"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(
            Shard::from_env(env(&[
                ("JOB_COMPLETION_INDEX", "0"),
                ("REFBENCH_SHARD_COUNT", "3")
            ]))
            .unwrap(),
            Shard { index: 1, count: 3 }
        );
        assert_eq!(
            Shard::from_env(env(&[
                ("SLURM_ARRAY_TASK_ID", "2"),
                ("SLURM_ARRAY_TASK_COUNT", "3")
            ]))
            .unwrap(),
            Shard { index: 3, count: 3 }
        );
        assert!(Shard::from_env(env(&[
            ("JOB_COMPLETION_INDEX", "3"),
            ("REFBENCH_SHARD_COUNT", "3")
        ]))
        .is_err());
        assert!(Shard::from_env(env(&[("REFBENCH_SHARD_COUNT", "3")]))
            .unwrap_err()
            .contains("none of"));
    }
}
