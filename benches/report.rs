//! report.html at scale: how long writing the reports of a big run takes, and how long headless
//! Chromium takes to open the page.
//!
//! It writes a synthetic run of `REFBENCH_BENCH_ATTEMPTS` attempts (default 5,000; the store of
//! tests/common/synthetic.rs: 171 tests per verdict, a few KB of real logs per attempt) in a
//! scratch folder, then:
//! 1. times `report::write_reports` (summary.md, report.html and one page per attempt,
//!    junit.xml, predictions.jsonl) three times and prints the sizes;
//! 2. if Chromium is installed, times `chromium --headless --dump-dom` on report.html five
//!    times (the target: open in under 3 s), on one attempt's page, and on an empty
//!    page (the browser's own start-up, to subtract).
//!
//! `cargo bench --bench report` (add `--profile dev` to reuse a debug build: Chromium's figures
//! do not depend on it, the write times do). `REFBENCH_BENCH_KEEP=FILE` keeps a copy of the
//! report.html it wrote. Speed is printed, never asserted.

#[path = "../tests/common/browser.rs"]
mod browser;
#[path = "../tests/common/synthetic.rs"]
mod synthetic;

use std::path::Path;
use std::time::{Duration, Instant};

use browser::Browser;

const CHROMIUM_RUNS: usize = 5;
const WRITE_RUNS: usize = 3;

/// Wall time of one `--dump-dom` of `page`, and the DOM's length.
fn dump_dom(browser: &Browser, page: &Path) -> (Duration, usize) {
    let started = Instant::now();
    let out = browser.open(page, "", &["--dump-dom"]);
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "chromium failed on {}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    (took, out.stdout.len())
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Median, min and max, in seconds.
fn spread(mut times: Vec<Duration>) -> (f64, f64, f64) {
    times.sort();
    (
        secs(times[times.len() / 2]),
        secs(times[0]),
        secs(times[times.len() - 1]),
    )
}

fn main() {
    // `cargo test --benches` runs this binary too; only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let attempts: usize = std::env::var("REFBENCH_BENCH_ATTEMPTS")
        .ok()
        .map(|v| {
            v.parse()
                .expect("REFBENCH_BENCH_ATTEMPTS: a number of attempts")
        })
        .unwrap_or(5000);
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let started = Instant::now();
    let dir = synthetic::synthetic_run(scratch.path(), attempts);
    println!(
        "synthetic store of {attempts} attempts written in {:.1} s",
        secs(started.elapsed())
    );
    let store = refbench::store::RunStore::open(scratch.path(), synthetic::RUN_ID)
        .expect("the synthetic run opens");

    let mut writes = Vec::new();
    for _ in 0..WRITE_RUNS {
        let started = Instant::now();
        refbench::report::write_reports(&store).expect("reports written");
        writes.push(started.elapsed());
    }
    let (median, min, max) = spread(writes);
    let html = dir.join("report.html");
    if let Some(keep) = std::env::var_os("REFBENCH_BENCH_KEEP") {
        // To open the page by hand, or compare two versions of it in a browser.
        std::fs::copy(&html, &keep).expect("copying report.html to REFBENCH_BENCH_KEEP");
        println!("report.html kept as {}", Path::new(&keep).display());
    }
    let size = std::fs::metadata(&html).expect("report.html").len();
    let (pages, pages_bytes) = std::fs::read_dir(dir.join("report"))
        .expect("the attempt pages")
        .flatten()
        .fold((0, 0), |(n, b), e| {
            (n + 1, b + e.metadata().map(|m| m.len()).unwrap_or(0))
        });
    println!(
        "write_reports: median {median:.2} s (min {min:.2}, max {max:.2}) over {WRITE_RUNS} runs"
    );
    println!(
        "report.html: {size} bytes ({:.2} MB, target < 10 MB); {pages} attempt pages, {pages_bytes} bytes in all",
        size as f64 / 1e6
    );

    let Some(browser) = Browser::installed() else {
        println!("no chromium here: the time to open the page is not measured");
        return;
    };
    let blank = scratch.path().join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><title>blank</title>").expect("blank page");
    // One untimed start warms the disk cache and the profile.
    dump_dom(&browser, &blank);
    let measure = |page: &Path| {
        let runs: Vec<(Duration, usize)> = (0..CHROMIUM_RUNS)
            .map(|_| dump_dom(&browser, page))
            .collect();
        let dom = runs[0].1;
        (spread(runs.into_iter().map(|(d, _)| d).collect()), dom)
    };
    let ((b_med, b_min, b_max), _) = measure(&blank);
    let ((r_med, r_min, r_max), dom) = measure(&html);
    let one = std::fs::read_dir(dir.join("report"))
        .expect("the attempt pages")
        .flatten()
        .next()
        .expect("an attempt page")
        .path();
    let ((p_med, p_min, p_max), _) = measure(&one);
    println!(
        "chromium --headless --dump-dom, median (min-max) of {CHROMIUM_RUNS}: blank page {b_med:.2} s ({b_min:.2}-{b_max:.2}); report.html {r_med:.2} s ({r_min:.2}-{r_max:.2}), DOM {dom} bytes (target < 3 s); one attempt page {p_med:.2} s ({p_min:.2}-{p_max:.2})"
    );
}
