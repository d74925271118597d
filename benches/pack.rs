//! Packer benchmark on two real trees, fetched from the registries at bench time into a
//! scratch folder (never committed):
//!
//! - Django 5.1's sdist: `pip download --no-deps --no-binary :all: django==5.1`
//! - a `cargo vendor` of a dummy crate depending on tokio, syn, regex, serde, clap, hyper, rayon,
//!   at the versions pinned in benches/pack-vendor.lock
//!
//! For each tree it runs the release `refbench pack DIR --budget 8192` as a child process:
//! three times with an empty parse cache (cold, each in a new cache folder), then five times
//! warm, and reports the source files and lines, cold and warm wall and CPU time (user + sys),
//! peak RSS (from wait4's rusage), and whether all eight outputs are byte-identical.
//!
//! It also times the floor the issue compares against: a plain single-threaded tree-sitter
//! parse (default allocator, nothing extracted) of exactly the sources the packer parses, so
//! that figures from machines of different speed can be compared as multiples of it.
//!
//! `cargo bench --bench pack` (scratch: target/pack-bench, or $REFBENCH_BENCH_DIR). With
//! $REFBENCH_BENCH_BIN it measures that refbench binary instead of this build's (to compare
//! a binary from before a change with the one after, in the same session).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BUDGET: &str = "8192";
const WARM_RUNS: usize = 5;

fn scratch() -> PathBuf {
    std::env::var_os("REFBENCH_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pack-bench"))
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(status.success(), "{what} failed: {status}");
}

fn django(scratch: &Path) -> PathBuf {
    let tree = scratch.join("Django-5.1");
    if !tree.is_dir() {
        let dl = scratch.join("dl");
        run(
            Command::new("pip")
                .args([
                    "download",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "django==5.1",
                    "-d",
                ])
                .arg(&dl),
            "pip download django==5.1",
        );
        run(
            Command::new("tar")
                .arg("xzf")
                .arg(dl.join("Django-5.1.tar.gz"))
                .arg("-C")
                .arg(scratch),
            "unpacking Django-5.1.tar.gz",
        );
    }
    tree
}

/// The versions vendored, pinned so that the tree stays the same from one month to the next
/// (the registry's newest versions of these crates had grown to 1.38M lines by 2026-11, from
/// the issue's 1.07M). The versions the registry gave the dummy crate below on 2026-12-05:
/// the same 3,017-file tree as every figure measured since 2026-11-25.
const VENDOR_LOCK: &str = include_str!("pack-vendor.lock");

fn rust_vendor(scratch: &Path) -> PathBuf {
    let tree = scratch.join("vendor");
    let dummy = scratch.join("dummy");
    let lock = dummy.join("Cargo.lock");
    if tree.is_dir() && std::fs::read_to_string(&lock).ok().as_deref() != Some(VENDOR_LOCK) {
        // Vendored from other versions: start again.
        std::fs::remove_dir_all(&tree).expect("removing the old vendored tree");
    }
    if !tree.is_dir() {
        std::fs::create_dir_all(dummy.join("src")).unwrap();
        std::fs::write(
            dummy.join("Cargo.toml"),
            r#"[package]
name = "pack-bench-dummy"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
tokio = { version = "1", features = ["full"] }
syn = { version = "2", features = ["full"] }
regex = "1"
serde = { version = "1", features = ["derive"] }
clap = { version = "4", features = ["derive"] }
hyper = { version = "1", features = ["full"] }
rayon = "1"

[workspace]
"#,
        )
        .unwrap();
        std::fs::write(dummy.join("src/lib.rs"), "").unwrap();
        std::fs::write(&lock, VENDOR_LOCK).unwrap();
        run(
            Command::new("cargo")
                .args(["vendor", "--quiet", "--locked"])
                .arg(&tree)
                .current_dir(&dummy)
                .stdout(Stdio::null()),
            "cargo vendor",
        );
    }
    tree
}

/// Files and lines of the sources the packer parses.
fn census(tree: &Path) -> (usize, usize) {
    let mut files = 0;
    let mut lines = 0;
    for entry in ignore::WalkBuilder::new(tree).build().flatten() {
        let p = entry.path();
        if matches!(p.extension().and_then(|e| e.to_str()), Some("py" | "rs")) {
            if let Ok(t) = std::fs::read_to_string(p) {
                files += 1;
                lines += t.lines().count();
            }
        }
    }
    (files, lines)
}

