//! The report files of a run: report.html and the attempts' own pages in headless Chromium (no
//! console errors, no network request; the DOM holds the leaderboard, the matrix, the attempts
//! table with its filters, and on an attempt's page the failing tests first and gold's diff; a
//! screenshot is kept in the run directory), junit.xml against the JUnit schema, summary.md as a table,
//! predictions.jsonl in SWE-bench's shape, and `refbench report` / `compare`.

#[path = "common/browser.rs"]
mod browser;
mod common;
#[path = "common/synthetic.rs"]
mod synthetic;

use browser::{console, Browser, DUMP};

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{mini_project, project_root, refbench_in, shared_cache, text};

fn run_dir(root: &Path) -> PathBuf {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(root.join("runs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    runs.sort();
    runs.pop().unwrap()
}

fn finished_run() -> (tempfile::TempDir, PathBuf) {
    let project = mini_project();
    let out = refbench_in(project.path(), &["run", "--samples", "2"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = run_dir(project.path());
    (project, dir)
}

/// A copy of `html` as `dir/NAME.html` with `extra` put just before `</body>`.
fn with_before_body_end(dir: &Path, html: &str, name: &str, extra: &str) -> PathBuf {
    let path = dir.join(format!("{name}.html"));
    std::fs::write(&path, html.replace("</body>", &format!("{extra}</body>"))).unwrap();
    path
}

#[test]
fn html_report_is_self_contained_and_renders_in_headless_chromium() {
    let (_project, dir) = finished_run();
    let html_path = dir.join("report.html");
    let html = std::fs::read_to_string(&html_path).unwrap();
    // Static: nothing that would load from elsewhere.
    for needle in [
        "src=",
        "<link",
        "@import",
        "url(",
        "https://",
        "http://cdn",
        "<iframe",
    ] {
        assert!(!html.contains(needle), "report.html contains {needle:?}");
    }
    assert_eq!(
        html.matches("http://").count(),
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
        "only the SVG namespace may mention http"
    );

    let Some(browser) = Browser::find() else {
        return;
    };

    // The report carries a policy refusing every fetch, so a request would be a console error.
    // Control: the same page with an external image must produce one, or the check is blind.
    let tampered = with_before_body_end(
        &dir,
        &html,
        "tampered",
        "<img src=\"http://127.0.0.1:9/pixel.png\">",
    );
    let out = browser.open(&tampered, "", &DUMP);
    assert!(
        !console(&text(&out.stderr)).is_empty(),
        "a blocked request was not reported; the console check would miss real ones:\n{}",
        text(&out.stderr)
    );
    std::fs::remove_file(&tampered).unwrap();

    let (dom, messages) = browser.dump(&html_path);
    assert!(
        messages.is_empty(),
        "console messages from report.html: {messages:?}"
    );
    // The DOM after scripts ran: two leaderboard rows, a matrix cell per task and model with a
    // link per sample, one row per attempt linking to its page, the filters shown.
    assert_eq!(dom.matches("class=\"model-row\"").count(), 2, "{dom}");
    assert_eq!(dom.matches("<td class=\"cell\">").count(), 2);
    assert_eq!(dom.matches("href=\"report/mini__add-sub__").count(), 8);
    assert_eq!(dom.matches("<tr id=\"row-mini__add-sub__").count(), 4);
    assert!(dom.contains("4 of 4 attempts shown"), "{dom}");
    assert!(
        !dom.contains("id=\"filters\" hidden"),
        "the script did not run"
    );
    assert!(dom.contains("id=\"rate-chart\""));

    // The filters and sorting work: choose model gold, then sort by sample twice (descending).
    let scripted = with_before_body_end(
        &dir,
        &html,
        "scripted",
        "<script>var s=document.querySelector('select[data-col=\"1\"]');s.value='gold';s.dispatchEvent(new Event('change'));var th=document.querySelector('#attempts-table th:nth-child(3)');th.click();th.click();</script>",
    );
    let (dom, messages) = browser.dump(&scripted);
    std::fs::remove_file(&scripted).unwrap();
    assert!(messages.is_empty(), "{messages:?}");
    assert!(dom.contains("2 of 4 attempts shown"), "{dom}");
    assert_eq!(
        dom.matches("<tr id=\"row-mini__add-sub__empty__s").count(),
        2
    );
    assert_eq!(
        dom.matches("hidden=\"\"><td>mini/add-sub</td><td>empty</td>")
            .count(),
        2,
        "{dom}"
    );
    let (s1, s0) = (
        dom.find("row-mini__add-sub__gold__s1").unwrap(),
        dom.find("row-mini__add-sub__gold__s0").unwrap(),
    );
    assert!(s1 < s0, "sorted by sample, descending");

    // The attempts' own pages: each opens without a console message and links back.
    let page = |id: &str| dir.join("report").join(format!("{id}.html"));
    for id in ["mini__add-sub__gold__s0", "mini__add-sub__empty__s1"] {
        let html = std::fs::read_to_string(page(id)).unwrap();
        for needle in [
            "src=", "<link", "@import", "url(", "https://", "http://", "<iframe",
        ] {
            assert!(!html.contains(needle), "{id}.html contains {needle:?}");
        }
        assert!(html.contains(&format!("href=\"../report.html#row-{id}\"")));
    }
    let (dom, messages) = browser.dump(&page("mini__add-sub__gold__s0"));
    assert!(messages.is_empty(), "{messages:?}");
    assert!(dom.contains("detector-log"));
    // The rule dimension with its result (gold defines calc.ops.sub).
    assert!(
        dom.contains("<tr class=\"rule-holds\"><td><b>sub-in-ops</b>"),
        "{dom}"
    );
    // empty's page: the failing tests first and highlighted, gold's diff beside its (none).
    let (dom, messages) = browser.dump(&page("mini__add-sub__empty__s1"));
    assert!(messages.is_empty(), "{messages:?}");
    let why = dom.find("id=\"why\"").unwrap();
    let failing = dom.find("<tr class=\"fail\">").unwrap();
    let diffs = dom.find("id=\"diffs\"").unwrap();
    let logs = dom.find("id=\"logs\"").unwrap();
    assert!(why < failing && failing < diffs && diffs < logs, "{dom}");
    assert!(
        dom.contains("id=\"gold-diff\""),
        "the run's gold attempt gives gold"
    );
    assert!(dom[why..].contains("failing: "), "{dom}");
    // A screenshot next to the report, for people (CI keeps the run directory as an artifact).
    let shot = dir.join("report.png");
    let out = browser.open(
        &html_path,
        "",
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600",
        ],
    );
    assert!(
        out.status.success() && shot.is_file(),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn junit_summary_and_predictions() {
    let (_project, dir) = finished_run();
    // junit.xml against the JUnit schema, with the pinned xmlschema package.
    let bin = refbench::toolchain::pyenv::prepare_env_from(
        &project_root().join("harness/python/requirements-dev.txt"),
        &refbench::cache::CacheLayout::new(shared_cache()),
    )
    .unwrap();
    let check = "import sys, xmlschema\nschema = xmlschema.XMLSchema(sys.argv[1])\nschema.validate(sys.argv[2])\nprint('valid')\n";
    let out = Command::new(bin.join("python3"))
        .arg("-c")
        .arg(check)
        .arg(project_root().join("tests/data/junit.xsd"))
        .arg(dir.join("junit.xml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert_eq!(
        junit.matches("<testcase ").count(),
        2,
        "one testcase per task and model"
    );
    assert!(junit.contains("classname=\"empty\" name=\"mini/add-sub\""));
    // The tampered attempts of each model (none here), as suite properties the schema accepts.
    assert!(
        junit.contains("<property name=\"tampered:gold\" value=\"0\"/>"),
        "{junit}"
    );
    assert!(junit.contains("<failure message=\"tests NO"));
    // empty leaves the rule broken, with the evidence.
    assert!(
        junit.contains("rules broken: sub-in-ops (no definition of calc.ops.sub in the tree)"),
        "{junit}"
    );

    // summary.md is a GitHub table.
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    let header = md.lines().find(|l| l.starts_with("| model |")).unwrap();
    let rule = md
        .lines()
        .skip_while(|l| !l.starts_with("| model |"))
        .nth(1)
        .unwrap();
    assert_eq!(header.matches('|').count(), rule.matches('|').count());
    assert!(rule.starts_with("|---|"));
    assert!(md.len() < 1024 * 1024);

    // predictions.jsonl: SWE-bench's keys, the gold patch for gold.
    let preds = std::fs::read_to_string(dir.join("predictions.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = preds
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let gold = lines
        .iter()
        .find(|p| p["model_name_or_path"] == "gold")
        .unwrap();
    assert_eq!(gold["instance_id"], "mini/add-sub");
    assert!(gold["model_patch"]
        .as_str()
        .unwrap()
        .contains("def sub(a, b):"));
    // The record itself does not carry the patch a second time.
    let jsonl = std::fs::read_to_string(dir.join("attempts.jsonl")).unwrap();
    assert!(!jsonl.contains("def sub(a, b):"));
}

#[test]
fn report_regenerates_and_compare_shows_changes() {
    let project = mini_project();
    let root = project.path();
    assert!(refbench_in(root, &["run", "--model", "gold"])
        .status
        .success());
    let first = run_dir(root);
    std::fs::remove_file(first.join("report.html")).unwrap();
    let out = refbench_in(
        root,
        &["report", first.file_name().unwrap().to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(first.join("report.html").is_file());

    // Break the gold patch's race fix: the second run's gold no longer resolves.
    let gold_path = root.join("repos-fixtures/mini/tasks/add-sub/gold.patch");
    let gold = std::fs::read_to_string(&gold_path).unwrap();
    let only_ops: String = gold
        .split("diff --git")
        .filter(|p| p.contains("calc/ops.py"))
        .map(|p| format!("diff --git{p}"))
        .collect();
    std::fs::write(&gold_path, only_ops).unwrap();
    assert!(refbench_in(root, &["run", "--model", "gold"])
        .status
        .success());
    let second = run_dir(root);
    let out = refbench_in(
        root,
        &[
            "compare",
            first.file_name().unwrap().to_str().unwrap(),
            second.file_name().unwrap().to_str().unwrap(),
        ],
    );
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        shown.contains("resolved (FULL, race fixed)")
            && shown.contains("unresolved (FULL, race present)"),
        "{shown}"
    );
    assert!(shown.contains("1 changed, 0 unchanged"), "{shown}");
}

/// A 5,000-attempt run (171 tests per verdict, a few KB of logs per attempt): report.html stays
/// under 10 MB and renders in headless Chromium without a console message; every attempt has
/// its page, linked from its row and linking back. How long Chromium takes to open it is
/// measured by `cargo bench --bench report`, never asserted here.
#[test]
fn report_of_5000_attempts_stays_small_and_renders() {
    const ATTEMPTS: usize = 5000;
    let runs = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let dir = synthetic::synthetic_run(runs.path(), ATTEMPTS);
    eprintln!("store written in {:.1} s", started.elapsed().as_secs_f64());
    let store = refbench::store::RunStore::open(runs.path(), synthetic::RUN_ID).unwrap();
    let records = store.attempts().unwrap();
    assert_eq!(records.len(), ATTEMPTS);
    assert!(records
        .iter()
        .all(|r| r.verdict().is_none_or(|v| v.tests.tests.len() == 171)));
    let started = std::time::Instant::now();
    refbench::report::write_reports(&store).unwrap();
    eprintln!(
        "reports written in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let html_path = dir.join("report.html");
    let size = std::fs::metadata(&html_path).unwrap().len();
    eprintln!("report.html for {ATTEMPTS} attempts: {size} bytes");
    assert!(size < 10 * 1024 * 1024, "report.html is {size} bytes");
    let pages: u64 = std::fs::read_dir(dir.join("report"))
        .unwrap()
        .flatten()
        .map(|e| e.metadata().unwrap().len())
        .sum();
    eprintln!("attempt pages: {pages} bytes in all");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert_eq!(html.matches("<tr id=\"row-").count(), ATTEMPTS);
    let linked: std::collections::HashSet<&str> = html
        .split("<a href=\"report/")
        .skip(1)
        .filter_map(|rest| rest.split_once(".html\">").map(|(id, _)| id))
        .collect();
    for r in &records {
        let id = r.key.id();
        let page = dir.join("report").join(format!("{id}.html"));
        let body =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(
            body.contains(&format!("href=\"../report.html#row-{id}\"")),
            "{id}.html does not link back"
        );
        assert!(linked.contains(id.as_str()), "no row links to {id}.html");
    }
    // The reasons in the table: failing tests first, the detector's own line for a race.
    assert!(
        html.contains("10 failing: tests/"),
        "a row names the failing tests"
    );
    assert!(html.contains(" +7 more</a>"));
    assert!(html.contains("race found: refbench_race: invariant violated in schedule #13"));
    // Gold's diff beside the model's on a page of another model.
    let other = records.iter().find(|r| r.key.model == "model-a").unwrap();
    let page = std::fs::read_to_string(dir.join("report").join(format!("{}.html", other.key.id())))
        .unwrap();
    assert!(page.contains("id=\"gold-diff\"") && page.contains("id=\"model-diff\""));

    let Some(browser) = Browser::find() else {
        return;
    };
    let (dom, messages) = browser.dump(&html_path);
    assert!(messages.is_empty(), "console messages: {messages:?}");
    assert_eq!(dom.matches("<tr id=\"row-").count(), ATTEMPTS);
    assert!(dom.contains(&format!("{ATTEMPTS} of {ATTEMPTS} attempts shown")));
    let (_, messages) = browser.dump(&dir.join("report").join(format!("{}.html", other.key.id())));
    assert!(messages.is_empty(), "console messages: {messages:?}");
}
