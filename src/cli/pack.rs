//! `refbench pack`, `refbench graph` and `refbench pack-eval`: their arguments in, the pack,
//! graph or evaluation table out (stdout), errors on stderr with an exit code.

use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;

use super::args::{PackArgs, PackEvalArgs};
use super::{load_catalog, EXIT_BAD_INPUT, EXIT_HARNESS};
use crate::cache::CacheLayout;
use crate::catalog::TaskId;
use crate::pack::peer_store::PeerStore;
use crate::pack::{self, eval, PackOptions};

/// Output of `refbench pack`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum PackFormat {
    /// The Markdown text the model sees.
    Md,
    /// The files with rank, reason, mode and tokens, and the text.
    Json,
}

/// Output of `refbench graph`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum GraphFormat {
    /// Files, symbols, imports, edges and symbol references.
    Json,
    /// The file graph in Graphviz DOT.
    Dot,
}

/// The query text `args` ask for: a catalog task's, `--query`, `--query-file`'s, or none.
fn query_text(root: &Path, cache: &CacheLayout, args: &PackArgs) -> Result<String, ExitCode> {
    if let Some(text) = &args.query {
        return Ok(text.clone());
    }
    if let Some(file) = &args.query_file {
        return std::fs::read_to_string(file).map_err(|e| {
            eprintln!(
                "error: --query-file {}: cannot read it as UTF-8 text: {e}; pass a readable text file (or the text itself with --query)",
                file.display()
            );
            ExitCode::from(EXIT_BAD_INPUT)
        });
    }
    let Some(id) = &args.task else {
        return Ok(String::new());
    };
    let catalog = load_catalog(root, cache)?;
    match catalog.tasks.get(&TaskId(id.to_string())) {
        Some(t) => Ok(pack::task_text(t)),
        None => {
            eprintln!(
                "error: no task `{id}`; `refbench list` shows the tasks (FIXTURE/TASK); for any other text use --query or --query-file"
            );
            Err(ExitCode::from(EXIT_BAD_INPUT))
        }
    }
}

pub(super) fn pack_command(root: &Path, cache: &CacheLayout, args: &PackArgs) -> ExitCode {
    let text = match query_text(root, cache, args) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let options = PackOptions {
        budget: args.budget,
        cache_dir: Some(cache.pack_facts()),
    };
    let packed = match pack::pack_dir(&args.dir, &text, &options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    match args.format {
        PackFormat::Md => print!("{}", packed.text),
        PackFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&packed).expect("pack serializes")
        ),
    }
    eprintln!(
        "packed {} of {} files in {} of {} tokens ({} parsed, {} from cache)",
        packed.files.len(),
        packed.files_walked,
        packed.tokens,
        packed.budget,
        packed.load.parsed,
        packed.load.cached
    );
    ExitCode::SUCCESS
}

pub(super) fn graph_command(cache: &CacheLayout, dir: &Path, format: GraphFormat) -> ExitCode {
    let graph = match crate::codegraph::build_graph(dir, Some(&cache.pack_facts())) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    match format {
        GraphFormat::Json => println!("{}", graph.to_json()),
        GraphFormat::Dot => print!("{}", graph.to_dot()),
    }
    ExitCode::SUCCESS
}

/// The catalog's tasks as cases, each on its (cached) base.
fn catalog_cases(root: &Path, cache: &CacheLayout) -> Result<Vec<eval::Case>, ExitCode> {
    let catalog = load_catalog(root, cache)?;
    let mut cases = Vec::new();
    for task in catalog.tasks.values() {
        let base = crate::materialize::materialize_base(task, &catalog.bugs_of(task), cache)
            .map_err(|source| {
                eprintln!(
                    "error: {}",
                    eval::EvalError::Base {
                        task: task.id.to_string(),
                        source
                    }
                );
                ExitCode::from(EXIT_HARNESS)
            })?;
        cases.push(eval::task_case(&catalog, task, &base.dir).map_err(|e| {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_BAD_INPUT)
        })?);
    }
    Ok(cases)
}

pub(super) fn pack_eval_command(root: &Path, cache: &CacheLayout, args: &PackEvalArgs) -> ExitCode {
    let cases = match &args.cases {
        Some(file) => match eval::read_cases(file) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        },
        None => match catalog_cases(root, cache) {
            Ok(c) => c,
            Err(code) => return code,
        },
    };
    let aider = args.aider_python.as_ref().map(|python| eval::AiderPeer {
        python: python.clone(),
        script: args
            .aider_script
            .clone()
            .unwrap_or_else(|| root.join("benches/aider_repomap.py")),
    });
    let parse_cache = cache.pack_facts();
    let mut store = match &args.peer_results {
        Some(file) => match PeerStore::open(file) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        },
        None => None,
    };
    let script = match &store {
        Some(_) => {
            let path = args
                .aider_script
                .clone()
                .unwrap_or_else(|| root.join("benches/aider_repomap.py"));
            match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!(
                        "error: {}: cannot read the aider script: {e}; pass it with --aider-script",
                        path.display()
                    );
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
            }
        }
        None => Vec::new(),
    };
    let mut rows = Vec::new();
    for case in &cases {
        eprintln!("pack-eval: {}", case.id);
        let direct = if store.is_some() {
            None
        } else {
            aider.as_ref()
        };
        let result = eval::eval_case(case, Some(&parse_cache), direct).and_then(|mut r| {
            if let Some(store) = store.as_mut() {
                for budget in eval::BUDGETS {
                    r.push(store.aider_row(case, budget, &script, aider.as_ref())?);
                }
                store.save()?;
            }
            Ok(r)
        });
        match result {
            Ok(r) => rows.extend(r),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_HARNESS);
            }
        }
    }
    let table = eval::render_table(&rows);
    print!("{table}");
    if let Some(out) = &args.output {
        if let Err(e) = std::fs::write(out, &table) {
            eprintln!("error: writing {}: {e}", out.display());
            return ExitCode::from(EXIT_HARNESS);
        }
    }
    ExitCode::SUCCESS
}