struct Measured {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
    stdout: Vec<u8>,
}

fn cpu_time(u: &libc::rusage) -> Duration {
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Single-threaded tree-sitter parse of the sources the packer parses: (files, time).
fn parse_floor(tree: &Path) -> (usize, Duration) {
    use refbench::codegraph::walk;
    use refbench::lang::Language;
    let walked = walk::walk(tree).expect("walk");
    let sources: Vec<(Language, String)> = walked
        .into_iter()
        .filter_map(|(path, _)| {
            let lang = refbench::lang::language_of_path(&path)?;
            let text = std::fs::read_to_string(tree.join(&path)).ok()?;
            walk::parseable(&text).then_some((lang, text))
        })
        .collect();
    let mut rust = tree_sitter::Parser::new();
    rust.set_language(&tree_sitter_rust::LANGUAGE.into())
        .expect("rust grammar");
    let mut python = tree_sitter::Parser::new();
    python
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("python grammar");
    let start = Instant::now();
    for (lang, text) in &sources {
        let parser = match lang {
            Language::Rust => &mut rust,
            Language::Python => &mut python,
        };
        let tree = parser.parse(text, None).expect("parse");
        std::hint::black_box(tree.root_node().child_count());
    }
    (sources.len(), start.elapsed())
}

// The child is reaped with wait4 (for its rusage), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn measure(tree: &Path, cache: &Path) -> Measured {
    let start = Instant::now();
    let bin = std::env::var_os("REFBENCH_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_refbench")));
    let child = Command::new(bin)
        .arg("--cache-dir")
        .arg(cache)
        .arg("pack")
        .arg(tree)
        .args(["--budget", BUDGET])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("refbench starts");
    let pid = child.id() as libc::pid_t;
    let mut stdout = Vec::new();
    {
        use std::io::Read;
        let mut out = child.stdout.expect("piped");
        out.read_to_end(&mut stdout).expect("read stdout");
    }
    let mut status = 0;
    // SAFETY: wait4 on our own child's pid with valid out-pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(rc, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "refbench pack {} failed",
        tree.display()
    );
    Measured {
        wall,
        cpu: cpu_time(&usage),
        max_rss_kib: usage.ru_maxrss,
        stdout,
    }
}

const COLD_RUNS: usize = 3;

/// The median and the minimum of `runs` by wall time, as "wall s (CPU s)".
fn summary(runs: &mut [Measured]) -> String {
    runs.sort_by_key(|m| m.wall);
    let (med, min) = (&runs[runs.len() / 2], &runs[0]);
    format!(
        "{:.2} s ({:.2} s CPU; min {:.2} s)",
        med.wall.as_secs_f64(),
        med.cpu.as_secs_f64(),
        min.wall.as_secs_f64()
    )
}

fn bench(name: &str, tree: &Path) {
    let (files, lines) = census(tree);
    let (parsed, floor) = parse_floor(tree);
    let mut cold: Vec<Measured> = (0..COLD_RUNS)
        .map(|_| {
            let cache = tempfile::tempdir().expect("temp cache");
            measure(tree, cache.path())
        })
        .collect();
    let cache = tempfile::tempdir().expect("temp cache");
    measure(tree, cache.path());
    let mut warm: Vec<Measured> = (0..WARM_RUNS)
        .map(|_| measure(tree, cache.path()))
        .collect();
    let first = &cold[0].stdout;
    let identical = cold.iter().chain(&warm).all(|m| &m.stdout == first);
    let peak = cold
        .iter()
        .chain(&warm)
        .map(|m| m.max_rss_kib)
        .max()
        .unwrap_or(0);
    let floor_s = floor.as_secs_f64();
    let cold_text = summary(&mut cold);
    let cold_ratio = cold[COLD_RUNS / 2].wall.as_secs_f64() / floor_s;
    println!(
        "{name}: {files} files, {lines} lines, {parsed} parsed; plain single-threaded parse {floor_s:.2} s\n  \
         cold {cold_text} = {cold_ratio:.2}x the plain parse; warm {} (median of {WARM_RUNS}); \
         peak RSS {} MB; output identical across runs: {}",
        summary(&mut warm),
        peak / 1024,
        if identical { "yes" } else { "NO" }
    );
}

fn main() {
    // `cargo test --benches` runs this binary too; only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = scratch();
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let django = django(&dir);
    let vendor = rust_vendor(&dir);
    bench("django-5.1", &django);
    bench("rust-vendor", &vendor);
}
