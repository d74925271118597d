//! `report.html`: one self-contained page per run (inline CSS, a little inline JS, SVG charts;
//! no request leaves the file).
//!
//! In: the run's metadata, records and the artifacts folder. Out: the page: the leaderboard with
//! intervals and a chart, paired comparisons, the tasks x models matrix coloured by outcome, and
//! one drill-down section per attempt (verdict, tests, detector output with the failing
//! interleaving, the coloured patch, an agent's trajectory as collapsible steps (`trajectory.rs`),
//! the reply) reached from the matrix.

use crate::attempt::Artifact;
use std::fmt::Write as _;
use std::path::Path;

use super::analysis::{model_stats, pair_tests};
use crate::score::{DetectorStatus, TestGrade, TestKind};
use crate::store::{AttemptOutcome, AttemptRecord, RunMeta, RunState};

/// Bytes of any one artifact embedded in the page (head and tail kept).
const EMBED_CAP: usize = 48 * 1024;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn capped(text: &str) -> String {
    capped_to(text, EMBED_CAP)
}

/// `text` if it is at most `cap` bytes, else its head and tail (`cap` bytes in all) with the
/// cut marked between them.
pub(super) fn capped_to(text: &str, cap: usize) -> String {
    crate::fsutil::cut_middle(text, cap, |n| format!("\n[... {n} bytes cut ...]\n"))
}

/// The CSS class (colour) of an attempt's outcome, finer than [`AttemptOutcome`]: a scored
/// attempt whose tests are FULL but whose race is still there is "race-missed".
pub fn outcome_class(r: &AttemptRecord) -> &'static str {
    match r.outcome() {
        AttemptOutcome::Resolved => "resolved",
        AttemptOutcome::ApplyFailed => "apply-failed",
        AttemptOutcome::Error => "error",
        AttemptOutcome::ModelError => "model-error",
        AttemptOutcome::Unresolved => match r.verdict() {
            Some(v) if v.integrity.is_tampered() => "tampered",
            Some(v) if v.tests.grade == TestGrade::Full && !v.races_fixed() => "race-missed",
            Some(v) if v.tests.grade == TestGrade::Full && !v.rules_hold() => "rule-broken",
            Some(v) if v.tests.grade == TestGrade::Full => "hygiene",
            Some(v) if v.tests.grade == TestGrade::Partial => "partial",
            _ => "tests-failed",
        },
    }
}

const LEGEND: [(&str, &str); 10] = [
    ("resolved", "resolved"),
    ("tampered", "tried to change its grade (integrity tampered)"),
    ("race-missed", "tests FULL, race still there"),
    (
        "rule-broken",
        "tests FULL, race fixed, an architectural rule broken",
    ),
    (
        "hygiene",
        "tests FULL, race fixed, rules hold, hygiene flag",
    ),
    ("partial", "tests PARTIAL"),
    ("tests-failed", "tests NO"),
    ("apply-failed", "edit did not apply"),
    ("model-error", "model or provider error"),
    ("error", "harness error"),
];

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#1d2330}h1{font-size:1.5em}h2{border-bottom:1px solid #ccd;padding-bottom:.2em;margin-top:2em}table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccd;padding:.25em .6em;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#eef0f6}.warn{background:#fff3cd;border:1px solid #e0b000;padding:.5em 1em}.cell a{display:inline-block;width:1.4em;height:1.4em;margin:1px;border-radius:3px;text-decoration:none}.resolved{background:#2e9e4f}.race-missed{background:#f0a020}.rule-broken{background:#c2185b}.hygiene{background:#6d9eeb}.tampered{background:#111}.partial{background:#e8d44d}.tests-failed{background:#d9534f}.apply-failed{background:#8a8f99}.error{background:#7b3fa0}.model-error{background:#3f5fa0}.legend span{display:inline-block;width:1em;height:1em;border-radius:2px;margin:0 .3em 0 1em;vertical-align:middle}pre{background:#f6f7fa;border:1px solid #dde;padding:.6em;overflow:auto;max-height:30em;font-size:12px}.add{color:#11702f;background:#e6f6ea}.del{color:#a11;background:#fbeaea}.hunk{color:#1f4fa3}.attempt{display:none}.attempt:target,body.all .attempt{display:block}.badge{padding:.1em .5em;border-radius:3px;color:#fff}.steps{padding-left:1.5em}.steps pre{max-height:12em;margin:.2em 0}.call{margin:.3em 0 0}.tool-error{color:#a11}pre.tool-error{background:#fbeaea}code{font-size:12px}";

