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

use clap::Parser;

mod apply;
mod args;
mod list;
mod pack;
mod runs;
mod seed;
mod upstream;

use args::*;

use crate::cache::CacheLayout;
use crate::catalog::Catalog;
use crate::plan::Shard;
use crate::report;
use crate::run::{execute, Display, RunError, RunOptions};
use crate::store::{list_runs, AttemptOutcome, RunStore};
use crate::validate;

/// Exit code: a validation check failed.
pub const EXIT_CHECK_FAILED: u8 = 1;
/// Exit code: bad input.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code: harness trouble.
pub const EXIT_HARNESS: u8 = 3;

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

/// The catalog under `root`, upstream fixtures' trees in `cache`.
fn load_catalog(root: &Path, cache: &CacheLayout) -> Result<Catalog, ExitCode> {
    crate::lang::load_catalog_with(root, &upstream::upstream(cache))
        .map_err(|errors| report_load_errors(root, &errors))
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
        RunError::Interrupted { .. } => crate::run::EXIT_INTERRUPTED,
        RunError::Store(_)
        | RunError::Inputs { .. }
        | RunError::Toolchain(_)
        | RunError::Sandbox(_) => EXIT_HARNESS,
        _ => EXIT_BAD_INPUT,
    })
}

/// Writes the run's reports, with the gold patches of `catalog`'s unchanged tasks.
fn write_reports(
    store: &RunStore,
    catalog: Option<&Catalog>,
) -> Result<Vec<crate::store::AttemptRecord>, ExitCode> {
    let harness = |e: crate::store::StoreError| {
        eprintln!("error: {e}");
        ExitCode::from(EXIT_HARNESS)
    };
    let records = store.attempts().map_err(harness)?;
    let gold = match (catalog, store.meta()) {
        (Some(catalog), Ok(meta)) => report::html::GoldPatches::from_catalog(catalog, &meta),
        _ => report::html::GoldPatches::none(),
    };
    report::write_reports_with_gold(store, &gold).map_err(harness)?;
    Ok(records)
}

