//! The command line: parses arguments (clap), calls the library, prints results, and maps
//! outcomes to exit codes.
//!
//! Exit codes: 0 success; 1 a check failed (`validate`); 2 bad input (arguments, task or bug
//! files, refbench.toml, unknown model or run); 3 harness trouble (some attempts ended in a
//! harness error or a model error, or
//! the run store failed): rerun with `--resume RUN --retry-errors` once fixed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod apply;
mod pack;

use crate::cache::CacheLayout;
use crate::catalog::{BugKind, Catalog, Language};
use crate::plan::Shard;
use crate::report;
use crate::run::{execute, Display, RunError, RunOptions};
use crate::store::{list_runs, AttemptOutcome, RunStore};
use crate::toolchain::Toolchain;
use crate::validate;

/// Exit code: a validation check failed.
pub const EXIT_CHECK_FAILED: u8 = 1;
/// Exit code: bad input.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: harness trouble.
pub const EXIT_HARNESS: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "refbench",
    version,
    about = "Evaluate language models on multi-file refactorings of legacy codebases, with a seeded race in a file the task never names."
)]
struct Cli {
    /// Project root holding repos-fixtures/, seeded-bugs/ and harness/ (default: the nearest
    /// ancestor of the current directory that has repos-fixtures/).
    #[arg(long, global = true, env = "REFBENCH_ROOT")]
    root: Option<PathBuf>,
    /// Where runs are stored (default: ROOT/runs).
    #[arg(long, global = true, env = "REFBENCH_RUNS_DIR")]
    runs_dir: Option<PathBuf>,
    /// Cache for materialized bases and build caches (default: ~/.cache/refbench).
    #[arg(long, global = true, env = "REFBENCH_CACHE")]
    cache_dir: Option<PathBuf>,
    /// Model configuration (default: ROOT/refbench.toml when it exists; see docs/providers.md).
    #[arg(long, global = true, env = "REFBENCH_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Evaluate models on tasks (default: the built-in references gold and empty on every task).
    Run(RunArgs),
    /// Check that tasks are sound: gold resolves, empty does not, hidden tests fail on the base,
    /// visible tests pass on it, each seeded bug's detector fails on the base and passes on gold.
    Validate {
        /// Task ids or globs (default: all).
        tasks: Vec<String>,
        /// Also run every detector N times on the base and N times on gold, and require N/N
        /// detections and no false alarm (prints the detector table).
        #[arg(long, default_value_t = 1, value_name = "N", value_parser = at_least_one::<u32>)]
        repeat: u32,
        /// Attempts run at once (default: the number of cores).
        #[arg(long, value_name = "N", value_parser = at_least_one::<usize>)]
        jobs: Option<usize>,
        /// Containment of tests and detectors: `full` (Landlock, seccomp, PID and network
        /// namespaces, rlimits; refused where a layer is missing) or `none` (recorded, and
        /// shown in every report).
        #[arg(long, value_enum, default_value_t = SandboxArg::Full)]
        sandbox: SandboxArg,
    },
    /// List the models: built-ins and refbench.toml's entries, with whether each key variable
    /// is set (never the key).
    Models,
    /// List tasks, seeded bugs or runs.
    List {
        /// What to list.
        #[arg(value_enum, default_value_t = ListWhat::Tasks)]
        what: ListWhat,
    },
    /// Write a run's reports again from its store: summary.md, report.html, junit.xml,
    /// predictions.jsonl (`latest` for the newest run).
    Report {
        /// The run id.
        run: String,
    },
    /// Show what changed between two runs, attempt by attempt.
    Compare {
        /// The earlier run.
        run_a: String,
        /// The later run.
        run_b: String,
    },
    /// Combine the run directories of a sharded run into one run directory and write its reports.
    Merge {
        /// Shard run directories.
        #[arg(required = true)]
        runs: Vec<PathBuf>,
        /// The merged run directory to create.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Write a task's base (fixture + injected bugs, one commit) to DIR, to write or debug a
    /// gold patch or a detector by hand.
    Checkout {
        /// FIXTURE/TASK.
        task: String,
        /// Destination; must not exist.
        dir: PathBuf,
        /// Also apply the gold patch (uncommitted, so `git diff` shows it).
        #[arg(long)]
        gold: bool,
    },
    /// Pack a repository for a model: ranked files in full, outlines, names, under a token
    /// budget (o200k_base, counted exactly).
    Pack {
        /// The repository folder.
        dir: PathBuf,
        /// Rank for this task (FIXTURE/TASK): files and identifiers its text names seed it.
        #[arg(long)]
        task: Option<String>,
        /// Token budget.
        #[arg(long, default_value_t = 8192)]
        budget: usize,
        /// Output format.
        #[arg(long, value_enum, default_value_t = pack::PackFormat::Md)]
        format: pack::PackFormat,
    },
    /// Print a repository's dependency graph (files, symbols, imports, references).
    Graph {
        /// The repository folder.
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = pack::GraphFormat::Json)]
        format: pack::GraphFormat,
    },
    /// Measure the packer on every fixture task at 8k, 16k and 32k tokens: recall of the
    /// files the gold patch touches, and whether each seeded bug's file is shown in full.
    PackEval {
        /// Also write the table to this file (e.g. docs/pack-eval.md).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// Apply a model reply to a folder and print the per-file and per-hunk outcome, to try the
    /// edit extractor by hand (exit 1 when the reply does not apply).
    Apply {
        /// The reply text (as the model wrote it).
        reply: PathBuf,
        /// The folder to change (a git repository to restore files on failure).
        #[arg(long)]
        repo: PathBuf,
        /// The edit format to read the reply in.
        #[arg(long, value_enum, default_value_t = crate::patch::EditFormat::Auto)]
        format: crate::patch::EditFormat,
    },
    /// Scaffold a fixture, a task or a seeded bug with commented templates.
    #[command(subcommand)]
    New(NewWhat),
    /// Show the cache folder's parts and sizes, or clear them.
    #[command(subcommand)]
    Cache(CacheWhat),
    /// Show a run's leaderboard and verdicts (`latest` for the newest run).
    Show {
        /// The run id.
        run: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
        format: ShowFormat,
        /// Show one attempt in detail (an id from the verdict table's first three columns,
        /// FIXTURE__TASK__MODEL__sN, or a unique substring of it).
        #[arg(long)]
        attempt: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Task ids or globs over FIXTURE/TASK (repeatable; default: all).
    #[arg(long = "task", short = 't')]
    tasks: Vec<String>,
    /// Models to evaluate (repeatable; default: gold and empty). `NAME+agent` runs a provider
    /// model in agent mode; `oracle` and `nop` are the built-in agents.
    #[arg(long = "model", short = 'm')]
    models: Vec<String>,
    /// `agent`: every provider model given with --model works the task with tools (as
    /// `NAME+agent`, its own leaderboard row); see docs/agent-mode.md.
    #[arg(long, value_enum)]
    mode: Option<crate::model::tools::Mode>,
    /// Samples per task and model.
    #[arg(long, default_value_t = 1, value_parser = at_least_one::<u32>)]
    samples: u32,
    /// Continue an interrupted run: attempts already recorded are skipped.
    #[arg(long, value_name = "RUN_ID", conflicts_with_all = ["tasks", "models", "samples"])]
    resume: Option<String>,
    /// With --resume, run attempts that ended in a harness error again.
    #[arg(long, requires = "resume")]
    retry_errors: bool,
    /// Evaluate only shard I of N (1-based), a deterministic, balanced part of the attempts;
    /// combine the shards' run directories with `refbench merge`.
    #[arg(long, value_name = "I/N", conflicts_with = "resume")]
    shard: Option<Shard>,
    /// Take the shard from the environment: a 0-based index from REFBENCH_SHARD_INDEX,
    /// JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID, and the count from
    /// REFBENCH_SHARD_COUNT or SLURM_ARRAY_TASK_COUNT.
    #[arg(long, conflicts_with_all = ["shard", "resume"])]
    shard_from_env: bool,
    /// Exit 1 when the run's resolve rate (resolved over graded attempts of every model) is
    /// below this fraction, e.g. 0.5.
    #[arg(long, value_name = "RATE")]
    fail_under: Option<f64>,
    /// Attempts run at once (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = at_least_one::<usize>)]
    jobs: Option<usize>,
    /// Containment of tests and detectors: `full` (Landlock, seccomp, PID and network
    /// namespaces, rlimits; refused where a layer is missing) or `none` (recorded, and
    /// shown in every report).
    #[arg(long, value_enum, default_value_t = SandboxArg::Full)]
    sandbox: SandboxArg,
    /// Append every reply to FILE (JSONL), for a `replay` model to read back.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Neither read nor write the response cache (every provider request is sent).
    #[arg(long)]
    no_cache: bool,
}

/// `--sandbox` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum SandboxArg {
    Full,
    None,
}

