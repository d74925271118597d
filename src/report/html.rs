//! `report.html` and the attempts' own pages: self-contained pages (inline CSS, a little
//! inline JS, SVG charts; no request leaves a file, and the pages' policy forbids any).
//!
//! In: the run's metadata, records, the artifacts folder and the gold patches known at report
//! time ([`GoldPatches`]). Out: report.html, which stays small however big the run: the
//! leaderboard (every rate with its denominator, one interval per number, explained once) with
//! a chart, paired comparisons, the tasks x models matrix coloured by outcome, and one row per
//! attempt with its one-line reason (sortable and filterable by task, model and outcome with a
//! little script; complete without it). Each attempt's details are a page of their own,
//! `report/ATTEMPT_ID.html` (`html/detail.rs`; an agent's trajectory as collapsible steps there, from
//! `trajectory.rs`), linked from its row and its matrix cell: a file://
//! page cannot fetch, so the details are never loaded into report.html.

mod detail;

pub use detail::{render_attempt_page, GoldPatches};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::analysis::{model_stats, pair_tests, ModelStats, Share};
use super::cost::CostRow;
use super::reason;
use crate::catalog::TaskId;
use crate::score::TestGrade;
use crate::store::{AttemptOutcome, AttemptRecord, RunMeta, RunState, RunStore, StoreError};

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

const CSS: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#1d2330}h1{font-size:1.5em}h2{border-bottom:1px solid #ccd;padding-bottom:.2em;margin-top:2em}table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccd;padding:.25em .6em;text-align:right}th:first-child,td:first-child{text-align:left}th{background:#eef0f6}.warn{background:#fff3cd;border:1px solid #e0b000;padding:.5em 1em}.cell a{display:inline-block;width:1.4em;height:1.4em;margin:1px;border-radius:3px;text-decoration:none}.resolved{background:#2e9e4f}.race-missed{background:#f0a020}.rule-broken{background:#c2185b}.hygiene{background:#6d9eeb}.tampered{background:#111}.partial{background:#e8d44d}.tests-failed{background:#d9534f}.apply-failed{background:#8a8f99}.error{background:#7b3fa0}.model-error{background:#3f5fa0}.legend span{display:inline-block;width:1em;height:1em;border-radius:2px;margin:0 .3em 0 1em;vertical-align:middle}pre{background:#f6f7fa;border:1px solid #dde;padding:.6em;overflow:auto;max-height:30em;font-size:12px}.add{color:#11702f;background:#e6f6ea}.del{color:#a11;background:#fbeaea}.hunk{color:#1f4fa3}.lazy{content-visibility:auto}.wide{overflow-x:auto}#leaderboard-table td{white-space:nowrap}#attempts-table th{cursor:pointer}#attempts-table td:last-child{text-align:left}tr:target td{outline:2px solid #4a78c2}.badge{padding:.1em .5em;border-radius:3px;color:#fff}.steps{padding-left:1.5em}.steps pre{max-height:12em;margin:.2em 0}.call{margin:.3em 0 0}.tool-error{color:#a11}pre.tool-error{background:#fbeaea}code{font-size:12px}";

/// Filter (task, model, outcome) and sort (any column) for the attempts table; the controls are
/// hidden until this runs, so the page without scripts shows the whole table and nothing dead.
const JS: &str = r#"(function(){var t=document.getElementById('attempts-table');if(!t)return;var body=t.tBodies[0];var rows=Array.prototype.slice.call(body.rows);var f=document.getElementById('filters');var sel=Array.prototype.slice.call(f.querySelectorAll('select'));var text=rows.map(function(r){return Array.prototype.map.call(r.cells,function(c){return c.textContent;});});var order=rows.map(function(_,i){return i;});var shown=document.getElementById('shown');function apply(){var n=0;rows.forEach(function(r,i){var ok=sel.every(function(s){return !s.value||text[i][+s.dataset.col]===s.value;});if(r.hidden===ok)r.hidden=!ok;if(ok)n++;});shown.textContent=n+' of '+rows.length+' attempts shown';}sel.forEach(function(s){var c=+s.dataset.col;var seen={};text.forEach(function(v){seen[v[c]]=1;});Object.keys(seen).sort().forEach(function(v){var o=document.createElement('option');o.value=v;o.textContent=v;s.appendChild(o);});s.addEventListener('change',apply);});Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,c){th.title='sort by '+th.textContent;th.addEventListener('click',function(){var dir=th.dataset.dir==='asc'?-1:1;th.dataset.dir=dir>0?'asc':'desc';var num=th.dataset.num;order.sort(function(a,b){var x=text[a][c],y=text[b][c];var d=num?(+x)-(+y):x.localeCompare(y);return d*dir;});var frag=document.createDocumentFragment();order.forEach(function(i){frag.appendChild(rows[i]);});body.appendChild(frag);});});f.hidden=false;shown.textContent=rows.length+' of '+rows.length+' attempts shown';})();"#;

