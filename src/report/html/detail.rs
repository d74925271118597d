//! One attempt's own page, `report/ATTEMPT_ID.html`, beside report.html.
//!
//! In: the run's metadata, one record, the artifacts folder and the task's gold patch when one
//! is known ([`GoldPatches`]). Out: the page, in the order a reader asks: why the attempt
//! ended as it did (one line), each race detector's reason, the tests that fail (highlighted;
//! the passing ones folded away after them), rules, hygiene and integrity, the model's diff
//! beside gold's, the reply and prompt, and the logs last. It links back to its row in
//! report.html.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{capped, diff_html, esc, outcome_class, page_head, read, reason};
use crate::attempt::Artifact;
use crate::catalog::{Catalog, TaskId};
use crate::score::{DetectorStatus, TestKind, Verdict};
use crate::store::{AttemptRecord, RunMeta};

/// The built-in model whose reply is the task's gold patch.
const GOLD_MODEL: &str = "gold";

/// A task's gold patch and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gold {
    /// The patch (a unified diff).
    pub text: String,
    /// Where it was read, for the reader ("the gold attempt of this run", "gold.patch").
    pub source: String,
}

/// Gold patches the caller knows at report time: the catalog's, for the tasks whose inputs
/// (gold patch included) are unchanged since the run started, so a page never shows a later
/// gold as the run's. A gold attempt in the run itself is preferred to them (see
/// [`GoldPatches::by_task`]).
#[derive(Debug, Clone, Default)]
pub struct GoldPatches {
    catalog: BTreeMap<TaskId, String>,
}

impl GoldPatches {
    /// None known: gold comes only from the run's own gold attempts.
    pub fn none() -> GoldPatches {
        GoldPatches::default()
    }

    /// The catalog's gold patches of the run's tasks whose fingerprint matches the run's.
    pub fn from_catalog(catalog: &Catalog, meta: &RunMeta) -> GoldPatches {
        let mut out = BTreeMap::new();
        for id in &meta.tasks {
            let (Some(task), Some(recorded)) =
                (catalog.tasks.get(id), meta.task_fingerprints.get(id))
            else {
                continue;
            };
            let now = crate::materialize::inputs_fingerprint(task, &catalog.bugs_of(task));
            if now.is_ok_and(|fp| &fp == recorded) {
                out.insert(id.clone(), task.gold_patch.clone());
            }
        }
        GoldPatches { catalog: out }
    }

    /// The gold patch of each task of `records`: the run's own gold attempt's patch first
    /// (exactly what was graded), else the catalog's.
    pub fn by_task(&self, records: &[AttemptRecord], artifacts: &Path) -> BTreeMap<TaskId, Gold> {
        let mut out = BTreeMap::new();
        for r in records.iter().filter(|r| r.key.model == GOLD_MODEL) {
            if out.contains_key(&r.key.task) {
                continue;
            }
            let path = artifacts
                .join(r.key.id())
                .join(Artifact::ModelPatch.file_name());
            if let Some(text) = read(&path).filter(|t| !t.trim().is_empty()) {
                let source = format!("the gold attempt of this run ({})", r.key.id());
                out.insert(r.key.task.clone(), Gold { text, source });
            }
        }
        for (task, text) in &self.catalog {
            out.entry(task.clone()).or_insert_with(|| Gold {
                text: text.clone(),
                source: "the task's gold.patch, unchanged since the run".into(),
            });
        }
        out
    }
}

/// Detail page CSS, added to the report's.
const DETAIL_CSS: &str = "<style>.why{font-size:1.15em;border-left:4px solid #4a78c2;padding:.3em .8em;background:#f3f6fc}tr.fail td{background:#fbeaea;font-weight:600}.sbs{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1em}@media(max-width:900px){.sbs{grid-template-columns:1fr}}.found{color:#a11;font-weight:600}ul.passed{font:12px monospace;margin:.2em 0}tr.rule-broken td{background:#fbeaea;color:#1d2330}.unavailable{color:#555;font-style:italic}</style>";

