//! Per-model and per-pair statistics of a run, computed from its attempt records.
//!
//! In: the run's metadata and records. Out: a [`ModelStats`] per model (resolve rate with a
//! Wilson interval over tasks, mean pass@1 with a bootstrap interval and unbiased pass@k when
//! there are several samples, the rate of each verdict dimension, tokens and cost, the mode and
//! an agent's turns) and a
//! [`PairTest`] for every pair of models on the tasks both were graded on (exact McNemar with
//! one sample, a paired bootstrap over per-task resolve rates with several). Harness errors are
//! left out everywhere: they say nothing about a model.

use std::collections::BTreeMap;

use super::stats;
use crate::catalog::TaskId;
use crate::model::tools::Mode;
use crate::score::TestGrade;
use crate::store::{AttemptOutcome, AttemptRecord, RunMeta};

/// Resamples for bootstrap intervals and tests; fixed with the seed so reports are reproducible.
pub(crate) const RESAMPLES: usize = 10_000;
const SEED: u64 = 0x7265_6662_656e_6368;

/// A count out of a denominator, shown as "6/8 = 75.0%" so no rate hides what it is out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Share {
    /// Attempts that count.
    pub n: usize,
    /// Out of this many.
    pub of: usize,
}

impl Share {
    /// `n / of`, `None` when there is nothing to divide by.
    pub fn rate(self) -> Option<f64> {
        (self.of > 0).then(|| self.n as f64 / self.of as f64)
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.rate() {
            Some(r) => write!(f, "{}/{} = {:.1}%", self.n, self.of, r * 100.0),
            None => write!(f, "0/0 = n/a"),
        }
    }
}

/// Statistics of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelStats {
    /// Model name.
    pub model: String,
    /// Tasks with at least one graded attempt.
    pub tasks: usize,
    /// Graded attempts (harness errors excluded).
    pub graded: usize,
    /// Resolved attempts.
    pub resolved: usize,
    /// Resolved over graded.
    pub rate: Option<f64>,
    /// Wilson 95% interval over tasks (one sample per task only).
    pub wilson: Option<(f64, f64)>,
    /// Mean over tasks of the per-task resolve fraction, with a 95% bootstrap interval.
    pub pass_at_1: Option<(f64, f64, f64)>,
    /// Unbiased pass@k averaged over tasks, k = samples (only with several samples).
    pub pass_at_k: Option<(u32, f64)>,
    /// Graded attempts whose tests were FULL, out of graded attempts.
    pub tests_full: Share,
    /// Share of scored attempts in which every detector passed (the race was fixed).
    pub races_fixed: Share,
    /// Share of scored attempts in which every architectural rule held.
    pub rules_held: Share,
    /// Share of scored attempts whose edit raised no hygiene flag.
    pub hygiene_clean: Share,
    /// Share of graded attempts whose edit applied.
    pub applied: Share,
    /// Share of graded attempts whose edit applied only with the fuzzy fallback.
    pub fuzzy: Share,
    /// Input and output tokens summed over attempts that reported them; `None` if none did.
    pub tokens: Option<(u64, u64)>,
    /// Cost in USD over attempts that reported it; `None` if none did.
    pub cost_usd: Option<f64>,
    /// Attempts whose usage is unknown.
    pub usage_unknown: usize,
    /// How its attempts were made (from its name: `NAME+agent`, `oracle` and `nop` are
    /// agents). A name never holds both modes, so a row never pools them.
    pub mode: Mode,
    /// Agent turns summed over graded attempts (`None` for a single-shot model).
    pub turns: Option<u64>,
}

impl ModelStats {
    /// Cost per resolved attempt, when both are known.
    pub fn cost_per_resolved(&self) -> Option<f64> {
        match (self.cost_usd, self.resolved) {
            (Some(c), r) if r > 0 => Some(c / r as f64),
            _ => None,
        }
    }