const JS: &str = "document.getElementById('show-all').addEventListener('change',function(e){document.body.classList.toggle('all',e.target.checked);});";

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "n/a".into())
}

fn chart(stats: &[super::analysis::ModelStats]) -> String {
    let row_h = 26;
    let width = 520;
    let left = 140;
    let scale = (width - left - 70) as f64;
    let height = row_h * stats.len() + 30;
    let mut svg = format!("<svg id=\"rate-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"resolve rate per model with 95% intervals\">");
    for (i, s) in stats.iter().enumerate() {
        let y = i * row_h + 5;
        let rate = s.rate.unwrap_or(0.0);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\">{}</text>",
            left - 8,
            y + 15,
            esc(&s.model)
        );
        let _ = write!(
            svg,
            "<rect x=\"{left}\" y=\"{y}\" width=\"{:.1}\" height=\"18\" fill=\"#4a78c2\"/>",
            rate * scale
        );
        if let Some((lo, hi)) = s.wilson.or(s.pass_at_1.map(|(_, lo, hi)| (lo, hi))) {
            let (x1, x2) = (left as f64 + lo * scale, left as f64 + hi * scale);
            let _ = write!(svg, "<line x1=\"{x1:.1}\" x2=\"{x2:.1}\" y1=\"{yc}\" y2=\"{yc}\" stroke=\"#111\" stroke-width=\"1.5\"/><line x1=\"{x1:.1}\" x2=\"{x1:.1}\" y1=\"{a}\" y2=\"{b}\" stroke=\"#111\"/><line x1=\"{x2:.1}\" x2=\"{x2:.1}\" y1=\"{a}\" y2=\"{b}\" stroke=\"#111\"/>", yc = y + 9, a = y + 4, b = y + 14);
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
            left as f64 + rate * scale + 6.0,
            y + 14,
            pct(s.rate)
        );
    }
    let axis_y = stats.len() * row_h + 10;
    for tick in [0, 25, 50, 75, 100] {
        let x = left as f64 + tick as f64 / 100.0 * scale;
        let _ = write!(
            svg,
            "<text x=\"{x:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{tick}%</text>",
            axis_y + 12
        );
    }
    svg.push_str("</svg>");
    svg
}

