//! Plan: which attempts a run makes, in which order, and which of them a shard takes.
//!
//! In: the run's tasks, models and samples, what the store already holds, and optionally a
//! [`Shard`] `I/N`. Out: the attempts to run ([`AttemptKey`]s), longest first. Sharding splits
//! one run's attempts over machines; `refbench merge` (the store's merge) combines the pieces back.
//! The partition is deterministic and balanced: attempts are ordered by a stable
//! hash of their key (SHA-256 of task, model and sample, never a process-seeded hash), and the
//! attempt at position p goes to shard p mod N, so shard sizes differ by at most one and every
//! shard gets a mix of tasks and models. Engines that distribute work (a GitHub Actions matrix,
//! a Kubernetes Indexed Job, a Slurm array) run one shard each.
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::attempt::AttemptKey;
use crate::catalog::{Language, TaskId};

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

/// A shard that cannot be read, from `--shard` or the engine's environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// `--shard` is not `I/N` with 1 <= I <= N.
    #[error("expected I/N with 1 <= I <= N (e.g. 2/4), found \"{0}\"")]
    NotIOverN(String),
    /// No index variable is set.
    #[error("--shard-from-env: none of {} is set", INDEX_VARS.join(", "))]
    NoIndex,
    /// No count variable is set.
    #[error("--shard-from-env: set the shard count in {}", COUNT_VARS.join(" or "))]
    NoCount,
    /// A variable is not a whole number.
    #[error("{var}: expected a whole number, found \"{value}\"")]
    NotANumber {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
    },
    /// The index is not below the count.
    #[error("{var}={index} is not a 0-based index below {count_var}={count}")]
    OutOfRange {
        /// The index variable.
        var: &'static str,
        /// Its value.
        index: u32,
        /// The count variable.
        count_var: &'static str,
        /// Its value.
        count: u32,
    },
}

impl std::str::FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let bad = || ShardError::NotIOverN(s.to_string());
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
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Shard, ShardError> {
        let (var, index) = INDEX_VARS
            .iter()
            .find_map(|v| get(v).map(|x| (*v, x)))
            .ok_or(ShardError::NoIndex)?;
        let (count_var, count) = COUNT_VARS
            .iter()
            .find_map(|v| get(v).map(|x| (*v, x)))
            .ok_or(ShardError::NoCount)?;
        let number = |var: &'static str, value: String| {
            value
                .trim()
                .parse::<u32>()
                .map_err(|_| ShardError::NotANumber { var, value })
        };
        let index = number(var, index)?;
        let count = number(count_var, count)?;
        if count == 0 || index >= count {
            return Err(ShardError::OutOfRange {
                var,
                index,
                count_var,
                count,
            });
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
    crate::fsutil::hex(&h.finalize())
}

/// A task a model is not asked, and why (a folder of hand-written replies has none for it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The task.
    pub task: TaskId,
    /// The model.
    pub model: String,
    /// Why, for people.
    pub why: String,
}

/// The attempts of a run: every task x model x sample, in that order, but the pairs in
/// `skipped`; or shard `shard`'s part of them.
pub fn attempts(
    tasks: &[TaskId],
    models: &[String],
    samples: u32,
    shard: Option<Shard>,
    skipped: &[Skipped],
) -> Vec<AttemptKey> {
    let mut plan = Vec::new();
    for task in tasks {
        for model in models {
            if skipped.iter().any(|s| &s.task == task && &s.model == model) {
                continue;
            }
            for sample in 0..samples {
                plan.push(AttemptKey {
                    task: task.clone(),
                    model: model.clone(),
                    sample,
                });
            }
        }
    }
    match shard {
        Some(shard) => shard.select(&plan).into_iter().cloned().collect(),
        None => plan,
    }
}

/// `todo` with the longest attempts first: Rust attempts compile before they test, so they
/// start first and the shorter Python ones fill in at the end, instead of one worker finishing
/// a build alone while the other has nothing left. The plan's order is kept otherwise; results
/// do not depend on it.
pub fn longest_first(
    mut todo: Vec<&AttemptKey>,
    language_of: impl Fn(&TaskId) -> Language,
) -> Vec<&AttemptKey> {
    todo.sort_by_key(|k| language_of(&k.task) != Language::Rust);
    todo
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::TaskId;

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
        assert_eq!(
            Shard::from_env(env(&[
                ("JOB_COMPLETION_INDEX", "3"),
                ("REFBENCH_SHARD_COUNT", "3")
            ]))
            .unwrap_err()
            .to_string(),
            "JOB_COMPLETION_INDEX=3 is not a 0-based index below REFBENCH_SHARD_COUNT=3"
        );
        assert_eq!(
            Shard::from_env(env(&[("REFBENCH_SHARD_COUNT", "3")])),
            Err(ShardError::NoIndex)
        );
        assert_eq!(
            Shard::from_env(env(&[
                ("REFBENCH_SHARD_INDEX", "x"),
                ("REFBENCH_SHARD_COUNT", "3")
            ]))
            .unwrap_err()
            .to_string(),
            "REFBENCH_SHARD_INDEX: expected a whole number, found \"x\""
        );
    }
}