/// The attempt's page (see the module docs for its order).
pub fn render_attempt_page(
    meta: &RunMeta,
    r: &AttemptRecord,
    artifacts: &Path,
    gold: Option<&Gold>,
) -> String {
    let id = r.key.id();
    let dir = artifacts.join(&id);
    let mut s = page_head(&format!(
        "{} · {} · sample {} · refbench run {}",
        r.key.task.0, r.key.model, r.key.sample, meta.run_id
    ));
    s.push_str(DETAIL_CSS);
    let _ = write!(
        s,
        "<p><a id=\"back\" href=\"../report.html#row-{}\">&larr; run {}</a></p><h1>{} &middot; {} &middot; sample {}</h1>",
        esc(&id),
        esc(&meta.run_id),
        esc(&r.key.task.0),
        esc(&r.key.model),
        r.key.sample
    );
    let _ = write!(
        s,
        "<p>outcome: <span class=\"badge {}\">{}</span> &middot; {:.1} s</p><p class=\"why\" id=\"why\">{}</p>",
        outcome_class(r),
        r.outcome(),
        r.timing.total_ms as f64 / 1000.0,
        esc(&reason::attempt_reason(r, artifacts))
    );
    if let Some(e) = r.error() {
        let _ = write!(s, "<pre class=\"warn\">{}</pre>", esc(&capped(e)));
    }
    if let Some(a) = r.apply() {
        let _ = write!(s, "<p>edit: {}</p>", esc(&super::super::describe_apply(a)));
    }
    let logs = match r.verdict() {
        Some(v) => verdict_sections(&mut s, v, &dir),
        None => Vec::new(),
    };
    diffs(&mut s, &dir, gold);
    // An agent's steps, when the attempt was one.
    if let Some(steps) = super::super::trajectory::trajectory_html(&dir) {
        s.push_str(&steps);
    }
    for (artifact, title) in [(Artifact::Reply, "Reply"), (Artifact::Prompt, "Prompt")] {
        if let Some(text) = read(&dir.join(artifact.file_name())).filter(|t| !t.is_empty()) {
            let _ = write!(
                s,
                "<details><summary>{title} ({} bytes)</summary><pre>{}</pre></details>",
                text.len(),
                esc(&capped(&text))
            );
        }
    }
    s.push_str("<h2 id=\"logs\">Logs</h2>");
    for (title, text) in logs {
        let _ = write!(
            s,
            "<details><summary>{}</summary><pre class=\"detector-log\">{}</pre></details>",
            esc(&title),
            esc(&capped(&text))
        );
    }
    match read(&dir.join(Artifact::TestsLog.file_name())) {
        Some(log) => {
            let _ = write!(
                s,
                "<details><summary>Test log</summary><pre class=\"tests-log\">{}</pre></details>",
                esc(&capped(&log))
            );
        }
        None => s.push_str("<p class=\"unavailable\">No test log was kept.</p>"),
    }
    s.push_str("</body></html>\n");
    s
}

/// Detectors, tests, rules, hygiene and integrity; returns the detector logs, shown last.
fn verdict_sections(s: &mut String, v: &Verdict, dir: &Path) -> Vec<(String, String)> {
    let mut logs = Vec::new();
    if !v.detectors.is_empty() {
        s.push_str("<h2 id=\"detectors\">Race detectors</h2><ul>");
        for d in &v.detectors {
            let log = reason::read_detector_log(dir, d);
            let class = if d.status == DetectorStatus::Passed {
                ""
            } else {
                " class=\"found\""
            };
            let _ = write!(
                s,
                "<li><b>{}</b>: <span{class}>{}</span> ({}, {} ms)</li>",
                esc(&d.bug.0),
                esc(&reason::detector_reason(d, log.as_deref())),
                d.status,
                d.duration_ms
            );
            if let Some(text) = log {
                logs.push((format!("Detector log: {}", d.bug), text));
            }
        }
        s.push_str("</ul>");
    }
    let _ = write!(
        s,
        "<h2 id=\"tests\">Tests: {} ({}; {})</h2>",
        v.tests.grade,
        super::super::attempt::list_counts(&v.tests),
        esc(&v.tests.detail)
    );
    let (failing, passing): (Vec<_>, Vec<_>) =
        v.tests.tests.iter().partition(|t| !t.status.is_pass());
    if failing.is_empty() {
        s.push_str("<p>Every test passes.</p>");
    } else {
        s.push_str("<table class=\"tests\" id=\"failing\"><tr><th>test</th><th>list</th><th>status</th></tr>");
        for t in &failing {
            let _ = write!(
                s,
                "<tr class=\"fail\"><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&t.id.0),
                kind_name(t.kind),
                t.status
            );
        }
        s.push_str("</table>");
    }
    if !passing.is_empty() {
        // Folded, and one short line each: a verdict holds about 170 of them.
        let _ = write!(
            s,
            "<details id=\"passing\"><summary>{} passing tests</summary>",
            passing.len()
        );
        for kind in [TestKind::FailToPass, TestKind::PassToPass] {
            let ids: Vec<&str> = passing
                .iter()
                .filter(|t| t.kind == kind)
                .map(|t| t.id.0.as_str())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let _ = write!(s, "<p>{}:</p><ul class=\"passed\">", kind_name(kind));
            for id in ids {
                let _ = write!(s, "<li>{}</li>", esc(id));
            }
            s.push_str("</ul>");
        }
        s.push_str("</details>");
    }
    if !v.rules.is_empty() {
        s.push_str("<h2>Architectural rules</h2><table class=\"rules\"><tr><th>rule</th><th>status</th><th>evidence</th></tr>");
        for rule in &v.rules {
            let mut evidence: Vec<String> = rule
                .evidence
                .iter()
                .map(|e| format!("<code>{}</code>", esc(&e.to_string())))
                .collect();
            if rule.more_evidence > 0 {
                evidence.push(format!("and {} more", rule.more_evidence));
            }
            let _ = write!(
                s,
                "<tr class=\"rule-{}\"><td><b>{}</b>: {}</td><td>{}</td><td>{}</td></tr>",
                rule.status,
                esc(&rule.id.0),
                esc(&rule.description),
                rule.status,
                evidence.join("<br>")
            );
        }
        s.push_str("</table>");
    }
    if !v.hygiene.is_empty() {
        s.push_str("<h2>Hygiene</h2><ul>");
        for flag in &v.hygiene {
            let _ = write!(s, "<li>{}</li>", esc(&flag.to_string()));
        }
        s.push_str("</ul>");
    }
    if v.integrity.is_tampered() {
        s.push_str("<h2>Integrity: tampered</h2><ul>");
        for e in v.integrity.evidence() {
            let _ = write!(s, "<li>{}</li>", esc(&e.to_string()));
        }
        s.push_str("</ul>");
    }
    if !v.ignored_files.is_empty() {
        s.push_str("<h2>Not graded: ignored by .gitignore</h2><p>The edit left these source files where the repository's <code>.gitignore</code> ignores them: they are not part of the change and were not in the tree it was graded in.</p><ul>");
        for path in &v.ignored_files {
            let _ = write!(s, "<li><code>{}</code></li>", esc(path));
        }
        s.push_str("</ul>");
    }
    logs
}