fn diff_html(patch: &str) -> String {
    let mut out = String::new();
    for line in capped(patch).lines() {
        let class =
            if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") {
                ""
            } else if line.starts_with('+') {
                "add"
            } else if line.starts_with('-') {
                "del"
            } else if line.starts_with("@@") {
                "hunk"
            } else {
                ""
            };
        if class.is_empty() {
            let _ = writeln!(out, "{}", esc(line));
        } else {
            let _ = writeln!(out, "<span class=\"{class}\">{}</span>", esc(line));
        }
    }
    out
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn attempt_section(r: &AttemptRecord, artifacts: &Path) -> String {
    let id = r.key.id();
    let dir = artifacts.join(&id);
    let mut s = format!(
        "<section class=\"attempt\" id=\"a-{}\"><h2>{} &middot; {} &middot; sample {}</h2>",
        esc(&id),
        esc(&r.key.task.0),
        esc(&r.key.model),
        r.key.sample
    );
    let _ = write!(
        s,
        "<p>outcome: <span class=\"badge {}\">{}</span> &middot; {:.1} s</p>",
        outcome_class(r),
        r.outcome(),
        r.timing.total_ms as f64 / 1000.0
    );
    if let Some(e) = r.error() {
        let _ = write!(s, "<p class=\"warn\">harness error: {}</p>", esc(e));
    }
    if let Some(a) = r.apply() {
        let _ = write!(s, "<p>edit: {}</p>", esc(&super::describe_apply(a)));
    }
    if let Some(v) = r.verdict() {
        let _ = write!(s, "<h3>Tests: {} (FAIL_TO_PASS {}/{}, PASS_TO_PASS {}/{})</h3><table class=\"tests\"><tr><th>test</th><th>list</th><th>status</th></tr>", v.tests.grade, v.tests.f2p.0, v.tests.f2p.1, v.tests.p2p.0, v.tests.p2p.1);
        for t in &v.tests.tests {
            let kind = if t.kind == TestKind::FailToPass {
                "FAIL_TO_PASS"
            } else {
                "PASS_TO_PASS"
            };
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td>{kind}</td><td>{}</td></tr>",
                esc(&t.id.0),
                t.status
            );
        }
        s.push_str("</table><h3>Race detectors</h3>");
        for d in &v.detectors {
            let verdict = if d.status == DetectorStatus::Passed {
                "no race found"
            } else {
                "race found"
            };
            let _ = write!(
                s,
                "<p><b>{}</b>: {} ({}, {}, {} ms)</p>",
                esc(&d.bug.0),
                verdict,
                d.status,
                esc(&d.detail),
                d.duration_ms
            );
            let log = dir.join(Artifact::DetectorLog(d.bug.clone()).file_name());
            if let Some(text) = read(&log) {
                let _ = write!(
                    s,
                    "<pre class=\"detector-log\">{}</pre>",
                    esc(&capped(&text))
                );
            }
        }
    }
    if let Some(v) = r.verdict() {
        if !v.rules.is_empty() {
            s.push_str("<h3>Architectural rules</h3><table class=\"rules\"><tr><th>rule</th><th>status</th><th>evidence</th></tr>");
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
            s.push_str("<h3>Hygiene</h3><ul>");
            for flag in &v.hygiene {
                let _ = write!(s, "<li>{}</li>", esc(&flag.to_string()));
            }
            s.push_str("</ul>");
        }
        if !v.integrity.is_not_checked() {
            let _ = write!(s, "<h3>Integrity: {}</h3>", esc(&v.integrity.to_string()));
            if v.integrity.is_tampered() {
                s.push_str("<ul>");
                for evidence in v.integrity.evidence() {
                    let _ = write!(s, "<li>{}</li>", esc(&evidence.to_string()));
                }
                s.push_str("</ul>");
            }
        }
    }
    if let Some(patch) = read(&dir.join(Artifact::ModelPatch.file_name())).filter(|p| !p.is_empty())
    {
        let _ = write!(
            s,
            "<h3>Patch</h3><pre class=\"diff\">{}</pre>",
            diff_html(&patch)
        );
    }
    if let Some(steps) = super::trajectory::trajectory_html(&dir) {
        s.push_str(&steps);
    }
    if let Some(reply) = read(&dir.join(Artifact::Reply.file_name())).filter(|p| !p.is_empty()) {
        let _ = write!(
            s,
            "<details><summary>Reply ({} bytes)</summary><pre>{}</pre></details>",
            reply.len(),
            esc(&capped(&reply))
        );
    }
    if let Some(prompt) = read(&dir.join(Artifact::Prompt.file_name())) {
        let _ = write!(
            s,
            "<details><summary>Prompt</summary><pre>{}</pre></details>",
            esc(&capped(&prompt))
        );
    }
    if let Some(log) = read(&dir.join(Artifact::TestsLog.file_name())) {
        let _ = write!(
            s,
            "<details><summary>Test log</summary><pre>{}</pre></details>",
            esc(&capped(&log))
        );
    }
    s.push_str("<p><a href=\"#matrix\">back to the matrix</a></p></section>");
    s
}