    /// Agent turns per resolved attempt, when the model is an agent and resolved any.
    pub fn turns_per_resolved(&self) -> Option<f64> {
        match (self.turns, self.resolved) {
            (Some(t), r) if r > 0 => Some(t as f64 / r as f64),
            _ => None,
        }
    }

    /// Input plus output tokens per resolved attempt, when known and any resolved.
    pub fn tokens_per_resolved(&self) -> Option<f64> {
        match (self.tokens, self.resolved) {
            (Some((i, o)), r) if r > 0 => Some((i + o) as f64 / r as f64),
            _ => None,
        }
    }
}

/// A paired comparison of two models on their shared tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct PairTest {
    /// First model.
    pub a: String,
    /// Second model.
    pub b: String,
    /// Shared tasks.
    pub tasks: usize,
    /// Mean per-task resolve rate of a minus b.
    pub diff: f64,
    /// Which test: "McNemar exact" or "paired bootstrap".
    pub method: &'static str,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Tasks a resolved and b did not, and the reverse (McNemar's discordant pairs).
    pub discordant: Option<(u64, u64)>,
}

fn share(n: usize, of: usize) -> Share {
    Share { n, of }
}

/// (resolved, graded) attempts of one model on one task.
type Counts = (u64, u64);

/// Per task: (resolved, graded) attempts of `model`.
fn per_task(records: &[AttemptRecord], model: &str) -> BTreeMap<TaskId, (u64, u64)> {
    let mut out: BTreeMap<TaskId, (u64, u64)> = BTreeMap::new();
    for r in records
        .iter()
        .filter(|r| r.key.model == model && !r.outcome().is_error())
    {
        let e = out.entry(r.key.task.clone()).or_default();
        e.1 += 1;
        if r.outcome() == AttemptOutcome::Resolved {
            e.0 += 1;
        }
    }
    out
}

/// Statistics for every model of the run, in the run's model order.
pub fn model_stats(meta: &RunMeta, records: &[AttemptRecord]) -> Vec<ModelStats> {
    let mut models: Vec<String> = meta.models.clone();
    for r in records {
        if !models.contains(&r.key.model) {
            models.push(r.key.model.clone());
        }
    }
    models
        .into_iter()
        .filter(|m| records.iter().any(|r| &r.key.model == m))
        .map(|model| {
            let mine: Vec<&AttemptRecord> = records
                .iter()
                .filter(|r| r.key.model == model && !r.outcome().is_error())
                .collect();
            let graded = mine.len();
            let resolved = mine
                .iter()
                .filter(|r| r.outcome() == AttemptOutcome::Resolved)
                .count();
            let tasks = per_task(records, &model);
            let per_task_counts: Vec<(u64, u64)> = tasks.values().copied().collect();
            let one_sample = meta.samples == 1;
            let wilson = if one_sample {
                stats::wilson_interval(resolved as u64, graded as u64, 0.95)
            } else {
                None
            };
            let pass_at_1 = (!per_task_counts.is_empty())
                .then(|| stats::mean_pass_at_1_bootstrap(&per_task_counts, RESAMPLES, SEED, 0.95));
            let pass_at_k = if meta.samples > 1 && !per_task_counts.is_empty() {
                let k = meta.samples as u64;
                let values: Vec<f64> = per_task_counts
                    .iter()
                    .filter_map(|&(c, n)| stats::pass_at_k(n, c, k.min(n)))
                    .collect();
                (!values.is_empty()).then(|| {
                    (
                        meta.samples,
                        values.iter().sum::<f64>() / values.len() as f64,
                    )
                })
            } else {
                None
            };
            let scored: Vec<&&AttemptRecord> =
                mine.iter().filter(|r| r.verdict().is_some()).collect();
            let full = scored
                .iter()
                .filter(|r| {
                    r.verdict()
                        .is_some_and(|v| v.tests.grade == TestGrade::Full)
                })
                .count();
            let scored_where = |f: &dyn Fn(&crate::score::Verdict) -> bool| {
                scored.iter().filter(|r| r.verdict().is_some_and(f)).count()
            };
            let fixed = scored_where(&|v| v.races_fixed());
            let rules_held = scored_where(&|v| v.rules_hold());
            let hygiene_clean = scored_where(&|v| v.hygiene.is_empty());
            let fuzzy = mine
                .iter()
                .filter(|r| {
                    r.apply()
                        .is_some_and(|a| a.status == crate::patch::ApplyStatus::Fuzzy)
                })
                .count();
            let applied = mine
                .iter()
                .filter(|r| r.outcome() != AttemptOutcome::ApplyFailed)
                .count();
            let mut tokens: Option<(u64, u64)> = None;
            let mut cost: Option<f64> = None;
            let mut unknown = 0;
            for r in &mine {
                match r.usage.as_ref() {
                    Some(u) => {
                        if let (Some(i), Some(o)) = (u.input_tokens, u.output_tokens) {
                            let t = tokens.get_or_insert((0, 0));
                            t.0 += i;
                            t.1 += o;
                        } else {
                            unknown += 1;
                        }
                        if let Some(c) = u.cost_usd {
                            *cost.get_or_insert(0.0) += c;
                        }
                    }
                    None => unknown += 1,
                }
            }
            let mode = crate::model::mode_of_name(&model);
            let turns = (mode == Mode::Agent).then(|| {
                mine.iter()
                    .filter_map(|r| r.ask.as_ref()?.agent.as_ref())
                    .map(|a| a.turns as u64)
                    .sum()
            });
            ModelStats {
                model,
                tasks: tasks.len(),
                graded,
                resolved,
                rate: share(resolved, graded).rate(),
                wilson,
                pass_at_1,
                pass_at_k,
                tests_full: share(full, graded),
                races_fixed: share(fixed, scored.len()),
                rules_held: share(rules_held, scored.len()),
                hygiene_clean: share(hygiene_clean, scored.len()),
                applied: share(applied, graded),
                fuzzy: share(fuzzy, graded),
                tokens,
                cost_usd: cost,
                usage_unknown: unknown,
                mode,
                turns,
            }
        })
        .collect()
}

