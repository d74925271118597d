//! Harness overhead, parallel speed-up and build caching, measured on the real fixture suite
//! through the real binary, with the full sandbox.
//!
//! `cargo bench --bench overhead` prints:
//! 1. harness overhead per gold attempt: everything but the test and detector commands' own
//!    run time (total - tests - detectors), p50 and p95 over the fixture tasks (targets:
//!    p50 <= 50 ms, p95 <= 150 ms);
//! 2. wall and CPU time (and so the cores kept busy) of the whole fixture suite (gold and
//!    empty) with `--jobs 1` and `--jobs 2`, and the speed-up (target >= 1.7x);
//! 3. the build time (as cargo reports it, the test command's and the detectors' together: the
//!    detectors build the shuttle feature and its dependencies) and the commands' time of a Rust
//!    task's first gold attempt on a cold build cache and of the second, and the ratios (target
//!    >= 5x for the builds).
//!
//! `REFBENCH_BENCH_TASKS` (comma-separated globs) narrows the suite; `REFBENCH_BENCH_SKIP`
//! (comma-separated of overhead, jobs, rebuild) skips parts; `REFBENCH_BENCH_CACHE` names the
//! cache. `REFBENCH_BENCH_BIN` measures another refbench binary (one built from an older
//! commit, to compare before and after in one session) with the fixtures of
//! `REFBENCH_BENCH_ROOT` (that commit's checkout; default: this one). Speed is reported, never
//! asserted.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn refbench(runs: &Path, cache: &Path, args: &[&str]) -> std::path::PathBuf {
    let before: Vec<_> = std::fs::read_dir(runs)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    let bin = std::env::var_os("REFBENCH_BENCH_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_refbench").into());
    let root = std::env::var_os("REFBENCH_BENCH_ROOT")
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let out = Command::new(bin)
        .arg("--root")
        .arg(root)
        .arg("--runs-dir")
        .arg(runs)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .output()
        .expect("running refbench");
    if !out.status.success() {
        eprintln!(
            "refbench {} exited {}: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::fs::read_dir(runs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| !before.contains(p))
        .expect("a new run directory")
}

/// CPU time (user + sys) of the children this process has waited for so far: a refbench run's
/// own and that of every command it ran.
fn children_cpu_s() -> f64 {
    // SAFETY: getrusage with a valid out-pointer.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

fn records(run_dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run_dir.join("attempts.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn task_args(tasks: &[String]) -> Vec<&str> {
    tasks.iter().flat_map(|t| ["-t", t.as_str()]).collect()
}

fn main() {
    // `cargo bench` passes --bench; nothing else is understood.
    let tasks: Vec<String> = std::env::var("REFBENCH_BENCH_TASKS")
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let skip = std::env::var("REFBENCH_BENCH_SKIP").unwrap_or_default();
    let work = tempfile::tempdir().unwrap();
    let runs = work.path().join("runs");
    // A persistent cache (bases, Python environment, build caches) so that parts 1 and 2
    // measure a warm harness, as a user's second run would.
    let cache = std::env::var_os("REFBENCH_BENCH_CACHE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-cache"));
    let targs = task_args(&tasks);

    if !skip.contains("overhead") {
        // Warm-up: bases materialized, build caches filled.
        let mut args = vec!["run", "-m", "gold", "--jobs", "1"];
        args.extend(&targs);
        refbench(&runs, &cache, &args);
        let dir = refbench(&runs, &cache, &args);
        let mut overhead: Vec<u64> = records(&dir)
            .iter()
            .map(|r| {
                let t = &r["timing"];
                let total = t["total_ms"].as_u64().unwrap_or(0);
                let own =
                    t["tests_ms"].as_u64().unwrap_or(0) + t["detectors_ms"].as_u64().unwrap_or(0);
                total.saturating_sub(own)
            })
            .collect();
        overhead.sort_unstable();
        println!(
            "harness overhead per gold attempt ({} attempts): p50 {} ms, p95 {} ms, max {} ms (targets: p50 <= 50 ms, p95 <= 150 ms)",
            overhead.len(),
            percentile(&overhead, 50.0),
            percentile(&overhead, 95.0),
            overhead.last().copied().unwrap_or(0)
        );
    }

    if !skip.contains("jobs") {
        // Warm-up: both workers' build caches filled (a build cache made by an older
        // refbench, with other cargo settings, would otherwise rebuild from scratch in the
        // measured --jobs 2 run only).
        let mut args = vec!["run", "-m", "gold", "--jobs", "2"];
        args.extend(&targs);
        refbench(&runs, &cache, &args);
        let mut walls = vec![];
        for jobs in ["1", "2"] {
            let mut args = vec!["run", "-m", "gold", "-m", "empty", "--jobs", jobs];
            args.extend(&targs);
            let t = Instant::now();
            let cpu_before = children_cpu_s();
            let dir = refbench(&runs, &cache, &args);
            let wall = t.elapsed().as_secs_f64();
            let cpu = children_cpu_s() - cpu_before;
            println!(
                "fixture suite, gold and empty, --jobs {jobs}: {wall:.1} s, {cpu:.1} s of CPU, {:.2} cores busy ({} attempts)",
                cpu / wall,
                records(&dir).len()
            );
            walls.push(wall);
        }
        // The work already runs partly in parallel inside one attempt (cargo's codegen,
        // libtest's threads), so --jobs 1 keeps more than one core busy and the speed-up on 2
        // cores stays below 2x by that much: the cores-busy figures say how far.
        println!(
            "speed-up of --jobs 2 over --jobs 1: {:.2}x (target >= 1.7x)",
            walls[0] / walls[1]
        );
    }

    if !skip.contains("rebuild") {
        let task = std::env::var("REFBENCH_BENCH_RUST_TASK")
            .unwrap_or_else(|_| "rsauth/consolidate-auth-service".into());
        // A cold build cache, sharing nothing with the runs above.
        let cold = work.path().join("cold-cache");
        let mut times = vec![];
        for _ in 0..2 {
            let dir = refbench(
                &runs,
                &cold,
                &["run", "-m", "gold", "--jobs", "1", "-t", &task],
            );
            let r = &records(&dir)[0];
            let t = &r["timing"];
            let build = t["build_ms"].as_u64().unwrap_or(0);
            let commands =
                t["tests_ms"].as_u64().unwrap_or(0) + t["detectors_ms"].as_u64().unwrap_or(0);
            times.push((commands, build));
            println!(
                "{task} gold: test and detector commands {commands} ms, of which cargo builds {build} ms, outcome {}",
                r["outcome"]
            );
        }
        println!(
            "first over second gold run: builds {:.1}x (target >= 5x), commands {:.1}x",
            times[0].1 as f64 / times[1].1.max(1) as f64,
            times[0].0 as f64 / times[1].0.max(1) as f64
        );
    }
}