/// Runs `options` with progress on stderr, then writes the run's reports.
fn execute_with_progress(
    catalog: &Catalog,
    options: &RunOptions,
    hint: &runs::ResumeHint,
) -> Result<(RunStore, Vec<crate::store::AttemptRecord>), ExitCode> {
    // Progress on stderr: a bar on a terminal, one plain line per attempt elsewhere (CI logs).
    let mut display = if std::io::stderr().is_terminal() {
        Display::with_bar(std::io::stderr())
    } else {
        Display::plain(std::io::stderr())
    };
    // Ctrl-C or a CI cancellation (SIGTERM) stops the run cleanly: see run::interrupt.
    let interrupt = match crate::run::Interrupt::install() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: cannot install the SIGINT/SIGTERM handlers: {e}");
            return Err(ExitCode::from(EXIT_HARNESS));
        }
    };
    let options = RunOptions {
        stop: interrupt.flag(),
        ..options.clone()
    };
    let result = execute(catalog, &options, &mut [&mut display]);
    display.finish();
    drop(interrupt);
    let store = match result {
        Ok(store) => store,
        Err(RunError::Interrupted {
            run,
            recorded,
            planned,
        }) => {
            // The reports of what was recorded, each saying the run is incomplete.
            if let Ok(store) = RunStore::open(&options.runs_dir, &run) {
                let _ = write_reports(&store, Some(catalog));
            }
            eprintln!("interrupted: {recorded} of {planned} planned attempts of run {run} are recorded; nothing in flight was kept");
            eprintln!("resume with: {}", hint.command(&run));
            return Err(ExitCode::from(crate::run::EXIT_INTERRUPTED));
        }
        Err(e) => return Err(run_error(e)),
    };
    let records = write_reports(&store, Some(catalog))?;
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
    let hint = runs::ResumeHint::new(&cli);
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
            let catalog = match load_catalog(&root, &cache) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let options = RunOptions {
                tasks: args.tasks,
                impossible: args.impossible,
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
                stop: Default::default(),
                batch: args.batch,
                batch_poll: std::time::Duration::from_secs_f64(args.batch_poll),
            };
            let (store, records) = match execute_with_progress(&catalog, &options, &hint) {
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
            impossible,
            repeat,
            jobs,
            sandbox,
        } => {
            let catalog = match load_catalog(&root, &cache) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let options = RunOptions {
                tasks,
                impossible,
                models: validate::Reference::ALL
                    .map(|r| r.model().to_string())
                    .to_vec(),
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
                stop: Default::default(),
                batch: false,
                batch_poll: std::time::Duration::from_secs(30),
            };
            let (store, records) = match execute_with_progress(&catalog, &options, &hint) {
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
            match validate::mutation_checks(
                &catalog,
                &meta.tasks,
                &cache,
                meta.sandbox,
                &store.dir().join("mutation-logs"),
                &mut |id| eprintln!("mutation check of {id}: gold with each seeded bug put back"),
            ) {
                Ok(found) => checks.extend(found),
                Err(e) => return run_error(RunError::Toolchain(e)),
            }
            if repeat > 1 {
                let repeated = match validate::repeat_all_detectors(
                    &catalog,
                    &meta.tasks,
                    repeat,
                    &cache,
                    meta.sandbox,
                    &store.dir().join("repeat-logs"),
                    &mut |id| {
                        eprintln!(
                            "repeating the detectors of {id} {repeat} times on the base and on gold"
                        )
                    },
                ) {
                    Ok(r) => r,
                    Err(e) => return run_error(RunError::Toolchain(e)),
                };
                checks.extend(repeated.checks);
                let table = validate::render_detector_table(&repeated.stats);
                println!("{table}");
                if let Err(e) = store.write_file("detectors.md", &table) {
                    return run_error(RunError::Store(e));
                }
            }
            let failed = checks.iter().filter(|c| !c.outcome.passed()).count();
            for c in checks.iter().filter(|c| !c.outcome.passed()) {
                let at = c.annotation(&catalog);
                annotate(&root, &at.file, at.line, &at.message);
            }
            for c in &checks {
                println!("{c}");
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
                return runs::list_runs_table(&runs_dir);
            }
            // Show what loads even while one file is broken; the exit code still says so.
            let (catalog, errors) =
                crate::lang::load_catalog_partial_with(&root, &upstream::upstream(&cache));
            match what {
                ListWhat::Tasks => list::print_tasks(&catalog),
                ListWhat::Bugs => list::print_bugs(&catalog),
                ListWhat::Fixtures => list::print_fixtures(&catalog),
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
            // The catalog as it loads: only unchanged tasks give their gold to the pages.
            let (catalog, _) =
                crate::lang::load_catalog_partial_with(&root, &upstream::upstream(&cache));
            let gold = match store.meta() {
                Ok(meta) => report::html::GoldPatches::from_catalog(&catalog, &meta),
                Err(_) => report::html::GoldPatches::none(),
            };
            match report::write_reports_with_gold(&store, &gold) {
                Ok(paths) => {
                    for p in paths {
                        println!("wrote {}", p.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => run_error(RunError::Store(e)),
            }
        }
        Command::Compare {
            run_a,
            run_b,
            allow_incomplete,
        } => runs::compare_command(&runs_dir, &run_a, &run_b, allow_incomplete),
        Command::Merge { runs, output } => match crate::store::merge_runs(&runs, &output) {
            Ok(merged) => {
                let records = match write_reports(&merged.store, None) {
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
        Command::Pack(args) => pack::pack_command(&root, &cache, &args),
        Command::Seed(args) => seed::seed_command(&root, &cache, &args),
        Command::Graph { dir, format } => pack::graph_command(&cache, &dir, format),
        Command::PackEval(args) => pack::pack_eval_command(&root, &cache, &args),
        Command::Checkout { task, dir, gold } => {
            let catalog = match load_catalog(&root, &cache) {
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
            let guide = match &what {
                NewWhat::Fixture { .. } => "docs/adding-a-fixture.md",
                NewWhat::Task { .. } => {
                    "docs/adding-a-fixture.md, section 4, and docs/task-format.md"
                }
                NewWhat::Bug { .. } => "docs/adding-a-bug.md",
            };
            let made = match what {
                NewWhat::Fixture {
                    name,
                    language,
                    from_pypi,
                    from_crate,
                } => match (language, from_pypi, from_crate) {
                    (Some(language), None, None) => {
                        crate::scaffold::new_fixture(&root, &name, language)
                    }
                    (_, pypi, krate) => {
                        return upstream::new_fixture_command(&root, &cache, &name, pypi, krate);
                    }
                },
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
                    println!("next: fill in the TODOs, then `refbench validate` ({guide} walks through it)");
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
        } => runs::show_command(&runs_dir, run, format, attempt),
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
    let mut table = report::Table::headless(vec![report::Align::Left; 5]);
    table.extend([
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
    ]);
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
        table.push(vec![
            m.name.clone(),
            m.provider.to_string(),
            m.model_id().to_string(),
            key,
            price,
        ]);
    }
    print!("{}", table.text());
    match &config.path {
        Some(p) => println!("config: {}", p.display()),
        None => println!("config: none (pass --config PATH or add refbench.toml at the root)"),
    }
    ExitCode::SUCCESS
}