impl From<SandboxArg> for crate::sandbox::SandboxMode {
    fn from(arg: SandboxArg) -> Self {
        match arg {
            SandboxArg::Full => crate::sandbox::SandboxMode::Full,
            SandboxArg::None => crate::sandbox::SandboxMode::None,
        }
    }
}

/// What `refbench cache` does.
#[derive(Debug, Subcommand)]
enum CacheWhat {
    /// Each part of the cache folder with its size and what clearing it costs.
    List,
    /// Remove parts of the cache (refused while a run or validation uses it). Without
    /// `--only`, everything but the cached model replies.
    Clear {
        /// Only these parts (repeatable); `responses` must be named to be cleared.
        #[arg(long, value_enum)]
        only: Vec<crate::cache::CachePart>,
    },
}

#[derive(Debug, Subcommand)]
enum NewWhat {
    /// A fixture: repos-fixtures/NAME/ with a minimal repo and a sync shim.
    Fixture {
        /// Folder name.
        name: String,
        /// The fixture's language.
        #[arg(long, value_enum)]
        language: Language,
    },
    /// A task: repos-fixtures/FIXTURE/tasks/ID/.
    Task {
        /// FIXTURE/ID.
        name: String,
    },
    /// A seeded bug: seeded-bugs/FIXTURE/BUG/.
    Bug {
        /// FIXTURE/BUG.
        name: String,
        /// The mutation kind.
        #[arg(long, value_enum)]
        kind: BugKind,
        /// The file the bug goes in, relative to the fixture's repo/.
        #[arg(long)]
        file: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListWhat {
    Tasks,
    Bugs,
    Runs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ShowFormat {
    /// Leaderboard and verdict table.
    Table,
    /// Verdict table as tab-separated values.
    Tsv,
    /// Every attempt record as JSON lines.
    Json,
    /// summary.md.
    Markdown,
}

/// A count of at least 1 (`--jobs`, `--samples`, `--repeat`), refused by the parser before
/// any run folder is made.
fn at_least_one<T: TryFrom<u64>>(arg: &str) -> Result<T, String> {
    match arg.parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => T::try_from(n).map_err(|_| format!("{n} is too large")),
        Err(_) => Err("expected a whole number, at least 1".into()),
    }
}

fn cache_command(cache: &CacheLayout, what: CacheWhat) -> ExitCode {
    let cache_dir = cache.root();
    use crate::cache::{self, human_bytes, CachePart};
    match what {
        CacheWhat::List => {
            println!("cache folder: {}", cache_dir.display());
            let usage = cache::usage(cache);
            for u in &usage {
                println!(
                    "  {:<10} {:>9}  {:>7} files  {}",
                    u.part.name(),
                    human_bytes(u.bytes),
                    u.files,
                    u.part.about()
                );
            }
            let total: u64 = usage.iter().map(|u| u.bytes).sum();
            println!("  {:<10} {:>9}", "total", human_bytes(total));
            ExitCode::SUCCESS
        }
        CacheWhat::Clear { only } => {
            let parts: Vec<CachePart> = if only.is_empty() {
                CachePart::ALL
                    .into_iter()
                    .filter(|p| *p != CachePart::Responses)
                    .collect()
            } else {
                only
            };
            match cache::clear(cache, &parts) {
                Ok(cleared) => {
                    if cleared.is_empty() {
                        println!("nothing to clear in {}", cache_dir.display());
                    }
                    for u in cleared {
                        println!(
                            "cleared {} ({}, {} files): {}",
                            u.part.name(),
                            human_bytes(u.bytes),
                            u.files,
                            u.path.display()
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(match e {
                        cache::CacheError::InUse { .. } => EXIT_BAD_INPUT,
                        _ => EXIT_HARNESS,
                    })
                }
            }
        }
    }
}

fn find_root(given: Option<PathBuf>) -> PathBuf {
    if let Some(root) = given {
        return root;
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    cwd.ancestors()
        .find(|d| d.join("repos-fixtures").is_dir())
        .map(Path::to_path_buf)
        .unwrap_or(cwd)
}

fn load_catalog(root: &Path) -> Result<Catalog, ExitCode> {
    Catalog::load(root).map_err(|errors| report_load_errors(root, &errors))
}

fn report_load_errors(root: &Path, errors: &[crate::catalog::FileError]) -> ExitCode {
    {
        for e in errors {
            eprintln!("error: {e}");
            let what = if e.key.is_empty() {
                e.message.clone()
            } else {
                format!("key `{}`: {}", e.key, e.message)
            };
            annotate(root, &e.path, e.line, &what);
        }
        eprintln!(
            "{} problem(s) in task or bug files; fix them and run the command again",
            errors.len()
        );
        ExitCode::from(EXIT_BAD_INPUT)
    }
}

fn run_error(e: RunError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::from(match e {
        RunError::Store(crate::store::StoreError::NotFound { .. }) => EXIT_BAD_INPUT,
        RunError::Store(_)
        | RunError::Inputs { .. }
        | RunError::Toolchain(_)
        | RunError::Sandbox(_) => EXIT_HARNESS,
        _ => EXIT_BAD_INPUT,
    })
}

/// Runs `options` with progress on stderr, then writes the run's reports.
fn write_reports(store: &RunStore) -> Result<Vec<crate::store::AttemptRecord>, ExitCode> {
    let harness = |e: crate::store::StoreError| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_HARNESS)
    };
    let records = store.attempts().map_err(harness)?;
    report::write_reports(store).map_err(harness)?;
    Ok(records)
}

fn execute_with_progress(
    catalog: &Catalog,
    options: &RunOptions,
) -> Result<(RunStore, Vec<crate::store::AttemptRecord>), ExitCode> {
    // Progress on stderr: a bar on a terminal, one plain line per attempt elsewhere (CI logs).
    let mut display = if std::io::stderr().is_terminal() {
        Display::with_bar(std::io::stderr())
    } else {
        Display::plain(std::io::stderr())
    };
    let result = execute(catalog, options, &mut [&mut display]);
    display.finish();
    let store = result.map_err(run_error)?;
    let records = write_reports(&store)?;
    Ok((store, records))
}

/// Opens a run by id, `latest` meaning the newest.
fn open_run(runs_dir: &Path, run: &str) -> Result<RunStore, ExitCode> {
    let run_id = if run == "latest" {
        match list_runs(runs_dir).pop() {
            Some(r) => r,
            None => {
                eprintln!("error: no runs under {}", runs_dir.display());
                return Err(ExitCode::from(EXIT_BAD_INPUT));
            }
        }
    } else {
        run.to_string()
    };
    RunStore::open(runs_dir, &run_id).map_err(|e| run_error(RunError::Store(e)))
}

/// Appends `name=value` lines to the file GitHub Actions names in `GITHUB_OUTPUT`, when set.
fn github_outputs(pairs: &[(&str, String)]) {
    let Some(path) = std::env::var_os("GITHUB_OUTPUT") else {
        return;
    };
    let mut text = String::new();
    for (k, v) in pairs {
        text.push_str(&format!("{k}={v}\n"));
    }
    use std::io::Write;
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "warning: cannot write GITHUB_OUTPUT ({}): {e}",
            PathBuf::from(path).display()
        );
    }
}

/// Prints a GitHub Actions error annotation (only under GitHub Actions) for a file of the
/// project, path relative to the root so the annotation lands on the pull request's file.
fn annotate(root: &Path, file: &Path, line: Option<usize>, message: &str) {
    if std::env::var_os("GITHUB_ACTIONS").is_none() {
        return;
    }
    let rel = file.strip_prefix(root).unwrap_or(file);
    // Workflow commands end at a newline; %, CR and LF are escaped as the runner expects.
    let escape = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let prop = |s: &str| escape(s).replace(':', "%3A").replace(',', "%2C");
    println!(
        "::error file={},line={}::{}",
        prop(&rel.display().to_string()),
        line.unwrap_or(1),
        escape(message)
    );
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("REFBENCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // The read-only commands print for pipes (`refbench show latest --format json | head`): a
    // closed pipe ends them quietly, as it would `cat`, instead of a panic on the next print.
    // (Only these: the others talk to sockets and children.)
    if matches!(
        cli.command,
        Command::Show { .. } | Command::List { .. } | Command::Graph { .. } | Command::Pack { .. }
    ) {
        // SAFETY: no other thread exists yet; restoring the default disposition is harmless.
        let _ = unsafe {
            nix::sys::signal::signal(
                nix::sys::signal::Signal::SIGPIPE,
                nix::sys::signal::SigHandler::SigDfl,
            )
        };
    }
    // Absolute from here on: the sandboxed commands run in attempt folders, where a relative
    // build-cache path (CARGO_TARGET_DIR) would name a fresh folder per attempt.
    let absolute = |p: PathBuf| std::path::absolute(&p).unwrap_or(p);
    let root = absolute(find_root(cli.root));
    let runs_dir = absolute(cli.runs_dir.unwrap_or_else(|| root.join("runs")));
    let cache = cli
        .cache_dir
        .map_or_else(CacheLayout::from_env, CacheLayout::new);
    let config = cli
        .config
        .or_else(|| Some(root.join("refbench.toml")).filter(|p| p.is_file()));
    match cli.command {
        Command::Run(args) => {
            let shard = if args.shard_from_env {
                match Shard::from_env(|k| std::env::var(k).ok()) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(EXIT_BAD_INPUT);
                    }
                }
            } else {
                args.shard
            };
            if let Some(rate) = args.fail_under {
                if !(0.0..=1.0).contains(&rate) {
                    eprintln!(
                        "error: --fail-under expects a fraction between 0 and 1, found {rate}"
                    );
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
            }
            let catalog = match load_catalog(&root) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let options = RunOptions {
                tasks: args.tasks,
                models: if args.models.is_empty() {
                    default_models(config.as_deref())
                } else if args.mode == Some(crate::model::tools::Mode::Agent) {
                    args.models
                        .into_iter()
                        .map(|m| match m.as_str() {
                            "oracle" | "nop" => m,
                            _ if m.ends_with(crate::model::AGENT_SUFFIX) => m,
                            _ => format!("{m}{}", crate::model::AGENT_SUFFIX),
                        })
                        .collect()
                } else {
                    args.models
                },
                samples: args.samples,
                runs_dir,
                cache: cache.clone(),
                resume: args.resume,
                retry_errors: args.retry_errors,
                id_prefix: "run".into(),
                shard,
                jobs: args.jobs.unwrap_or_else(crate::run::default_jobs),
                sandbox: args.sandbox.into(),
                model_settings: crate::model::ModelSettings {
                    config: config.clone(),
                    cache: (!args.no_cache).then(|| cache.clone()),
                    record: args.record,
                },
            };
            let (store, records) = match execute_with_progress(&catalog, &options) {
                Ok(done) => done,
                Err(code) => return code,
            };
            let meta = store.meta().expect("meta was readable a moment ago");
            println!("{}", report::render_leaderboard(&meta, &records));
            println!("run directory: {}", store.dir().display());
            let rate = report::overall_resolve_rate(&records);
            github_outputs(&[
                ("run-id", meta.run_id.clone()),
                ("run-dir", store.dir().display().to_string()),
                (
                    "resolve-rate",
                    rate.map(|r| format!("{r:.4}")).unwrap_or_default(),
                ),
            ]);
            if let (Some(min), Some(rate)) = (args.fail_under, rate) {
                if rate < min {
                    eprintln!("resolve rate {rate:.4} is below --fail-under {min}");
                    return ExitCode::from(EXIT_CHECK_FAILED);
                }
            }
            let model_errors = records
                .iter()
                .filter(|r| r.outcome() == AttemptOutcome::ModelError)
                .count();
            if model_errors > 0 {
                eprintln!("warning: {model_errors} attempt(s) got no usable reply from their model (outcome model-error; see `refbench show {}`); to ask again: refbench run --resume {} --retry-errors", meta.run_id, meta.run_id);
            }
            // Model errors were announced above; only the harness's own failures are called
            // harness errors.
            let errors = records
                .iter()
                .filter(|r| r.outcome() == AttemptOutcome::Error)
                .count();
            if errors > 0 || model_errors > 0 {
                if errors == 0 {
                    return ExitCode::from(EXIT_HARNESS);
                }
                eprintln!("warning: {errors} attempt(s) ended in a harness error (see `refbench show {}`); after fixing the cause: refbench run --resume {} --retry-errors", meta.run_id, meta.run_id);
                return ExitCode::from(EXIT_HARNESS);
            }
            ExitCode::SUCCESS
        }
        Command::Models => list_models(config.as_deref()),
        Command::Cache(what) => cache_command(&cache, what),
        Command::Validate {
            tasks,
            repeat,
            jobs,
            sandbox,
        } => {
            let catalog = match load_catalog(&root) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let options = RunOptions {
                tasks,
                models: vec!["gold".into(), "empty".into()],
                samples: 1,
                runs_dir,
                cache: cache.clone(),
                resume: None,
                retry_errors: false,
                id_prefix: "validate".into(),
                shard: None,
                jobs: jobs.unwrap_or_else(crate::run::default_jobs),
                sandbox: sandbox.into(),
                model_settings: Default::default(),
            };
            let (store, records) = match execute_with_progress(&catalog, &options) {
                Ok(done) => done,
                Err(code) => return code,
            };
            let meta = store.meta().expect("meta was readable a moment ago");
            let mut checks = validate::checks(
                &catalog,
                &meta.tasks,
                &records,
                &store.dir().join("artifacts"),
            );
            if repeat > 1 {
                let mut toolchain = match Toolchain::prepare(
                    &catalog.root,
                    &cache,
                    0,
                    meta.tasks
                        .iter()
                        .any(|t| catalog.tasks[t].language == Language::Python),
                ) {
                    Ok(t) => t,
                    Err(e) => return run_error(RunError::Toolchain(e)),
                };
                toolchain.sandbox = meta.sandbox;
                // As a run does: no `refbench cache clear` under the detectors.
                let _cache_in_use = crate::cache::hold(&cache);
                let mut all = Vec::new();
                for id in &meta.tasks {
                    eprintln!(
                        "repeating the detectors of {id} {repeat} times on the base and on gold"
                    );
                    match validate::repeat_detectors(
                        &catalog,
                        &catalog.tasks[id],
                        repeat,
                        &cache,
                        &toolchain,
                        &store.dir().join("repeat-logs"),
                    ) {
                        Ok(stats) => all.extend(stats),
                        Err(e) => checks.push(validate::Check {
                            task: id.clone(),
                            name: format!("detectors run {repeat} times"),
                            ok: false,
                            detail: e,
                        }),
                    }
                }
                checks.extend(validate::repeat_checks(&all));
                let table = validate::render_detector_table(&all);
                println!("{table}");
                if let Err(e) = store.write_file("detectors.md", &table) {
                    return run_error(RunError::Store(e));
                }
            }
            let failed = checks.iter().filter(|c| !c.ok).count();
            for c in checks.iter().filter(|c| !c.ok) {
                let task = &catalog.tasks[&c.task];
                // A detector check points at the bug's [detector] table; the rest at the task.
                let bug = task
                    .seeded_bugs
                    .iter()
                    .filter_map(|b| catalog.bugs.get(b))
                    .find(|b| c.name.contains(&b.id.0));
                match bug {
                    Some(b) => {
                        let text = std::fs::read_to_string(&b.file_path).unwrap_or_default();
                        let line = text
                            .lines()
                            .position(|l| l.trim() == "[detector]")
                            .map(|i| i + 1);
                        annotate(
                            &root,
                            &b.file_path,
                            line,
                            &format!("{}: {}: {}", c.task, c.name, c.detail),
                        );
                    }
                    None => annotate(
                        &root,
                        &task.file,
                        Some(1),
                        &format!("{}: {}", c.name, c.detail),
                    ),
                }
            }
            for c in &checks {
                println!(
                    "{} {}: {} ({})",
                    if c.ok { "ok  " } else { "FAIL" },
                    c.task,
                    c.name,
                    c.detail
                );
            }
            println!(
                "\n{} checks, {} failed; logs in {}",
                checks.len(),
                failed,
                store.dir().display()
            );
            if failed > 0 {
                ExitCode::from(EXIT_CHECK_FAILED)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::List { what } => {
            if let ListWhat::Runs = what {
                for run in list_runs(&runs_dir) {
                    println!("{run}");
                }
                return ExitCode::SUCCESS;
            }
            // Show what loads even while one file is broken; the exit code still says so.
            let (catalog, errors) = Catalog::load_partial(&root);
            match what {
                ListWhat::Tasks => {
                    for t in catalog.tasks.values() {
                        let bugs: Vec<&str> = t.seeded_bugs.iter().map(|b| b.0.as_str()).collect();
                        println!(
                            "{}\t{}\t{} F2P, {} P2P\tbugs: {}\t{}",
                            t.id,
                            t.language,
                            t.fail_to_pass.len(),
                            t.pass_to_pass.len(),
                            bugs.join(","),
                            t.title
                        );
                    }
                }
                ListWhat::Bugs => {
                    for b in catalog.bugs.values() {
                        println!("{}\t{}\t{}\t{}", b.id, b.kind, b.file, b.description);
                    }
                }
                ListWhat::Runs => unreachable!("handled above"),
            }
            if !errors.is_empty() {
                return report_load_errors(&root, &errors);
            }
            ExitCode::SUCCESS
        }
        Command::Report { run } => {
            let store = match open_run(&runs_dir, &run) {
                Ok(s) => s,
                Err(code) => return code,
            };
            match report::write_reports(&store) {
                Ok(paths) => {
                    for p in paths {
                        println!("wrote {}", p.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => run_error(RunError::Store(e)),
            }
        }
        Command::Compare { run_a, run_b } => {
            let load = |run: &str| -> Result<_, ExitCode> {
                let store = open_run(&runs_dir, run)?;
                let meta = store.meta().map_err(|e| run_error(RunError::Store(e)))?;
                let records = store
                    .attempts()
                    .map_err(|e| run_error(RunError::Store(e)))?;
                Ok((meta, records))
            };
            let (a, b) = match (load(&run_a), load(&run_b)) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(code), _) | (_, Err(code)) => return code,
            };
            print!("{}", report::render_compare(&a.0, &a.1, &b.0, &b.1));
            ExitCode::SUCCESS
        }
        Command::Merge { runs, output } => match crate::store::merge_runs(&runs, &output) {
            Ok(merged) => {
                let records = match write_reports(&merged.store) {
                    Ok(r) => r,
                    Err(code) => return code,
                };
                let meta = merged.store.meta().expect("meta was readable a moment ago");
                println!("{}", report::render_leaderboard(&meta, &records));
                println!("run directory: {}", merged.store.dir().display());
                github_outputs(&[
                    ("run-id", meta.run_id.clone()),
                    ("run-dir", merged.store.dir().display().to_string()),
                    (
                        "resolve-rate",
                        report::overall_resolve_rate(&records)
                            .map(|r| format!("{r:.4}"))
                            .unwrap_or_default(),
                    ),
                ]);
                if !merged.missing.is_empty() {
                    eprintln!("warning: {} planned attempt(s) are in no shard (first: {}); was a shard left out?", merged.missing.len(), merged.missing[0].id());
                    return ExitCode::from(EXIT_HARNESS);
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(match e {
                    crate::store::MergeError::Store(
                        crate::store::StoreError::Io { .. }
                        | crate::store::StoreError::Sqlite { .. },
                    ) => EXIT_HARNESS,
                    _ => EXIT_BAD_INPUT,
                })
            }
        },
        Command::Apply {
            reply,
            repo,
            format,
        } => apply::apply_command(&reply, &repo, format),
        Command::Pack {
            dir,
            task,
            budget,
            format,
        } => pack::pack_command(&root, &cache, &dir, task.as_deref(), budget, format),
        Command::Graph { dir, format } => pack::graph_command(&cache, &dir, format),
        Command::PackEval { output } => pack::pack_eval_command(&root, &cache, output.as_deref()),
        Command::Checkout { task, dir, gold } => {
            let catalog = match load_catalog(&root) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let Some(task) = catalog.tasks.get(&crate::catalog::TaskId(task.clone())) else {
                eprintln!("error: no task `{task}`; `refbench list` shows the tasks");
                return ExitCode::from(EXIT_BAD_INPUT);
            };
            if dir.exists() {
                eprintln!(
                    "error: {} already exists; give a new directory",
                    dir.display()
                );
                return ExitCode::from(EXIT_BAD_INPUT);
            }
            let base =
                match crate::materialize::materialize_base(task, &catalog.bugs_of(task), &cache) {
                    Ok(b) => b,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(EXIT_HARNESS);
                    }
                };
            if let Err(e) = base.checkout(&dir) {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_HARNESS);
            }
            if gold {
                match crate::patch::apply_reply(&dir, &task.gold_patch, &|_| false) {
                    Ok(a) if a.status == crate::patch::ApplyStatus::Exact => {}
                    Ok(a) => {
                        eprintln!(
                            "error: the gold patch does not apply to the base: {}",
                            a.reason.unwrap_or_default()
                        );
                        return ExitCode::from(EXIT_CHECK_FAILED);
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::from(EXIT_HARNESS);
                    }
                }
            }
            println!(
                "{}: base of {}{}",
                dir.display(),
                task.id,
                if gold {
                    " with the gold patch applied (see git diff)"
                } else {
                    ""
                }
            );
            ExitCode::SUCCESS
        }
        Command::New(what) => {
            let made = match what {
                NewWhat::Fixture { name, language } => {
                    crate::scaffold::new_fixture(&root, &name, language)
                }
                NewWhat::Task { name } => crate::scaffold::new_task(&root, &name),
                NewWhat::Bug { name, kind, file } => {
                    crate::scaffold::new_bug(&root, &name, kind, &file)
                }
            };
            match made {
                Ok(files) => {
                    for f in files {
                        println!("created {}", f.strip_prefix(&root).unwrap_or(&f).display());
                    }
                    println!("next: fill in the TODOs, then `refbench validate` (docs/adding-a-bug.md walks through it)");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(EXIT_BAD_INPUT)
                }
            }
        }
        Command::Show {
            run,
            format,
            attempt,
        } => {
            let run_id = if run == "latest" {
                match list_runs(&runs_dir).pop() {
                    Some(r) => r,
                    None => {
                        eprintln!("error: no runs under {}", runs_dir.display());
                        return ExitCode::from(EXIT_BAD_INPUT);
                    }
                }
            } else {
                run
            };
            let store = match RunStore::open(&runs_dir, &run_id) {
                Ok(s) => s,
                Err(e) => return run_error(RunError::Store(e)),
            };
            let (meta, records) = match store.meta().and_then(|m| store.attempts().map(|r| (m, r)))
            {
                Ok(x) => x,
                Err(e) => return run_error(RunError::Store(e)),
            };
            if let Some(wanted) = attempt {
                let hits: Vec<_> = records
                    .iter()
                    .filter(|r| r.key.id().contains(&wanted))
                    .collect();
                let [record] = hits.as_slice() else {
                    let ids: Vec<String> = hits.iter().map(|r| r.key.id()).collect();
                    eprintln!(
                        "error: --attempt {wanted} matches {} attempts{}; give a longer id",
                        hits.len(),
                        if ids.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", ids.join(", "))
                        }
                    );
                    return ExitCode::from(EXIT_BAD_INPUT);
                };
                match format {
                    ShowFormat::Json => println!(
                        "{}",
                        serde_json::to_string_pretty(record).expect("records serialize")
                    ),
                    _ => print!(
                        "{}",
                        report::render_attempt(
                            record,
                            &store.dir().join("artifacts").join(record.key.id())
                        )
                    ),
                }
                return ExitCode::SUCCESS;
            }
            match format {
                ShowFormat::Table => {
                    println!("{}", report::render_leaderboard(&meta, &records));
                    println!("{}", report::render_verdicts(&records));
                }
                ShowFormat::Tsv => print!("{}", report::render_verdicts_tsv(&records)),
                ShowFormat::Json => {
                    for r in &records {
                        println!("{}", serde_json::to_string(r).expect("records serialize"));
                    }
                }
                ShowFormat::Markdown => print!("{}", report::render_summary_md(&meta, &records)),
            }
            ExitCode::SUCCESS
        }
    }
}

/// The models of a run without `--model`: the references `gold` and `empty`, and the
/// hand-written replies `examples` when refbench.toml configures them (the shipped one does),
/// so a first run shows every verdict dimension without an API key.
fn default_models(config: Option<&Path>) -> Vec<String> {
    let mut models = vec!["gold".to_string(), "empty".to_string()];
    // A config that does not load is reported when the run resolves its models.
    let has_examples = config
        .and_then(|p| crate::model::config::Config::load(p).ok())
        .is_some_and(|c| c.get("examples").is_some());
    if has_examples {
        models.push("examples".into());
    }
    models
}

/// `refbench models`: one line per model, with its key variable's state.
fn list_models(config: Option<&Path>) -> ExitCode {
    let config = match config {
        Some(path) => match crate::model::config::Config::load(path) {
            Ok(c) => c,
            Err(errors) => {
                for e in &errors {
                    eprintln!("error: {e}");
                }
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        },
        None => Default::default(),
    };
    let mut rows = vec![
        vec![
            "gold".into(),
            "built-in".into(),
            "-".into(),
            "-".into(),
            "the task's gold patch".into(),
        ],
        vec![
            "empty".into(),
            "built-in".into(),
            "-".into(),
            "-".into(),
            "no change".into(),
        ],
    ];
    for m in &config.models {
        let key = match &m.api_key_env {
            Some(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => format!("{var} (set)"),
                _ => format!("{var} (NOT SET)"),
            },
            None => "-".into(),
        };
        let price = m
            .price
            .map(|p| format!("${}/${} per M in/out", p.input, p.output))
            .unwrap_or_else(|| "no prices: cost unknown".into());
        rows.push(vec![
            m.name.clone(),
            m.provider.to_string(),
            m.model_id().to_string(),
            key,
            price,
        ]);
    }
    let width = |i: usize| {
        rows.iter()
            .map(|r: &Vec<String>| r[i].len())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    match &config.path {
        Some(p) => println!("config: {}", p.display()),
        None => println!("config: none (pass --config PATH or add refbench.toml at the root)"),
    }
    ExitCode::SUCCESS
}
