//! `junit.xml` and `predictions.jsonl`: the run in formats other tools read.
//!
//! In: the run's metadata, records and artifacts folder. Out: JUnit XML with one testcase per
//! task and model (it passes when every sample resolved; a harness error is an `<error>`, any
//! other unresolved sample a `<failure>` saying why), and SWE-bench predictions, one JSON line
//! per attempt with `instance_id`, `model_name_or_path` and `model_patch` (plus `sample`).

use std::fmt::Write as _;
use std::path::Path;

use super::html::esc;
use crate::store::{AttemptOutcome, AttemptRecord, RunMeta, RunState};

fn why(r: &AttemptRecord) -> String {
    super::explain(r)
}

/// JUnit XML for the run. When the run is not complete, its state is a property of the suite
/// and every task and model with no record is a skipped testcase saying why.
pub fn render_junit(meta: &RunMeta, state: RunState, records: &[AttemptRecord]) -> String {
    let mut cases = String::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    let not_run = state.warning(&meta.run_id);
    let planned: std::collections::BTreeSet<(&crate::catalog::TaskId, &String)> =
        if not_run.is_some() {
            meta.planned()
                .iter()
                .filter_map(|k| {
                    let task = meta.tasks.iter().find(|t| **t == k.task)?;
                    let model = meta.models.iter().find(|m| **m == k.model)?;
                    Some((task, model))
                })
                .collect()
        } else {
            Default::default()
        };
    let mut total_secs = 0.0;
    for model in &meta.models {
        for task in &meta.tasks {
            let mine: Vec<&AttemptRecord> = records
                .iter()
                .filter(|r| &r.key.task == task && &r.key.model == model)
                .collect();
            if mine.is_empty() {
                if let Some(why) = not_run
                    .as_ref()
                    .filter(|_| planned.contains(&(task, model)))
                {
                    tests += 1;
                    skipped += 1;
                    let _ = writeln!(
                        cases,
                        "    <testcase classname=\"{}\" name=\"{}\" time=\"0.000\">\n      <skipped message=\"not recorded: {}\"/>\n    </testcase>",
                        esc(model),
                        esc(&task.0),
                        esc(why)
                    );
                }
                continue;
            }
            tests += 1;
            let secs: f64 = mine.iter().map(|r| r.timing.total_ms as f64 / 1000.0).sum();
            total_secs += secs;
            let _ = write!(
                cases,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{secs:.3}\"",
                esc(model),
                esc(&task.0)
            );
            let errored: Vec<&&AttemptRecord> =
                mine.iter().filter(|r| r.outcome().is_error()).collect();
            let failed: Vec<&&AttemptRecord> = mine
                .iter()
                .filter(|r| !r.outcome().is_error() && r.outcome() != AttemptOutcome::Resolved)
                .collect();
            let detail = |rs: &[&&AttemptRecord]| {
                rs.iter()
                    .map(|r| format!("sample {}: {}", r.key.sample, why(r)))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            if !errored.is_empty() {
                errors += 1;
                let _ = write!(
                    cases,
                    ">\n      <error message=\"{}\" type=\"{}\">{}</error>\n    </testcase>\n",
                    esc(&why(errored[0])),
                    errored[0].outcome(),
                    esc(&detail(&errored))
                );
            } else if !failed.is_empty() {
                failures += 1;
                let _ = write!(
                    cases,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                    esc(&why(failed[0])),
                    failed[0].outcome(),
                    esc(&detail(&failed))
                );
            } else {
                cases.push_str("/>\n");
            }
        }
    }
    // Suite properties: the run's state when it is not complete, and the tampered attempts
    // of each model (runs recorded before the integrity check have none, and their report is
    // what it was).
    let mut properties = String::new();
    if !state.is_complete() {
        let (recorded, planned) = state.counts();
        let _ = write!(
            properties,
            "      <property name=\"refbench.run_state\" value=\"{}\"/>\n      <property name=\"refbench.attempts_recorded\" value=\"{recorded}\"/>\n      <property name=\"refbench.attempts_planned\" value=\"{planned}\"/>\n",
            state.label()
        );
    }
    if super::integrity_checked(records) {
        for row in super::leaderboard(meta, records) {
            let _ = writeln!(
                properties,
                "      <property name=\"tampered:{}\" value=\"{}\"/>",
                esc(&row.model),
                row.tampered
            );
        }
    }
    if !properties.is_empty() {
        properties = format!("    <properties>\n{properties}    </properties>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"refbench\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{total_secs:.3}\">\n  <testsuite name=\"refbench run {}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{total_secs:.3}\" timestamp=\"{}\">\n{properties}{cases}  </testsuite>\n</testsuites>\n",
        esc(&meta.run_id),
        esc(meta.created_at.trim_end_matches('Z'))
    )
}

/// SWE-bench predictions, one line per attempt, in record order.
pub fn render_predictions(records: &[AttemptRecord], artifacts: &Path) -> String {
    let mut out = String::new();
    for r in records {
        let patch = std::fs::read_to_string(
            artifacts
                .join(r.key.id())
                .join(crate::attempt::Artifact::ModelPatch.file_name()),
        )
        .unwrap_or_default();
        let line = serde_json::json!({
            "instance_id": r.key.task.0,
            "model_name_or_path": r.key.model,
            "model_patch": patch,
            "sample": r.key.sample,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}
