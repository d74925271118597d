//! The report files of a run: report.html in headless Chromium (no console errors, no network
//! request, the DOM holds the leaderboard, the matrix and a drill-down page; a screenshot is
//! kept in the run directory), junit.xml against the JUnit schema, summary.md as a table,
//! predictions.jsonl in SWE-bench's shape, and `refbench report` / `compare`.

mod common;

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

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
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

    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (apt-get install chromium): .ci/run does"
        );
        eprintln!("skipping the browser half: no chromium here (apt-get install chromium)");
        return;
    };
    let profile = tempfile::tempdir().unwrap();
    let browse = |page: &Path, fragment: &str, extra: &[String]| {
        let mut cmd = Command::new(&browser);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}{fragment}", page.display()));
        cmd.output().unwrap()
    };
    let dump = [
        "--virtual-time-budget=3000".to_string(),
        "--dump-dom".to_string(),
    ];
    let console = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .filter(|l| {
                l.contains("CONSOLE")
                    || l.contains("Uncaught")
                    || l.contains("Content Security Policy")
            })
            .map(str::to_string)
            .collect()
    };

    // The report carries a policy refusing every fetch, so a request would be a console error.
    // Control: the same page with an external image must produce one, or the check is blind.
    let tampered = dir.join("tampered.html");
    std::fs::write(
        &tampered,
        html.replace(
            "</body>",
            "<img src=\"http://127.0.0.1:9/pixel.png\"></body>",
        ),
    )
    .unwrap();
    let out = browse(&tampered, "", &dump);
    assert!(
        !console(&text(&out.stderr)).is_empty(),
        "a blocked request was not reported; the console check would miss real ones:\n{}",
        text(&out.stderr)
    );
    std::fs::remove_file(&tampered).unwrap();

    let out = browse(&html_path, "#a-mini__add-sub__gold__s0", &dump);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        text(&out.stderr)
    );
    let dom = text(&out.stdout);
    let messages = console(&text(&out.stderr));
    assert!(
        messages.is_empty(),
        "console messages from report.html: {messages:?}"
    );
    // The DOM after scripts ran: two leaderboard rows, a matrix cell per task and model with a
    // link per sample, and the drill-down section of the targeted attempt.
    assert_eq!(dom.matches("class=\"model-row\"").count(), 2, "{dom}");
    assert_eq!(dom.matches("<td class=\"cell\">").count(), 2);
    assert_eq!(dom.matches("href=\"#a-mini__add-sub__").count(), 4);
    assert!(dom.contains("id=\"a-mini__add-sub__gold__s0\""));
    assert!(dom.contains("detector-log"));
    // The rule dimension with its result (gold defines calc.ops.sub).
    assert!(
        dom.contains("<tr class=\"rule-holds\"><td><b>sub-in-ops</b>"),
        "{dom}"
    );
    assert!(dom.contains("id=\"rate-chart\""));
    // A screenshot next to the report, for people (CI keeps the run directory as an artifact).
    let shot = dir.join("report.png");
    let out = browse(
        &html_path,
        "",
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600".to_string(),
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
