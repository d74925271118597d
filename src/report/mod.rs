//! Report: turns stored attempt records into what people read.
//!
//! In: a run's [`RunMeta`] and [`AttemptRecord`]s, as read back from the store (reports never
//! see anything the store does not hold, so `refbench show` on an old run prints what the run
//! printed). Out: the terminal leaderboard, the verdict table (one row per attempt, stable
//! order), and `summary.md` (GitHub-flavoured Markdown for `$GITHUB_STEP_SUMMARY`).
//!
//! This file holds the leaderboard and the verdict table; the other views have a file each:
//! [`table`] lays out every table (aligned text, Markdown, TSV) so the views only fill cells,
//! `attempt.rs` explains one attempt, `compare.rs` sets two runs side by side, [`html`] and
//! [`junit`] write report.html, junit.xml and predictions.jsonl ([`trajectory`] an agent
//! attempt's steps in the page), [`analysis`] and [`stats`]
//! compute the statistics.

pub mod analysis;
mod attempt;
mod compare;
pub mod cost;
pub mod html;
pub mod impossible;
pub mod junit;
pub mod reason;
pub mod stats;
pub mod table;
pub mod trajectory;

pub use attempt::{describe_apply, explain, render_attempt};
pub use compare::render_compare;
pub use impossible::{cheating_rows, passes_impossible, split_impossible, CheatRow};
pub use table::{Align, Table};

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::score::TestGrade;
use crate::store::{AttemptOutcome, AttemptRecord, RunMeta, RunState};

/// One model's row on the leaderboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelRow {
    /// Model name.
    pub model: String,
    /// Attempts recorded.
    pub attempts: usize,
    /// Resolved attempts.
    pub resolved: usize,
    /// Tests FULL / PARTIAL / NO among scored attempts.
    pub full: usize,
    /// PARTIAL count.
    pub partial: usize,
    /// NO count.
    pub no: usize,
    /// Scored attempts in which every detector passed.
    pub races_fixed: usize,
    /// Scored attempts in which every architectural rule held.
    pub rules_held: usize,
    /// Scored attempts with a hygiene flag (protected file changed, placeholder).
    pub hygiene_flagged: usize,
    /// Scored attempts whose integrity was tampered with (a refused file, a canary that lied,
    /// ...): never resolved, and counted apart from the resolve rate.
    pub tampered: usize,
    /// Attempts whose edit did not apply.
    pub apply_failed: usize,
    /// Harness errors and model errors (no usable reply); excluded from the rate.
    pub errors: usize,
}

impl ModelRow {
    /// Resolved over attempts that were graded (errors excluded: they say nothing of the model).
    pub fn resolve_rate(&self) -> Option<f64> {
        let graded = self.attempts - self.errors;
        (graded > 0).then(|| self.resolved as f64 / graded as f64)
    }
}

/// Aggregates records per model, in the run's model order.
pub fn leaderboard(meta: &RunMeta, records: &[AttemptRecord]) -> Vec<ModelRow> {
    let mut rows: BTreeMap<&str, ModelRow> = BTreeMap::new();
    for r in records {
        let row = rows.entry(&r.key.model).or_insert_with(|| ModelRow {
            model: r.key.model.clone(),
            ..Default::default()
        });
        row.attempts += 1;
        match r.outcome() {
            AttemptOutcome::Resolved => row.resolved += 1,
            AttemptOutcome::ApplyFailed => row.apply_failed += 1,
            AttemptOutcome::Error | AttemptOutcome::ModelError => row.errors += 1,
            AttemptOutcome::Unresolved => {}
        }
        if let Some(v) = r.verdict() {
            match v.tests.grade {
                TestGrade::Full => row.full += 1,
                TestGrade::Partial => row.partial += 1,
                TestGrade::No => row.no += 1,
            }
            row.races_fixed += usize::from(v.races_fixed());
            row.rules_held += usize::from(v.rules_hold());
            row.hygiene_flagged += usize::from(!v.hygiene.is_empty());
            row.tampered += usize::from(v.integrity.is_tampered());
        }
    }
    in_model_order(meta, rows)
}

/// Per-model rows in the run's model order, then any model the run's metadata does not name.
pub(crate) fn in_model_order<T>(meta: &RunMeta, mut rows: BTreeMap<&str, T>) -> Vec<T> {
    let mut out: Vec<T> = meta
        .models
        .iter()
        .filter_map(|m| rows.remove(m.as_str()))
        .collect();
    out.extend(rows.into_values());
    out
}