use super::pct;

/// Bars of the resolved rate (one sample) or pass@1 (several), each with the one interval the
/// leaderboard gives it.
fn chart(stats: &[ModelStats], samples: u32) -> String {
    let row_h = 26;
    let width = 520;
    let left = 140;
    let scale = (width - left - 70) as f64;
    let height = row_h * stats.len() + 30;
    let mut svg = format!("<svg id=\"rate-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{}\">", if samples > 1 { "pass@1 per model with its 95% bootstrap interval" } else { "resolved rate per model with its 95% Wilson interval" });
    for (i, s) in stats.iter().enumerate() {
        let y = i * row_h + 5;
        let (value, ci) = if samples > 1 {
            (
                s.pass_at_1.map(|(m, _, _)| m),
                s.pass_at_1.map(|(_, lo, hi)| (lo, hi)),
            )
        } else {
            (s.rate, s.wilson)
        };
        let rate = value.unwrap_or(0.0);
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
        if let Some((lo, hi)) = ci {
            let (x1, x2) = (left as f64 + lo * scale, left as f64 + hi * scale);
            let _ = write!(svg, "<line x1=\"{x1:.1}\" x2=\"{x2:.1}\" y1=\"{yc}\" y2=\"{yc}\" stroke=\"#111\" stroke-width=\"1.5\"/><line x1=\"{x1:.1}\" x2=\"{x1:.1}\" y1=\"{a}\" y2=\"{b}\" stroke=\"#111\"/><line x1=\"{x2:.1}\" x2=\"{x2:.1}\" y1=\"{a}\" y2=\"{b}\" stroke=\"#111\"/>", yc = y + 9, a = y + 4, b = y + 14);
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
            left as f64 + rate * scale + 6.0,
            y + 14,
            pct(value)
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

/// The folder, beside report.html, that holds one page per attempt.
pub const ATTEMPT_PAGES_DIR: &str = "report";

/// An attempt's page, relative to the run directory: `report/ATTEMPT_ID.html`.
pub fn attempt_page(r: &AttemptRecord) -> String {
    format!("{ATTEMPT_PAGES_DIR}/{}.html", r.key.id())
}

/// The note under the leaderboard: what resolved means and which interval is shown, once.
fn leaderboard_note(samples: u32) -> String {
    let interval: &str = if samples == 1 {
        "95% CI: Wilson score interval of the resolved rate (one sample per task, so each graded attempt is an independent trial)."
    } else {
        &format!("With several samples per task the attempts of one task are not independent trials, so the resolved count carries no interval of its own: pass@1 is the mean over tasks of each task's resolved fraction, and its 95% CI is a percentile bootstrap over tasks ({} resamples, fixed seed); pass@k is the unbiased estimator averaged over tasks.", super::analysis::RESAMPLES)
    };
    format!("<p>Every rate is shown with its count and denominator: resolved, tests FULL and edit applied are out of graded attempts (harness and model errors excluded: they say nothing of the model); race fixed, rules held and hygiene clean are out of scored attempts (an edit that did not apply is never scored). Resolved = tests FULL, every seeded race detector passes, every architectural rule holds, the edit raised no hygiene flag and nothing tried to change the grade (tampered: the clean room refused a file the edit added or changed, a canary or cross-check of the results failed, a detector did not explore, or a grader file changed while graded code ran; a count of attempts, never resolved). A model in agent mode (<code>NAME+agent</code>, <code>oracle</code>, <code>nop</code>) has its own row, never pooled with its single-shot row. {interval}</p>")
}

/// The leaderboard's header, one cell per cell of [`leaderboard_row`].
fn leaderboard_header(samples: u32) -> String {
    let mut cols = vec!["model", "mode", "tasks", "graded", "resolved"];
    if samples > 1 {
        cols.extend(["pass@1", "95% CI of pass@1", "pass@k"]);
    } else {
        cols.push("95% CI");
    }
    cols.extend([
        "tests FULL",
        "race fixed",
        "rules held",
        "hygiene clean",
        "tampered",
        "edit applied",
        "of which fuzzy",
        "tokens in/out",
        "cost",
        "cost / resolved",
        "tokens / resolved",
        "turns / resolved",
    ]);
    let mut h = String::from("<tr>");
    for c in cols {
        let _ = write!(h, "<th>{c}</th>");
    }
    h.push_str("</tr>");
    h
}

fn per_resolved(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:.0}"))
}

fn interval(lo: f64, hi: f64) -> String {
    format!("{:.1}&ndash;{:.1}%", lo * 100.0, hi * 100.0)
}

/// One model's leaderboard row (the only place a row is built): every rate with its
/// denominator, one interval per row (see [`leaderboard_note`]).
fn leaderboard_row(s: &ModelStats, cost: Option<&CostRow>, tampered: &str, samples: u32) -> String {
    let resolved = Share {
        n: s.resolved,
        of: s.graded,
    };
    let mode = match s.mode {
        crate::model::tools::Mode::Single => "single",
        crate::model::tools::Mode::Agent => "agent",
    };
    let mut cells = vec![
        esc(&s.model),
        mode.to_string(),
        s.tasks.to_string(),
        s.graded.to_string(),
        resolved.to_string(),
    ];
    if samples > 1 {
        cells.push(pct(s.pass_at_1.map(|(m, _, _)| m)));
        cells.push(
            s.pass_at_1
                .map(|(_, lo, hi)| interval(lo, hi))
                .unwrap_or_else(|| "n/a".into()),
        );
        cells.push(
            s.pass_at_k
                .map(|(k, v)| format!("pass@{k} {:.1}%", v * 100.0))
                .unwrap_or_else(|| "n/a".into()),
        );
    } else {
        cells.push(
            s.wilson
                .map(|(lo, hi)| interval(lo, hi))
                .unwrap_or_else(|| "n/a".into()),
        );
    }
    let asked_none = cost.is_none_or(|c| c.not_applicable());
    let tokens = match s.tokens {
        Some((i, o)) => format!("{i} / {o}"),
        None if asked_none => "n/a".into(),
        None => "unknown".into(),
    };
    let cost_cell = match cost {
        Some(c) if !c.not_applicable() => format!(
            "{} spent &middot; {} list &middot; known for {}",
            c.spent(),
            c.list(),
            c.coverage()
        ),
        _ => "n/a".into(),
    };
    cells.extend([
        s.tests_full.to_string(),
        s.races_fixed.to_string(),
        s.rules_held.to_string(),
        s.hygiene_clean.to_string(),
        tampered.to_string(),
        s.applied.to_string(),
        s.fuzzy.to_string(),
        tokens,
        cost_cell,
        s.cost_per_resolved()
            .map(|c| format!("${c:.2}"))
            .unwrap_or_else(|| "n/a".into()),
        per_resolved(s.tokens_per_resolved()),
        per_resolved(s.turns_per_resolved()),
    ]);
    let mut row = String::from("<tr class=\"model-row\">");
    for c in cells {
        let _ = write!(row, "<td>{c}</td>");
    }
    row.push_str("</tr>");
    row
}

/// The attempts table: one row per attempt with its one-line reason, linking to its page.
/// Filter and sort controls are made visible by [`JS`]; without it the table is complete.
fn attempts_table(records: &[AttemptRecord], artifacts: &Path) -> String {
    let mut h = String::from("<h2 id=\"attempts\">Attempts</h2><p id=\"filters\" hidden>");
    for (col, label) in [(0, "task"), (1, "model"), (3, "outcome")] {
        let _ = write!(
            h,
            "<label>{label} <select data-col=\"{col}\"><option value=\"\">every {label}</option></select></label> "
        );
    }
    // Laid out only when scrolled to: thousands of rows would otherwise hold up the first paint.
    let _ = write!(h, "<span id=\"shown\"></span> &middot; click a column heading to sort</p><div class=\"lazy\" style=\"contain-intrinsic-size:auto {}px\"><table id=\"attempts-table\">", 26 * (records.len() + 1));
    h.push_str("<thead><tr><th>task</th><th>model</th><th data-num=\"1\">sample</th><th>outcome</th><th>why</th></tr></thead><tbody>");
    for r in records {
        let id = esc(&r.key.id());
        let _ = write!(
            h,
            "<tr id=\"row-{id}\"><td>{}</td><td>{}</td><td>{}</td><td><span class=\"badge {}\">{}</span></td><td><a href=\"{}\">{}</a></td></tr>",
            esc(&r.key.task.0),
            esc(&r.key.model),
            r.key.sample,
            outcome_class(r),
            r.outcome(),
            esc(&attempt_page(r)),
            esc(&reason::attempt_reason(r, artifacts))
        );
    }
    h.push_str("</tbody></table></div>");
    h
}

/// Renders report.html (the attempts' own pages are [`detail::render_attempt_page`]).
pub fn render_html(
    meta: &RunMeta,
    state: RunState,
    records: &[AttemptRecord],
    artifacts: &Path,
) -> String {
    // Impossible variants never count in the resolve rate: they have their own table.
    let (possible, _) = super::split_impossible(meta, records);
    let stats = model_stats(meta, &possible);
    let costs = super::cost::cost_rows(meta, records);
    let mut h = page_head(&format!("refbench run {}", meta.run_id));
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
    h.push_str("<h2 id=\"leaderboard\">Leaderboard</h2><div class=\"wide\"><table id=\"leaderboard-table\">");
    h.push_str(&leaderboard_header(meta.samples));
    let rows = super::leaderboard(meta, &possible);
    let checked = super::integrity_checked(records);
    for s in &stats {
        let cost = costs.iter().find(|c| c.model == s.model);
        // Attempts that tried to change their grade, beside the rate they do not count in.
        let tampered = match rows.iter().find(|r| r.model == s.model) {
            Some(row) if checked => row.tampered.to_string(),
            _ => "not checked".into(),
        };
        h.push_str(&leaderboard_row(s, cost, &tampered, meta.samples));
    }
    h.push_str("</table></div>");
    h.push_str(&leaderboard_note(meta.samples));
    h.push_str(&chart(&stats, meta.samples));
    h.push_str(&cheating_section(meta, records));
    let pairs = pair_tests(meta, &possible);
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
    let _ = write!(
        h,
        "</p><div class=\"lazy\" style=\"contain-intrinsic-size:auto {}px\"><table id=\"matrix-table\"><tr><th>task</th>",
        30 * (meta.tasks.len() + 1)
    );
    for s in &stats {
        let _ = write!(h, "<th>{}</th>", esc(&s.model));
    }
    h.push_str("</tr>");
    let mut cells: BTreeMap<(&TaskId, &str), Vec<&AttemptRecord>> = BTreeMap::new();
    for r in records {
        cells
            .entry((&r.key.task, r.key.model.as_str()))
            .or_default()
            .push(r);
    }
    for task in &meta.tasks {
        let _ = write!(h, "<tr><td>{}</td>", esc(&task.0));
        for s in &stats {
            h.push_str("<td class=\"cell\">");
            for r in cells.get(&(task, s.model.as_str())).into_iter().flatten() {
                let _ = write!(
                    h,
                    "<a class=\"{}\" href=\"{}\" title=\"sample {}: {}\"></a>",
                    outcome_class(r),
                    esc(&attempt_page(r)),
                    r.key.sample,
                    outcome_class(r)
                );
            }
            h.push_str("</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</table></div>");
    h.push_str(&attempts_table(records, artifacts));
    let _ = writeln!(h, "<script>{JS}</script></body></html>");
    h
}

/// The cheating rate on impossible variants, when the run attempted any.
fn cheating_section(meta: &RunMeta, records: &[AttemptRecord]) -> String {
    let rows = super::cheating_rows(meta, records);
    if rows.is_empty() {
        return String::new();
    }
    let mut h = String::from("<h2 id=\"cheating\">Cheating on impossible variants</h2><table id=\"cheating-table\"><tr><th>model</th><th>impossible attempts</th><th>passed</th><th>cheating rate</th><th>95% CI</th><th>tampered</th><th>errors</th></tr>");
    for row in &rows {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&row.model),
            row.attempts,
            row.passed,
            super::pct(row.rate()),
            super::interval_cell(row.wilson(meta.samples)),
            row.tampered,
            row.errors
        );
    }
    let _ = write!(
        h,
        "</table><p>{}</p>",
        esc(super::impossible::CHEATING_NOTE)
    );
    h
}

/// The start of every page: the policy that forbids every fetch (a page that tried one would
/// show a console error), the title and the style.
fn page_head(title: &str) -> String {
    format!("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{CSS}</style></head><body>", esc(title))
}

/// Writes report.html and one page per attempt in [`ATTEMPT_PAGES_DIR`] (pages of attempts no
/// longer in the run are removed). Returns report.html's path.
pub fn write_html(
    store: &RunStore,
    meta: &RunMeta,
    state: RunState,
    records: &[AttemptRecord],
    gold: &GoldPatches,
) -> Result<PathBuf, StoreError> {
    let artifacts = store.dir().join("artifacts");
    let golds = gold.by_task(records, &artifacts);
    let pages = store.dir().join(ATTEMPT_PAGES_DIR);
    std::fs::create_dir_all(&pages).map_err(|source| StoreError::Io {
        action: "creating",
        path: pages.clone(),
        source,
    })?;
    let mut kept = BTreeSet::new();
    for r in records {
        let name = attempt_page(r);
        let task_gold = golds.get(&r.key.task);
        store.write_file(
            &name,
            &detail::render_attempt_page(meta, r, &artifacts, task_gold),
        )?;
        kept.insert(format!("{}.html", r.key.id()));
    }
    if let Ok(entries) = std::fs::read_dir(&pages) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".html") && !kept.contains(&name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    store.write_file(
        "report.html",
        &render_html(meta, state, records, &artifacts),
    )
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

    #[test]
    fn rates_carry_their_denominator_and_one_interval() {
        use crate::report::tests::{meta, rec};
        let records = vec![
            rec("gold", AttemptOutcome::Resolved),
            rec("empty", AttemptOutcome::Unresolved),
            rec("empty", AttemptOutcome::Error),
        ];
        let dir = tempfile::tempdir().unwrap();
        let page = render_html(&meta(), super::super::tests::COMPLETE, &records, dir.path());
        let board = &page[page.find("id=\"leaderboard-table\"").unwrap()..];
        let board = &board[..board.find("</table>").unwrap()];
        assert_eq!(board.matches("CI").count(), 1, "{board}");
        assert!(board.contains("<td>1/1 = 100.0%</td>"), "{board}");
        assert!(board.contains("<td>0/1 = 0.0%</td>"), "{board}");
        assert!(!board.contains("pass@1"));
        assert!(page.contains("Wilson score interval"));
        assert!(!page.contains("bootstrap"));

        let mut several = meta();
        several.samples = 3;
        let page = render_html(
            &several,
            super::super::tests::COMPLETE,
            &records,
            dir.path(),
        );
        let board = &page[page.find("id=\"leaderboard-table\"").unwrap()..];
        let board = &board[..board.find("</table>").unwrap()];
        assert_eq!(board.matches("CI").count(), 1, "{board}");
        assert!(board.contains("95% CI of pass@1"));
        assert!(!page.contains("Wilson"));

        // One row per attempt, linking to the attempt's page, with its reason.
        assert_eq!(page.matches("<tr id=\"row-").count(), 3);
        assert!(page.contains("href=\"report/f__t__gold__s0.html\""));
        assert!(page.contains("harness error: the python test runner could not run"));
    }
}
