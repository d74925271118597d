//! `refbench pack`, `refbench graph` and `refbench pack-eval`: their arguments in, the pack,
//! graph or evaluation table out (stdout), errors on stderr with an exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use super::{load_catalog, EXIT_BAD_INPUT, EXIT_HARNESS};
use crate::pack::{self, eval, PackOptions};
use crate::task::TaskId;

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

/// Arguments of `refbench pack`.
#[derive(Debug, clap::Args)]
pub(super) struct PackArgs {
    /// The repository folder.
    dir: PathBuf,
    /// Rank for this catalog task (FIXTURE/TASK): its title, statement, requirements and
    /// interface are the query.
    #[arg(long, conflicts_with_all = ["query", "query_file"])]
    task: Option<String>,
    /// Rank for this text (a task statement, a commit message, an issue).
    #[arg(long, conflicts_with = "query_file")]
    query: Option<String>,
    /// Rank for the text in this file.
    #[arg(long)]
    query_file: Option<PathBuf>,
    /// Token budget.
    #[arg(long, default_value_t = 8192)]
    budget: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PackFormat::Md)]
    format: PackFormat,
}

/// Arguments of `refbench pack-eval`.
#[derive(Debug, clap::Args)]
pub(super) struct PackEvalArgs {
    /// Also write the table to this file.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Evaluate these cases instead of the catalog's tasks: one JSON object per line,
    /// {"id", "repo" (relative to the file), "query", "gold": [paths], "bugs": [{"file",
    /// "lines"}]}.
    #[arg(long)]
    cases: Option<PathBuf>,
    /// Also compare aider's RepoMap, run by this Python (one where `import aider` works).
    #[arg(long)]
    aider_python: Option<PathBuf>,
    /// The aider script (default: benches/aider_repomap.py under the project root).
    #[arg(long, requires = "aider_python")]
    aider_script: Option<PathBuf>,
}

/// The query text `args` ask for: a catalog task's, `--query`, `--query-file`'s, or none.
fn query_text(root: &Path, args: &PackArgs) -> Result<String, ExitCode> {
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
    let catalog = load_catalog(root)?;
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

pub(super) fn pack_command(root: &Path, cache_dir: &Path, args: &PackArgs) -> ExitCode {
    let text = match query_text(root, args) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let options = PackOptions {
        budget: args.budget,
        cache_dir: Some(pack::parse_cache_in(cache_dir)),
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

pub(super) fn graph_command(cache_dir: &Path, dir: &Path, format: GraphFormat) -> ExitCode {
    let graph = match pack::build_graph(dir, Some(&pack::parse_cache_in(cache_dir))) {
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
fn catalog_cases(root: &Path, cache_dir: &Path) -> Result<Vec<eval::Case>, ExitCode> {
    let catalog = load_catalog(root)?;
    let mut cases = Vec::new();
    for task in catalog.tasks.values() {
        let base = crate::materialize::materialize_base(task, &catalog.bugs_of(task), cache_dir)
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

pub(super) fn pack_eval_command(root: &Path, cache_dir: &Path, args: &PackEvalArgs) -> ExitCode {
    let cases = match &args.cases {
        Some(file) => match eval::read_cases(file) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        },
        None => match catalog_cases(root, cache_dir) {
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
    let parse_cache = pack::parse_cache_in(cache_dir);
    let mut rows = Vec::new();
    for case in &cases {
        eprintln!("pack-eval: {}", case.id);
        match eval::eval_case(case, Some(&parse_cache), aider.as_ref()) {
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