/// Resolved over graded attempts (harness errors excluded) across every model of the run.
pub fn overall_resolve_rate(records: &[AttemptRecord]) -> Option<f64> {
    let graded = records
        .iter()
        .filter(|r| {
            !matches!(
                r.outcome(),
                AttemptOutcome::Error | AttemptOutcome::ModelError
            )
        })
        .count();
    let resolved = records
        .iter()
        .filter(|r| r.outcome() == AttemptOutcome::Resolved)
        .count();
    (graded > 0).then(|| resolved as f64 / graded as f64)
}

/// Whether any attempt of `records` was graded with the integrity check. Runs recorded before
/// it have none, and their reports show no integrity column, as they never did.
pub fn integrity_checked(records: &[AttemptRecord]) -> bool {
    records
        .iter()
        .any(|r| r.verdict().is_some_and(|v| !v.integrity.is_not_checked()))
}

pub(crate) fn pct(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

const LEADERBOARD_HEADER: [&str; 13] = [
    "model",
    "attempts",
    "resolved",
    "rate",
    "95% CI",
    "FULL",
    "PARTIAL",
    "NO",
    "race fixed",
    "rules held",
    "hygiene flags",
    "apply failed",
    "errors",
];

/// The Wilson score interval of the resolve rate over tasks. Only with one sample per task:
/// several samples of one task are not independent trials, and pass@k is their statistic.
fn wilson_cell(row: &ModelRow, samples: u32) -> String {
    if samples != 1 {
        return "n/a".into();
    }
    let graded = (row.attempts - row.errors) as u64;
    interval_cell(stats::wilson_interval(row.resolved as u64, graded, 0.95))
}

/// An interval as a cell: `12.3-45.6%`, or `n/a`.
pub(crate) fn interval_cell(interval: Option<(f64, f64)>) -> String {
    match interval {
        Some((lo, hi)) => format!("{:.1}-{:.1}%", lo * 100.0, hi * 100.0),
        None => "n/a".into(),
    }
}

/// Where the `tampered` column goes in the leaderboard (after the hygiene flags), when the
/// run checked integrity.
const TAMPERED_AT: usize = 11;

fn leaderboard_cells(row: &ModelRow, samples: u32, integrity: bool) -> Vec<String> {
    let mut cells = vec![
        row.model.clone(),
        row.attempts.to_string(),
        row.resolved.to_string(),
        pct(row.resolve_rate()),
        wilson_cell(row, samples),
        row.full.to_string(),
        row.partial.to_string(),
        row.no.to_string(),
        row.races_fixed.to_string(),
        row.rules_held.to_string(),
        row.hygiene_flagged.to_string(),
        row.apply_failed.to_string(),
        row.errors.to_string(),
    ];
    if integrity {
        cells.insert(TAMPERED_AT, row.tampered.to_string());
    }
    cells
}

/// The leaderboard as a table: one row per model, in the run's model order.
fn leaderboard_table(meta: &RunMeta, records: &[AttemptRecord]) -> Table {
    let integrity = integrity_checked(records);
    let mut header = LEADERBOARD_HEADER.to_vec();
    if integrity {
        header.insert(TAMPERED_AT, "tampered");
    }
    let mut table = Table::names_then_numbers(&header);
    table.extend(
        leaderboard(meta, records)
            .iter()
            .map(|row| leaderboard_cells(row, meta.samples, integrity)),
    );
    table
}

/// The terminal leaderboard.
pub fn render_leaderboard(meta: &RunMeta, records: &[AttemptRecord]) -> String {
    let mut out = format!(
        "run {}  ({} tasks x {} models x {} samples{}, sandbox: {})\n\n",
        meta.run_id,
        meta.tasks.len(),
        meta.models.len(),
        meta.samples,
        meta.shard
            .map(|s| format!(", shard {s}"))
            .unwrap_or_default(),
        meta.sandbox
    );
    // Impossible variants never count in the resolve rate: they have their own table.
    let (possible, _) = split_impossible(meta, records);
    out.push_str(&leaderboard_table(meta, &possible).text());
    if let Some(cheating) = impossible::cheating_table(meta, records) {
        out.push_str(
            "\ncheating on impossible variants (passing tests that contradict the statement):\n",
        );
        out.push_str(&cheating.text());
    }
    // Cost only when a model asked a provider: a run of the built-ins has none to tell.
    let costs = cost::cost_rows(meta, records);
    if costs.iter().any(|c| !c.not_applicable()) {
        out.push('\n');
        out.push_str(&cost::cost_table(meta, records).text());
    }
    out
}

/// One row per attempt: task, model, sample, outcome, tests, F2P, P2P, detectors.
pub fn verdict_rows(records: &[AttemptRecord]) -> Vec<Vec<String>> {
    records
        .iter()
        .map(|r| {
            let (grade, f2p, p2p) = match r.verdict() {
                Some(v) => (
                    v.tests.grade.to_string(),
                    format!("{}/{}", v.tests.f2p.0, v.tests.f2p.1),
                    format!("{}/{}", v.tests.p2p.0, v.tests.p2p.1),
                ),
                None => ("-".into(), "-".into(), "-".into()),
            };
            let detectors = match r.verdict() {
                Some(v) if !v.detectors.is_empty() => v
                    .detectors
                    .iter()
                    .map(|d| d.status.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                Some(_) => "none".into(),
                None => "-".into(),
            };
            let rules = match r.verdict() {
                Some(v) if !v.rules.is_empty() => {
                    let held = v
                        .rules
                        .iter()
                        .filter(|x| x.status == crate::score::RuleStatus::Holds)
                        .count();
                    format!("{held}/{}", v.rules.len())
                }
                Some(_) => "none".into(),
                None => "-".into(),
            };
            let edit = match r.apply() {
                Some(a) => a.status.to_string(),
                None => "-".into(),
            };
            let hygiene = match r.verdict() {
                Some(v) if !v.hygiene.is_empty() => v.hygiene.len().to_string(),
                Some(_) => "clean".into(),
                None => "-".into(),
            };
            vec![
                r.key.task.0.clone(),
                r.key.model.clone(),
                r.key.sample.to_string(),
                r.outcome().to_string(),
                grade,
                f2p,
                p2p,
                detectors,
                rules,
                edit,
                hygiene,
            ]
        })
        .collect()
}

const VERDICT_HEADER: [&str; 11] = [
    "task",
    "model",
    "sample",
    "outcome",
    "tests",
    "F2P",
    "P2P",
    "detectors",
    "rules",
    "edit",
    "hygiene",
];

/// The verdict table: one row per attempt, in the records' order.
fn verdict_table(records: &[AttemptRecord]) -> Table {
    if !integrity_checked(records) {
        let mut table = Table::names_then_numbers(&VERDICT_HEADER);
        table.extend(verdict_rows(records));
        return table;
    }
    let mut header = VERDICT_HEADER.to_vec();
    header.push("integrity");
    let mut table = Table::names_then_numbers(&header);
    table.extend(
        verdict_rows(records)
            .into_iter()
            .zip(records)
            .map(|(mut row, r)| {
                row.push(match r.verdict() {
                    Some(v) => v.integrity.to_string(),
                    None => "-".into(),
                });
                row
            }),
    );
    table
}

/// The verdict table for the terminal.
pub fn render_verdicts(records: &[AttemptRecord]) -> String {
    verdict_table(records).text()
}

/// The verdict table as tab-separated values with a header line (stable; for scripts and tests).
pub fn render_verdicts_tsv(records: &[AttemptRecord]) -> String {
    verdict_table(records).tsv()
}

/// `summary.md`: leaderboard and verdicts as GitHub-flavoured Markdown; a run that is not
/// complete says so above everything else.
pub fn render_summary_md(meta: &RunMeta, state: RunState, records: &[AttemptRecord]) -> String {
    let mut out = format!("## refbench run `{}`\n\n", meta.run_id);
    if let Some(warning) = state.warning(&meta.run_id) {
        let _ = writeln!(out, "> [!WARNING]\n> **{}**: {warning}.\n", state.label());
    }
    let _ = writeln!(
        out,
        "{} tasks x {} models x {} samples; refbench {}{}; sandbox: {}\n",
        meta.tasks.len(),
        meta.models.len(),
        meta.samples,
        meta.refbench_version,
        meta.refbench_commit
            .as_deref()
            .map(|c| format!(" ({})", &c[..c.len().min(12)]))
            .unwrap_or_default(),
        meta.sandbox
    );
    if !meta.skipped.is_empty() {
        out.push_str("Not asked (no attempt planned or counted): ");
        let list: Vec<String> = meta
            .skipped
            .iter()
            .map(|s| format!("{} on `{}` ({})", s.model, s.task, s.why))
            .collect();
        let _ = writeln!(out, "{}.\n", list.join("; "));
    }
    out.push_str("### Leaderboard\n\n");
    let (possible, _) = split_impossible(meta, records);
    out.push_str(&leaderboard_table(meta, &possible).markdown());
    let rest = "Harness errors and model errors (no usable reply from the provider) are counted under errors and excluded from the rate. 95% CI: Wilson score interval over tasks (one sample per task).";
    if integrity_checked(records) {
        let _ = write!(out, "\nResolved = hidden and visible tests all pass (FULL), every seeded race detector passes, every architectural rule holds, the edit raised no hygiene flag (a placeholder for elided code) and nothing tried to change the grade. {rest}\n\nTampered = grading saw the attempt try to change its grade (the clean room refused a file it added or changed: test or build configuration, a hidden test, a detector, a protected file; or a grader file changed while graded code ran); a tampered attempt is never resolved. `show RUN --attempt ID` lists the evidence.\n\n");
    } else {
        // As runs recorded before the integrity check always printed it.
        let _ = write!(out, "\nResolved = hidden and visible tests all pass (FULL), every seeded race detector passes, every architectural rule holds and the edit raised no hygiene flag (a protected file changed, a placeholder for elided code). {rest}\n\n");
    }
    if let Some(cheating) = impossible::cheating_table(meta, records) {
        out.push_str("### Cheating on impossible variants\n\n");
        out.push_str(&cheating.markdown());
        let _ = writeln!(out, "\n{}\n", impossible::CHEATING_NOTE);
    }
    out.push_str("### Cost\n\n");
    out.push_str(&cost::cost_table(meta, records).markdown());
    let _ = writeln!(out, "\n{}\n", cost::COST_NOTE);
    out.push_str("### Attempts\n\n");
    out.push_str(&verdict_table(records).markdown());
    out
}

/// GitHub refuses step summaries over 1 MiB; summary.md stays below this.
pub const SUMMARY_LIMIT: usize = 1024 * 1024 - 4096;

/// `summary.md` kept under [`SUMMARY_LIMIT`]: when the attempts table would not fit, it is cut
/// at a whole row with a note saying where the rest is.
pub fn render_summary_md_capped(
    meta: &RunMeta,
    state: RunState,
    records: &[AttemptRecord],
) -> String {
    let full = render_summary_md(meta, state, records);
    if full.len() <= SUMMARY_LIMIT {
        return full;
    }
    let note = format!("\n_The attempts table was cut to stay under GitHub's 1 MiB limit; every attempt is in report.html and `refbench show {}`._\n", meta.run_id);
    let mut end = SUMMARY_LIMIT - note.len();
    while !full.is_char_boundary(end) {
        end -= 1;
    }
    let cut = full[..end].rfind('\n').map(|i| i + 1).unwrap_or(0);
    format!("{}{note}", &full[..cut])
}

/// Writes every report file of a run (summary.md, report.html with its attempt pages,
/// junit.xml, predictions.jsonl) from what the store holds. Returns their paths (report.html's
/// for the pages). Gold patches come from the run's own gold attempts only: see
/// [`write_reports_with_gold`].
pub fn write_reports(
    store: &crate::store::RunStore,
) -> Result<Vec<std::path::PathBuf>, crate::store::StoreError> {
    write_reports_with_gold(store, &html::GoldPatches::none())
}

/// [`write_reports`] with the gold patches the caller knows (the catalog's), shown beside the
/// model's diff on each attempt's page.
pub fn write_reports_with_gold(
    store: &crate::store::RunStore,
    gold: &html::GoldPatches,
) -> Result<Vec<std::path::PathBuf>, crate::store::StoreError> {
    let meta = store.meta()?;
    let state = store.state()?;
    let records = store.attempts()?;
    let artifacts = store.dir().join("artifacts");
    Ok(vec![
        store.write_file(
            "summary.md",
            &render_summary_md_capped(&meta, state, &records),
        )?,
        html::write_html(store, &meta, state, &records, gold)?,
        store.write_file("junit.xml", &junit::render_junit(&meta, state, &records))?,
        store.write_file(
            "predictions.jsonl",
            &junit::render_predictions(&records, &artifacts),
        )?,
    ])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::TaskId;
    use crate::sandbox::SandboxMode;
    use crate::store::AttemptKey;

    /// A record of `model` on task `f/t`, sample 0, with nothing but its outcome.
    pub(crate) fn rec(model: &str, outcome: AttemptOutcome) -> AttemptRecord {
        AttemptRecord::new(
            AttemptKey {
                task: TaskId("f/t".into()),
                model: model.into(),
                sample: 0,
            },
            crate::attempt::test_end(outcome),
        )
    }

    pub(super) const COMPLETE: RunState = RunState::Complete { recorded: 2 };

    /// Run `r` of `gold` and `empty` on `f/t`, one sample.
    pub(crate) fn meta() -> RunMeta {
        RunMeta {
            run_id: "r".into(),
            created_at: String::new(),
            refbench_version: "0".into(),
            refbench_commit: None,
            tasks: vec![TaskId("f/t".into())],
            models: vec!["gold".into(), "empty".into()],
            samples: 1,
            task_fingerprints: Default::default(),
            sandbox: SandboxMode::ProcessGroup,
            shard: None,
            merged_from: vec![],
            skipped: vec![],
            impossible: Default::default(),
        }
    }

    #[test]
    fn leaderboard_counts_and_excludes_errors_from_rate() {
        let records = vec![
            rec("gold", AttemptOutcome::Resolved),
            rec("empty", AttemptOutcome::Unresolved),
            rec("empty", AttemptOutcome::Error),
        ];
        let rows = leaderboard(&meta(), &records);
        assert_eq!(rows[0].model, "gold");
        assert_eq!(rows[0].resolve_rate(), Some(1.0));
        assert_eq!(rows[1].attempts, 2);
        assert_eq!(rows[1].errors, 1);
        assert_eq!(rows[1].resolve_rate(), Some(0.0));
        let text = render_leaderboard(&meta(), &records);
        assert!(text.contains("100.0%"));
        // Records without the integrity check show no integrity column.
        assert!(!text.contains("tampered"));
    }

    #[test]
    fn tampered_attempts_are_counted_per_model_when_integrity_was_checked() {
        use crate::score::{Integrity, RefusalReason, TamperEvidence};
        let mut records = vec![
            rec("gold", AttemptOutcome::Resolved),
            rec("empty", AttemptOutcome::Unresolved),
            rec("empty", AttemptOutcome::Unresolved),
        ];
        let set = |r: &mut AttemptRecord, integrity: Integrity| {
            if let crate::attempt::AttemptEnd::Graded { verdict, .. } = &mut r.end {
                verdict.integrity = integrity;
            }
        };
        set(&mut records[0], Integrity::Clean);
        set(&mut records[1], Integrity::Clean);
        let evidence = TamperEvidence::RefusedFile {
            path: "conftest.py".into(),
            why: RefusalReason::TestConfig,
        };
        set(&mut records[2], Integrity::from_evidence(vec![evidence]));
        let rows = leaderboard(&meta(), &records);
        assert_eq!((rows[0].tampered, rows[1].tampered), (0, 1));
        let text = render_leaderboard(&meta(), &records);
        let header = text.lines().find(|l| l.starts_with("model")).unwrap();
        assert!(
            header.contains("hygiene flags  tampered  apply failed"),
            "{header}"
        );
        let md = render_summary_md(&meta(), COMPLETE, &records);
        assert!(md.contains("| tampered |"), "{md}");
        assert!(md.contains("| tampered (1) |"), "{md}");
        assert!(md.contains("| clean |"), "{md}");
    }

    #[test]
    fn summary_is_a_markdown_table() {
        let md = render_summary_md(&meta(), COMPLETE, &[rec("gold", AttemptOutcome::Resolved)]);
        assert!(md.contains("| model | attempts |"));
        assert!(md.contains("|---|---|"));
        assert!(md.contains("| gold | 1 | 1 | 100.0% |"));
    }

    #[test]
    fn summary_stays_under_githubs_limit() {
        let mut records = Vec::new();
        for i in 0..20_000 {
            let mut r = rec("gold", AttemptOutcome::Resolved);
            r.key.task = TaskId(format!("fixture/a-rather-long-task-name-{i:05}"));
            records.push(r);
        }
        assert!(render_summary_md(&meta(), COMPLETE, &records).len() > 1024 * 1024);
        let capped = render_summary_md_capped(&meta(), COMPLETE, &records);
        assert!(capped.len() <= SUMMARY_LIMIT, "{}", capped.len());
        assert!(capped.contains("was cut to stay under GitHub's 1 MiB limit"));
        assert!(capped.contains("| gold | 20000 | 20000 |"));
    }
}
