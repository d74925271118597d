//! Two runs side by side.
//!
//! In: the metadata and records of run A and run B. Out: the text `refbench compare` prints:
//! every attempt (task, model, sample) whose outcome differs or that only one run has, then
//! each model's resolve rate in both runs.

use std::collections::{BTreeMap, BTreeSet};

use super::{pct, Table};
use crate::score::DetectorStatus;
use crate::store::{AttemptOutcome, AttemptRecord, RunMeta};

/// What changed between two runs, per task, model and sample: every attempt whose outcome
/// differs (or that only one run has), then each model's resolve rate in both.
pub fn render_compare(
    a: &RunMeta,
    ra: &[AttemptRecord],
    b: &RunMeta,
    rb: &[AttemptRecord],
) -> String {
    let key = |r: &AttemptRecord| (r.key.task.0.clone(), r.key.model.clone(), r.key.sample);
    let in_a: BTreeMap<_, &AttemptRecord> = ra.iter().map(|r| (key(r), r)).collect();
    let in_b: BTreeMap<_, &AttemptRecord> = rb.iter().map(|r| (key(r), r)).collect();
    let keys: BTreeSet<_> = in_a.keys().chain(in_b.keys()).cloned().collect();
    let describe = |r: Option<&&AttemptRecord>| match r {
        None => "-".to_string(),
        Some(r) => match r.verdict() {
            Some(v) => format!(
                "{} ({}, race {})",
                r.outcome(),
                v.tests.grade,
                if v.detectors
                    .iter()
                    .all(|d| d.status == DetectorStatus::Passed)
                {
                    "fixed"
                } else {
                    "present"
                }
            ),
            None => r.outcome().to_string(),
        },
    };
    let mut changed = Table::names_then_numbers(&["task", "model", "sample", "A", "B"]);
    let mut same = 0;
    for k in &keys {
        let (x, y) = (in_a.get(k), in_b.get(k));
        let dx = describe(x);
        let dy = describe(y);
        if dx == dy {
            same += 1;
            continue;
        }
        changed.push(vec![k.0.clone(), k.1.clone(), k.2.to_string(), dx, dy]);
    }
    let mut out = format!("comparing {} (A) with {} (B)\n\n", a.run_id, b.run_id);
    if changed.is_empty() {
        out.push_str(&format!("no attempt changed ({same} compared)\n"));
    } else {
        out.push_str(&changed.text());
        out.push_str(&format!("\n{} changed, {same} unchanged\n", changed.len()));
    }
    let models: BTreeSet<&String> = a.models.iter().chain(b.models.iter()).collect();
    let mut rates = Table::names_then_numbers(&["model", "rate A", "rate B"]);
    for m in models {
        let rate = |recs: &[AttemptRecord]| {
            let graded = recs
                .iter()
                .filter(|r| &r.key.model == m && !r.outcome().is_error())
                .count();
            let resolved = recs
                .iter()
                .filter(|r| &r.key.model == m && r.outcome() == AttemptOutcome::Resolved)
                .count();
            (graded > 0).then(|| resolved as f64 / graded as f64)
        };
        rates.push(vec![m.clone(), pct(rate(ra)), pct(rate(rb))]);
    }
    out.push('\n');
    out.push_str(&rates.text());
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{meta, rec};
    use super::*;
    use crate::catalog::TaskId;

    fn on(task: &str, model: &str, outcome: AttemptOutcome) -> AttemptRecord {
        let mut r = rec(model, outcome);
        r.key.task = TaskId(task.into());
        r
    }

    #[test]
    fn lists_changed_attempts_then_rates() {
        use AttemptOutcome::*;
        let a = [
            on("f/one", "gold", Resolved),
            on("f/one", "empty", Unresolved),
            on("f/two", "gold", Resolved),
        ];
        let b = [
            on("f/one", "gold", Unresolved),
            on("f/one", "empty", Unresolved),
        ];
        let (mut ma, mut mb) = (meta(), meta());
        ma.run_id = "ra".into();
        mb.run_id = "rb".into();
        assert_eq!(
            render_compare(&ma, &a, &mb, &b),
            "comparing ra (A) with rb (B)\n\n\
             task   model  sample                            A                              B\n\
             -----  -----  ------  ---------------------------  -----------------------------\n\
             f/one   gold       0  resolved (FULL, race fixed)  unresolved (NO, race present)\n\
             f/two   gold       0  resolved (FULL, race fixed)                              -\n\
             \n2 changed, 1 unchanged\n\
             \nmodel  rate A  rate B\n\
             -----  ------  ------\n\
             empty    0.0%    0.0%\n\
             gold   100.0%    0.0%\n"
        );
    }
}
