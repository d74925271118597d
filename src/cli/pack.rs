//! `refbench pack`, `refbench graph` and `refbench pack-eval`.

use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;

use super::{load_catalog, EXIT_BAD_INPUT, EXIT_HARNESS};
use crate::cache::CacheLayout;
use crate::catalog::TaskId;
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

pub(super) fn pack_command(
    root: &Path,
    cache: &CacheLayout,
    dir: &Path,
    task: Option<&str>,
    budget: usize,
    format: PackFormat,
) -> ExitCode {
    let text = match task {
        None => String::new(),
        Some(id) => {
            let catalog = match load_catalog(root) {
                Ok(c) => c,
                Err(code) => return code,
            };
            match catalog.tasks.get(&TaskId(id.to_string())) {
                Some(t) => pack::task_text(t),
                None => {
                    eprintln!(
                        "error: no task `{id}`; `refbench list` shows the tasks (FIXTURE/TASK)"
                    );
                    return ExitCode::from(EXIT_BAD_INPUT);
                }
            }
        }
    };
    let options = PackOptions {
        budget,
        cache_dir: Some(cache.pack_facts()),
    };
    let packed = match pack::pack_dir(dir, &text, &options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    match format {
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

pub(super) fn pack_eval_command(
    root: &Path,
    cache: &CacheLayout,
    output: Option<&Path>,
) -> ExitCode {
    let catalog = match load_catalog(root) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let parse_cache = cache.pack_facts();
    let mut rows = Vec::new();
    for task in catalog.tasks.values() {
        let base = match crate::materialize::materialize_base(task, &catalog.bugs_of(task), cache) {
            Ok(b) => b,
            Err(source) => {
                eprintln!(
                    "error: {}",
                    eval::EvalError::Base {
                        task: task.id.to_string(),
                        source
                    }
                );
                return ExitCode::from(EXIT_HARNESS);
            }
        };
        match eval::eval_task(&catalog, task, &base.dir, Some(&parse_cache)) {
            Ok(r) => rows.extend(r),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_HARNESS);
            }
        }
    }
    let table = eval::render_table(&rows);
    print!("{table}");
    if let Some(out) = output {
        if let Err(e) = std::fs::write(out, &table) {
            eprintln!("error: writing {}: {e}", out.display());
            return ExitCode::from(EXIT_HARNESS);
        }
    }
    ExitCode::SUCCESS
}