/// Renders the page.
pub fn render_html(
    meta: &RunMeta,
    state: RunState,
    records: &[AttemptRecord],
    artifacts: &Path,
) -> String {
    let stats = model_stats(meta, records);
    let costs = super::cost::cost_rows(meta, records);
    // The policy forbids every fetch: a report that tried one would show a console error.
    let mut h = String::from("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\"><meta name=\"viewport\" content=\"width=device-width\">");
    let _ = write!(
        h,
        "<title>refbench run {}</title><style>{CSS}</style></head><body>",
        esc(&meta.run_id)
    );
    let _ = write!(
        h,
        "<h1>refbench run <code>{}</code></h1><p>{} tasks &times; {} models &times; {} samples &middot; refbench {}{} &middot; started {} &middot; sandbox: <b>{}</b>{}</p>",
        esc(&meta.run_id),
        meta.tasks.len(),
        meta.models.len(),
        meta.samples,
        esc(&meta.refbench_version),
        meta.refbench_commit.as_deref().map(|c| format!(" ({})", esc(&c[..c.len().min(12)]))).unwrap_or_default(),
        esc(&meta.created_at),
        meta.sandbox,
        meta.shard.map(|s| format!(" &middot; shard {s}")).unwrap_or_default()
    );
    if let Some(warning) = state.warning(&meta.run_id) {
        let _ = write!(
            h,
            "<p class=\"warn\" id=\"run-state\"><b>{}</b>: {}</p>",
            state.label(),
            esc(&warning)
        );
    }
    if meta.sandbox == crate::sandbox::SandboxMode::None {
        h.push_str("<p class=\"warn\">This run executed tests without a sandbox: graded code could read gold patches and hidden tests, and write anywhere.</p>");
    }
    h.push_str("<h2 id=\"leaderboard\">Leaderboard</h2><table id=\"leaderboard-table\"><tr><th>model</th><th>mode</th><th>tasks</th><th>graded</th><th>resolved</th><th>rate</th><th>95% CI</th><th>pass@1 (95% CI)</th><th>pass@k</th><th>tests FULL</th><th>race fixed</th><th>rules held</th><th>hygiene clean</th><th>tampered</th><th>edit applied (fuzzy)</th><th>tokens in/out</th><th>cost</th><th>cost / resolved</th><th>tokens / resolved</th><th>turns / resolved</th></tr>");
    let rows = super::leaderboard(meta, records);
    let checked = super::integrity_checked(records);
    for s in &stats {
        // Attempts that tried to change their grade, beside the rate they do not count in.
        let tampered = match rows.iter().find(|r| r.model == s.model) {
            Some(row) if checked => row.tampered.to_string(),
            _ => "not checked".into(),
        };
        let ci = s
            .wilson
            .map(|(lo, hi)| format!("{:.1}&ndash;{:.1}%", lo * 100.0, hi * 100.0))
            .unwrap_or_else(|| "n/a".into());
        let p1 = s
            .pass_at_1
            .map(|(m, lo, hi)| {
                format!(
                    "{:.1}% ({:.1}&ndash;{:.1}%)",
                    m * 100.0,
                    lo * 100.0,
                    hi * 100.0
                )
            })
            .unwrap_or_else(|| "n/a".into());
        let pk = s
            .pass_at_k
            .map(|(k, v)| format!("pass@{k} {:.1}%", v * 100.0))
            .unwrap_or_else(|| "n/a".into());
        let asked_none = costs
            .iter()
            .find(|c| c.model == s.model)
            .is_none_or(|c| c.not_applicable());
        let tokens = match s.tokens {
            Some((i, o)) => format!("{i} / {o}"),
            None if asked_none => "n/a".into(),
            None => "unknown".into(),
        };
        let cost = costs
            .iter()
            .find(|c| c.model == s.model)
            .map(|c| {
                if c.not_applicable() {
                    "n/a".to_string()
                } else {
                    format!(
                        "{} spent &middot; {} list &middot; known for {}",
                        c.spent(),
                        c.list(),
                        c.coverage()
                    )
                }
            })
            .unwrap_or_else(|| "n/a".into());
        let cpr = s
            .cost_per_resolved()
            .map(|c| format!("${c:.2}"))
            .unwrap_or_else(|| "n/a".into());
        let per_resolved = |x: Option<f64>| x.map_or_else(|| "n/a".into(), |v| format!("{v:.0}"));
        let mode = match s.mode {
            crate::model::tools::Mode::Single => "single",
            crate::model::tools::Mode::Agent => "agent",
        };
        let _ = write!(
            h,
            "<tr class=\"model-row\"><td>{}</td><td>{mode}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{ci}</td><td>{p1}</td><td>{pk}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{tampered}</td><td>{} ({})</td><td>{tokens}</td><td>{cost}</td><td>{cpr}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.model),
            s.tasks,
            s.graded,
            s.resolved,
            pct(s.rate),
            pct(s.tests_full),
            pct(s.races_fixed),
            pct(s.rules_held),
            pct(s.hygiene_clean),
            pct(s.applied),
            pct(s.fuzzy),
            per_resolved(s.tokens_per_resolved()),
            per_resolved(s.turns_per_resolved())
        );
    }
    h.push_str("</table><p>Resolved = hidden and visible tests all pass (FULL), every seeded race detector passes, every architectural rule holds, the edit raised no hygiene flag and nothing tried to change the grade (tampered: the clean room refused a file the edit added or changed, a canary or cross-check of the results failed, a detector did not explore, or a grader file changed while graded code ran); each dimension is shown apart. Harness errors are excluded. A model in agent mode (<code>NAME+agent</code>, <code>oracle</code>, <code>nop</code>) has its own row, never pooled with its single-shot row. 95% CI: Wilson score interval over tasks (one sample per task); pass@1: mean over tasks with a percentile bootstrap interval.</p>");
    h.push_str(&chart(&stats));
    let pairs = pair_tests(meta, records);
    if !pairs.is_empty() {
        h.push_str("<h2>Paired comparisons</h2><table id=\"pairs\"><tr><th>models</th><th>shared tasks</th><th>difference in resolve rate</th><th>test</th><th>p-value</th></tr>");
        for p in &pairs {
            let disc = p
                .discordant
                .map(|(b, c)| format!(" ({b} vs {c} discordant)"))
                .unwrap_or_default();
            let _ = write!(h, "<tr><td>{} vs {}</td><td>{}</td><td>{:+.1} pts</td><td>{}{disc}</td><td>{:.4}</td></tr>", esc(&p.a), esc(&p.b), p.tasks, p.diff * 100.0, p.method, p.p_value);
        }
        h.push_str("</table>");
    }
    h.push_str("<h2 id=\"matrix\">Tasks &times; models</h2><p class=\"legend\">");
    for (class, label) in LEGEND {
        let _ = write!(h, "<span class=\"{class}\"></span>{label}");
    }
    h.push_str("</p><table id=\"matrix-table\"><tr><th>task</th>");
    for s in &stats {
        let _ = write!(h, "<th>{}</th>", esc(&s.model));
    }
    h.push_str("</tr>");
    for task in &meta.tasks {
        let _ = write!(h, "<tr><td>{}</td>", esc(&task.0));
        for s in &stats {
            h.push_str("<td class=\"cell\">");
            for r in records
                .iter()
                .filter(|r| &r.key.task == task && r.key.model == s.model)
            {
                let _ = write!(
                    h,
                    "<a class=\"{}\" href=\"#a-{}\" title=\"sample {}: {}\"></a>",
                    outcome_class(r),
                    esc(&r.key.id()),
                    r.key.sample,
                    outcome_class(r)
                );
            }
            h.push_str("</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</table><p><label><input type=\"checkbox\" id=\"show-all\"> show every attempt below</label></p>");
    for r in records {
        h.push_str(&attempt_section(r, artifacts));
    }
    let _ = writeln!(h, "<script>{JS}</script></body></html>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_caps() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let big = "é".repeat(EMBED_CAP);
        let c = capped(&big);
        assert!(c.len() < big.len() && c.contains("bytes cut"));
    }

    #[test]
    fn diff_lines_are_coloured() {
        let html = diff_html("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old <b>\n+new\n");
        assert!(html.contains("<span class=\"del\">-old &lt;b&gt;</span>"));
        assert!(html.contains("<span class=\"add\">+new</span>"));
        assert!(html.contains("<span class=\"hunk\">"));
    }
}