/// A paired test for every pair of models, on the tasks both have graded attempts for.
pub fn pair_tests(meta: &RunMeta, records: &[AttemptRecord]) -> Vec<PairTest> {
    let stats = model_stats(meta, records);
    let models: Vec<&str> = stats.iter().map(|s| s.model.as_str()).collect();
    let mut out = Vec::new();
    for (i, a) in models.iter().enumerate() {
        for b in &models[i + 1..] {
            let ta = per_task(records, a);
            let tb = per_task(records, b);
            let shared: Vec<(&TaskId, Counts, Counts)> = ta
                .iter()
                .filter_map(|(t, &x)| tb.get(t).map(|&y| (t, x, y)))
                .collect();
            if shared.is_empty() {
                continue;
            }
            let ra: Vec<f64> = shared
                .iter()
                .map(|(_, x, _)| x.0 as f64 / x.1 as f64)
                .collect();
            let rb: Vec<f64> = shared
                .iter()
                .map(|(_, _, y)| y.0 as f64 / y.1 as f64)
                .collect();
            let diff = ra.iter().zip(&rb).map(|(x, y)| x - y).sum::<f64>() / shared.len() as f64;
            let single = shared.iter().all(|(_, x, y)| x.1 == 1 && y.1 == 1);
            let test = if single {
                let b_count = shared
                    .iter()
                    .filter(|(_, x, y)| x.0 == 1 && y.0 == 0)
                    .count() as u64;
                let c_count = shared
                    .iter()
                    .filter(|(_, x, y)| x.0 == 0 && y.0 == 1)
                    .count() as u64;
                PairTest {
                    a: a.to_string(),
                    b: b.to_string(),
                    tasks: shared.len(),
                    diff,
                    method: "McNemar exact",
                    p_value: stats::mcnemar_exact(b_count, c_count),
                    discordant: Some((b_count, c_count)),
                }
            } else {
                let (d, p, _) = stats::paired_bootstrap(&ra, &rb, RESAMPLES, SEED);
                PairTest {
                    a: a.to_string(),
                    b: b.to_string(),
                    tasks: shared.len(),
                    diff: d,
                    method: "paired bootstrap",
                    p_value: p,
                    discordant: None,
                }
            };
            out.push(test);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::SandboxMode;
    use crate::store::AttemptKey;

    fn rec(task: &str, model: &str, sample: u32, outcome: AttemptOutcome) -> AttemptRecord {
        AttemptRecord::new(
            AttemptKey {
                task: TaskId(task.into()),
                model: model.into(),
                sample,
            },
            crate::attempt::test_end(outcome),
        )
    }

    fn meta(samples: u32) -> RunMeta {
        RunMeta {
            run_id: "r".into(),
            created_at: String::new(),
            refbench_version: "0".into(),
            refbench_commit: None,
            tasks: vec![],
            models: vec!["a".into(), "b".into()],
            samples,
            task_fingerprints: Default::default(),
            sandbox: SandboxMode::ProcessGroup,
            shard: None,
            merged_from: vec![],
            skipped: vec![],
            impossible: Default::default(),
        }
    }

    #[test]
    fn a_share_shows_its_denominator() {
        assert_eq!(Share { n: 6, of: 8 }.to_string(), "6/8 = 75.0%");
        assert_eq!(Share { n: 0, of: 0 }.to_string(), "0/0 = n/a");
        assert_eq!(Share { n: 0, of: 0 }.rate(), None);
    }

    #[test]
    fn mcnemar_on_discordant_tasks_and_errors_left_out() {
        use AttemptOutcome::*;
        let records = vec![
            rec("t1", "a", 0, Resolved),
            rec("t1", "b", 0, Unresolved),
            rec("t2", "a", 0, Resolved),
            rec("t2", "b", 0, Unresolved),
            rec("t3", "a", 0, Resolved),
            rec("t3", "b", 0, Resolved),
            rec("t4", "a", 0, Error),
            rec("t4", "b", 0, Resolved),
        ];
        let stats = model_stats(&meta(1), &records);
        assert_eq!(stats[0].graded, 3);
        assert_eq!(stats[0].rate, Some(1.0));
        assert!(stats[0].wilson.is_some());
        let pairs = pair_tests(&meta(1), &records);
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].tasks, 3);
        assert_eq!(pairs[0].discordant, Some((2, 0)));
        assert!((pairs[0].p_value - 0.5).abs() < 1e-12);
        assert_eq!(stats[1].usage_unknown, 4);
        assert_eq!(stats[1].cost_usd, None);
    }

    #[test]
    fn several_samples_give_pass_at_k_and_a_bootstrap_test() {
        use AttemptOutcome::*;
        let mut records = Vec::new();
        for t in 0..6 {
            for s in 0..3 {
                records.push(rec(
                    &format!("t{t}"),
                    "a",
                    s,
                    if s == 0 { Resolved } else { Unresolved },
                ));
                records.push(rec(&format!("t{t}"), "b", s, Unresolved));
            }
        }
        let stats = model_stats(&meta(3), &records);
        assert_eq!(stats[0].wilson, None);
        let (k, pk) = stats[0].pass_at_k.unwrap();
        assert_eq!(k, 3);
        assert!(
            (pk - 1.0).abs() < 1e-12,
            "one of three samples resolves every task: pass@3 = 1"
        );
        let (mean, lo, hi) = stats[0].pass_at_1.unwrap();
        assert!((mean - 1.0 / 3.0).abs() < 1e-12 && lo <= mean && mean <= hi);
        let pairs = pair_tests(&meta(3), &records);
        assert_eq!(pairs[0].method, "paired bootstrap");
        assert!(pairs[0].diff > 0.3);
    }
}
