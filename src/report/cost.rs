//! What a run's models cost, told truthfully.
//!
//! In: the run's metadata and records (each with its usage and how its reply was obtained).
//! Out: one [`CostRow`] per model: how many attempts asked a provider (sent a request or were
//! served from the response cache), for how many of them the cost is known, what the new
//! requests of this run spent, and the list cost (what every reply would cost at the model's
//! prices, cached ones included). Built-in and replayed models ask no provider: their cost is
//! "n/a", never "unknown" and never zero.

use super::Table;
use crate::store::{AttemptOutcome, AttemptRecord, RunMeta};

/// The cost of one model's attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct CostRow {
    /// The model.
    pub model: String,
    /// Attempts whose reply came from a provider (a request sent, or the response cache).
    pub asked: usize,
    /// Of those, attempts with a known cost.
    pub known: usize,
    /// Attempts that sent requests in this run (not served from the cache).
    pub sent: usize,
    /// USD spent by this run's requests (known costs only).
    pub spent_usd: f64,
    /// USD at list price of every reply with a known cost, cached ones included.
    pub list_usd: f64,
}

impl CostRow {
    /// The model asked no provider (built-ins, replays): cost does not apply.
    pub fn not_applicable(&self) -> bool {
        self.asked == 0
    }

    /// `$0.1234`, `n/a` when it does not apply, `unknown` when no cost is known.
    fn money(&self, usd: f64) -> String {
        if self.not_applicable() {
            "n/a".into()
        } else if self.known == 0 {
            "unknown".into()
        } else {
            format!("${usd:.4}")
        }
    }

    /// What this run's requests cost.
    pub fn spent(&self) -> String {
        self.money(self.spent_usd)
    }

    /// What every reply costs at list price.
    pub fn list(&self) -> String {
        self.money(self.list_usd)
    }

    /// `8 of 8`, or `n/a`.
    pub fn coverage(&self) -> String {
        if self.not_applicable() {
            "n/a".into()
        } else {
            format!("{} of {}", self.known, self.asked)
        }
    }
}

/// One row per model of the run, in its order.
pub fn cost_rows(meta: &RunMeta, records: &[AttemptRecord]) -> Vec<CostRow> {
    meta.models
        .iter()
        .map(|model| {
            let mut row = CostRow {
                model: model.clone(),
                asked: 0,
                known: 0,
                sent: 0,
                spent_usd: 0.0,
                list_usd: 0.0,
            };
            let mine: Vec<&AttemptRecord> =
                records.iter().filter(|r| &r.key.model == model).collect();
            let asked_provider = |r: &AttemptRecord| {
                r.ask
                    .as_ref()
                    .is_some_and(|a| a.cached || a.http_requests > 0)
            };
            let provider = mine.iter().any(|r| asked_provider(r));
            for r in mine {
                if asked_provider(r) {
                    let cached = r.ask.as_ref().is_some_and(|a| a.cached);
                    row.asked += 1;
                    row.sent += usize::from(!cached);
                    if let Some(cost) = r.usage.as_ref().and_then(|u| u.cost_usd) {
                        row.known += 1;
                        row.list_usd += cost;
                        if !cached {
                            row.spent_usd += cost;
                        }
                    }
                } else if provider && r.outcome() == AttemptOutcome::ModelError {
                    // Requests went out and no reply came back: spent, at an unknown cost.
                    row.asked += 1;
                    row.sent += 1;
                }
            }
            row
        })
        .collect()
}

/// The cost table of summary.md and the terminal: model, attempts that sent requests, spent,
/// list cost, how many costs are known.
pub fn cost_table(meta: &RunMeta, records: &[AttemptRecord]) -> Table {
    let mut table = Table::names_then_numbers(&[
        "model",
        "requests sent",
        "spent",
        "list cost",
        "cost known for",
    ]);
    for row in cost_rows(meta, records) {
        table.push(vec![
            row.model.clone(),
            if row.not_applicable() {
                "n/a".into()
            } else {
                row.sent.to_string()
            },
            row.spent(),
            row.list(),
            row.coverage(),
        ]);
    }
    table
}

/// What the cost table's columns mean.
pub const COST_NOTE: &str = "Spent = what this run's requests cost; list cost = what every reply costs at the model's prices, replies served from the response cache included (a rerun from the cache spends nothing). Cost known for = attempts whose provider reported usage the prices apply to, of those that asked a provider. Built-in and replayed models ask none: n/a.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AskInfo, Usage};
    use crate::store::AttemptOutcome;

    fn asked(model: &str, cached: bool, cost: Option<f64>) -> AttemptRecord {
        AttemptRecord {
            usage: Some(Usage {
                cost_usd: cost,
                ..Default::default()
            }),
            ask: Some(AskInfo {
                http_requests: u32::from(!cached),
                cached,
                ..Default::default()
            }),
            ..crate::report::tests::rec(model, AttemptOutcome::Unresolved)
        }
    }

    #[test]
    fn spent_list_and_coverage_are_told_apart_and_builtins_are_not_applicable() {
        let meta = RunMeta {
            models: vec!["gold".into(), "api".into()],
            ..crate::report::tests::meta()
        };
        let records = vec![
            crate::report::tests::rec("gold", AttemptOutcome::Resolved),
            asked("api", false, Some(0.5)),
            asked("api", true, Some(0.25)),
            asked("api", false, None),
            crate::report::tests::rec("api", AttemptOutcome::ModelError),
        ];
        let rows = cost_rows(&meta, &records);
        assert!(rows[0].not_applicable());
        assert_eq!(
            (rows[0].spent(), rows[0].list(), rows[0].coverage()),
            ("n/a".into(), "n/a".into(), "n/a".into())
        );
        let api = &rows[1];
        assert_eq!((api.asked, api.known, api.sent), (4, 2, 3));
        assert_eq!(api.spent(), "$0.5000");
        assert_eq!(api.list(), "$0.7500");
        assert_eq!(api.coverage(), "2 of 4");
        let text = cost_table(&meta, &records).markdown();
        assert!(
            text.contains("| api | 3 | $0.5000 | $0.7500 | 2 of 4 |"),
            "{text}"
        );
    }
}