fn kind_name(kind: TestKind) -> &'static str {
    match kind {
        TestKind::FailToPass => "FAIL_TO_PASS",
        TestKind::PassToPass => "PASS_TO_PASS",
    }
}

/// The model's diff beside gold's; says so when either is missing.
fn diffs(s: &mut String, dir: &Path, gold: Option<&Gold>) {
    s.push_str("<h2 id=\"diffs\">The model's diff beside gold's</h2><div class=\"sbs\"><div><h3>model</h3>");
    match read(&dir.join(Artifact::ModelPatch.file_name())).filter(|p| !p.trim().is_empty()) {
        Some(patch) => {
            let _ = write!(
                s,
                "<pre class=\"diff\" id=\"model-diff\">{}</pre>",
                diff_html(&patch)
            );
        }
        None => s.push_str("<p class=\"unavailable\">No edit was extracted from the reply.</p>"),
    }
    s.push_str("</div><div><h3>gold</h3>");
    match gold {
        Some(g) => {
            let _ = write!(
                s,
                "<p class=\"legend\">from {}</p><pre class=\"diff\" id=\"gold-diff\">{}</pre>",
                esc(&g.source),
                diff_html(&g.text)
            );
        }
        None => s.push_str("<p class=\"unavailable\" id=\"gold-unavailable\">Gold is unavailable: this run has no gold attempt on this task, and the task's gold.patch was not given to the report or changed since the run (run <code>refbench report RUN</code> from the project whose task is unchanged).</p>"),
    }
    s.push_str("</div></div>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{meta, rec};
    use crate::store::AttemptOutcome;

    #[test]
    fn failing_tests_first_and_gold_beside_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let r = rec("empty", AttemptOutcome::Unresolved);
        let attempt_dir = dir.path().join(r.key.id());
        std::fs::create_dir_all(&attempt_dir).unwrap();
        std::fs::write(
            attempt_dir.join(Artifact::ModelPatch.file_name()),
            "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n",
        )
        .unwrap();
        let gold = Gold {
            text: "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+gold\n".into(),
            source: "gold.patch".into(),
        };
        let page = render_attempt_page(&meta(), &r, dir.path(), Some(&gold));
        let why = page.find("id=\"why\"").unwrap();
        let failing = page.find("id=\"failing\"").unwrap();
        let passing = page.find("id=\"passing\"").unwrap();
        let model = page.find("id=\"model-diff\"").unwrap();
        let logs = page.find("id=\"logs\"").unwrap();
        assert!(why < failing && failing < passing && passing < model && model < logs);
        assert!(page[failing..passing].contains("<tr class=\"fail\">"));
        assert!(!page[passing..model].contains("class=\"fail\""));
        assert!(page.contains("<span class=\"add\">+gold</span>"));
        assert!(page.contains(&format!("href=\"../report.html#row-{}\"", r.key.id())));

        let without = render_attempt_page(&meta(), &r, dir.path(), None);
        assert!(without.contains("id=\"gold-unavailable\""));
    }

    #[test]
    fn the_runs_gold_attempt_comes_before_the_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let gold = rec("gold", AttemptOutcome::Resolved);
        let gold_dir = dir.path().join(gold.key.id());
        std::fs::create_dir_all(&gold_dir).unwrap();
        std::fs::write(gold_dir.join("model.patch"), "+from the run\n").unwrap();
        let mut known = GoldPatches::none();
        known
            .catalog
            .insert(gold.key.task.clone(), "+from the catalog\n".into());
        let golds = known.by_task(std::slice::from_ref(&gold), dir.path());
        assert_eq!(golds[&gold.key.task].text, "+from the run\n");
        let golds = known.by_task(&[rec("empty", AttemptOutcome::Unresolved)], dir.path());
        assert_eq!(golds[&gold.key.task].text, "+from the catalog\n");
        assert!(GoldPatches::none()
            .by_task(&[rec("empty", AttemptOutcome::Unresolved)], dir.path())
            .is_empty());
    }
}
