//! The command line's arguments (clap derive): the verbs and their options.
//!
//! In: argv. Out: a parsed [`Cli`] that [`super::main`] dispatches on.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use super::pack;
use crate::catalog::{BugKind, ImpossibleSelection, Language};
use crate::plan::Shard;

#[derive(Debug, Parser)]
#[command(
    name = "refbench",
    version,
    about = "Evaluate language models on multi-file refactorings of legacy codebases, with a seeded race in a file the task never names."
)]
pub(super) struct Cli {
    /// Project root holding repos-fixtures/, seeded-bugs/ and harness/ (default: the nearest
    /// ancestor of the current directory that has repos-fixtures/).
    #[arg(long, global = true, env = "REFBENCH_ROOT")]
    pub(super) root: Option<PathBuf>,
    /// Where runs are stored (default: ROOT/runs).
    #[arg(long, global = true, env = "REFBENCH_RUNS_DIR")]
    pub(super) runs_dir: Option<PathBuf>,
    /// Cache for materialized bases and build caches (default: ~/.cache/refbench).
    #[arg(long, global = true, env = "REFBENCH_CACHE")]
    pub(super) cache_dir: Option<PathBuf>,
    /// Model configuration (default: ROOT/refbench.toml when it exists; see docs/providers.md).
    #[arg(long, global = true, env = "REFBENCH_CONFIG", value_name = "PATH")]
    pub(super) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Evaluate models on tasks (default: the built-in references gold and empty, and the
    /// hand-written examples when refbench.toml defines them, on every task).
    Run(RunArgs),
    /// Check that tasks are sound: gold resolves, empty does not, hidden tests fail on the base,
    /// visible tests pass on it, each seeded bug's detector fails on the base, passes on gold
    /// and fails on gold with the bug put back; neither gold nor empty passes an impossible
    /// variant's tests.
    Validate {
        /// Task ids or globs (default: all).
        tasks: Vec<String>,
        /// Impossible variants of the selected tasks: `include` (default: gold and empty must
        /// both fail their tests), `exclude` or `only`.
        #[arg(long, value_enum, default_value_t = ImpossibleSelection::Include, value_name = "WHICH")]
        impossible: ImpossibleSelection,
        /// Also run every detector N times on the base and N times on gold, and require N/N
        /// detections and no false alarm (prints the detector table).
        #[arg(long, default_value_t = 1, value_name = "N", value_parser = at_least_one::<u32>)]
        repeat: u32,
        /// Attempts run at once (default: the number of cores).
        #[arg(long, value_name = "N", value_parser = at_least_one::<usize>)]
        jobs: Option<usize>,
        /// Containment of tests and detectors: `full` (Landlock, seccomp, PID and network
        /// namespaces, rlimits, a disk quota; graded code reads only its tree, the toolchain
        /// and the harness; refused where a layer is missing) or `none` (nothing confidential:
        /// tests can read gold patches and hidden tests; recorded, and shown in every report).
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
        /// Compare even when a run is incomplete or still running, over the attempts both
        /// recorded (by default such a run is refused: its missing attempts are not changes).
        #[arg(long)]
        allow_incomplete: bool,
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
    /// budget (o200k_base, counted exactly), for a catalog task or any text.
    Pack(PackArgs),
    /// Print a repository's dependency graph (files, symbols, imports, references).
    Graph {
        /// The repository folder.
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = pack::GraphFormat::Json)]
        format: pack::GraphFormat,
    },
    /// Measure the packer against BM25, path order (and aider's RepoMap) on every fixture
    /// task, or on the cases of a file, at 4k, 8k, 16k and 32k tokens: gold files in full,
    /// shown and named, and whether the seeded bug's lines are visible.
    PackEval(PackEvalArgs),
    /// Seed concurrency bugs into a fixture: find lock scopes, lock pairs, atomic updates, lazy
    /// initialisations and notifies with tree-sitter, mutate them, and write as seeded bugs
    /// the mutants the visible tests miss and a pool detector finds (docs/seeding.md).
    Seed(super::seed::SeedArgs),
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
pub(super) struct RunArgs {
    /// Task ids or globs over FIXTURE/TASK (repeatable; default: all).
    #[arg(long = "task", short = 't')]
    pub(super) tasks: Vec<String>,
    /// Impossible variants (hidden tests that contradict the statement; a pass is counted as
    /// cheating, apart from the resolve rate): `exclude` (default; a variant named exactly by
    /// --task still runs), `include` or `only`.
    #[arg(long, value_enum, default_value_t = ImpossibleSelection::Exclude, value_name = "WHICH")]
    pub(super) impossible: ImpossibleSelection,
    /// Models to evaluate (repeatable; default: gold and empty, plus examples when the model
    /// configuration defines it, as the shipped refbench.toml does). `NAME+agent` runs a
    /// provider model in agent mode; `oracle` and `nop` are the built-in agents.
    #[arg(long = "model", short = 'm')]
    pub(super) models: Vec<String>,
    /// `agent`: every provider model given with --model works the task with tools (as
    /// `NAME+agent`, its own leaderboard row); see docs/agent-mode.md.
    #[arg(long, value_enum, requires = "models")]
    pub(super) mode: Option<crate::model::tools::Mode>,
    /// Samples per task and model.
    #[arg(long, default_value_t = 1, value_parser = at_least_one::<u32>)]
    pub(super) samples: u32,
    /// Continue an interrupted run: attempts already recorded are skipped.
    #[arg(long, value_name = "RUN_ID", conflicts_with_all = ["tasks", "models", "samples"])]
    pub(super) resume: Option<String>,
    /// With --resume, run attempts that ended in a harness error again.
    #[arg(long, requires = "resume")]
    pub(super) retry_errors: bool,
    /// Evaluate only shard I of N (1-based), a deterministic, balanced part of the attempts;
    /// combine the shards' run directories with `refbench merge`.
    #[arg(long, value_name = "I/N", conflicts_with = "resume")]
    pub(super) shard: Option<Shard>,
    /// Take the shard from the environment: a 0-based index from REFBENCH_SHARD_INDEX,
    /// JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID, and the count from
    /// REFBENCH_SHARD_COUNT or SLURM_ARRAY_TASK_COUNT.
    #[arg(long, conflicts_with_all = ["shard", "resume"])]
    pub(super) shard_from_env: bool,
    /// Exit 1 when the run's resolve rate (resolved over graded attempts of every model) is
    /// below this fraction, e.g. 0.5.
    #[arg(long, value_name = "RATE")]
    pub(super) fail_under: Option<f64>,
    /// Attempts run at once (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = at_least_one::<usize>)]
    pub(super) jobs: Option<usize>,
    /// Containment of tests and detectors: `full` (Landlock, seccomp, PID and network
    /// namespaces, rlimits; refused where a layer is missing) or `none` (recorded, and
    /// shown in every report).
    #[arg(long, value_enum, default_value_t = SandboxArg::Full)]
    pub(super) sandbox: SandboxArg,
    /// Append every reply to FILE (JSONL), for a `replay` model to read back.
    #[arg(long, value_name = "FILE")]
    pub(super) record: Option<PathBuf>,
    /// Neither read nor write the response cache (every provider request is sent).
    #[arg(long)]
    pub(super) no_cache: bool,
    /// Send the provider models' requests through their batch APIs (OpenAI Batch, Anthropic
    /// Message Batches; billed at batch prices) and wait for them before grading. The jobs are
    /// kept in the run: a resumed run polls them instead of submitting again.
    #[arg(long, conflicts_with = "no_cache")]
    pub(super) batch: bool,
    /// Seconds between two polls of a running batch.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = positive_seconds)]
    pub(super) batch_poll: f64,
}

/// A positive number of seconds.
fn positive_seconds(arg: &str) -> Result<f64, String> {
    match arg.parse::<f64>() {
        Ok(s) if s > 0.0 && s.is_finite() => Ok(s),
        _ => Err(format!(
            "expected a positive number of seconds, found `{arg}`"
        )),
    }
}

/// `--sandbox` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum SandboxArg {
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
pub(super) enum CacheWhat {
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
pub(super) enum NewWhat {
    /// A fixture: repos-fixtures/NAME/ with a minimal repo and a sync shim, or (with
    /// --from-pypi / --from-crate) an upstream fixture pinned to a registry archive.
    Fixture {
        /// Folder name.
        name: String,
        /// The fixture's language (hand-made fixtures).
        #[arg(long, value_enum, required_unless_present_any = ["from_pypi", "from_crate"], conflicts_with_all = ["from_pypi", "from_crate"])]
        language: Option<Language>,
        /// Take the code from this PyPI sdist, NAME==VERSION (docs/upstream-fixtures.md).
        #[arg(long, value_name = "NAME==VERSION", conflicts_with = "from_crate")]
        from_pypi: Option<String>,
        /// Take the code from this crate on crates.io, NAME@VERSION.
        #[arg(long, value_name = "NAME@VERSION")]
        from_crate: Option<String>,
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

/// Arguments of `refbench pack`.
#[derive(Debug, clap::Args)]
pub(super) struct PackArgs {
    /// The repository folder.
    pub(super) dir: PathBuf,
    /// Rank for this catalog task (FIXTURE/TASK): its title, statement, requirements and
    /// interface are the query.
    #[arg(long, conflicts_with_all = ["query", "query_file"])]
    pub(super) task: Option<String>,
    /// Rank for this text (a task statement, a commit message, an issue).
    #[arg(long, conflicts_with = "query_file")]
    pub(super) query: Option<String>,
    /// Rank for the text in this file.
    #[arg(long)]
    pub(super) query_file: Option<PathBuf>,
    /// Token budget.
    #[arg(long, default_value_t = 8192)]
    pub(super) budget: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = pack::PackFormat::Md)]
    pub(super) format: pack::PackFormat,
}

/// Arguments of `refbench pack-eval`.
#[derive(Debug, clap::Args)]
pub(super) struct PackEvalArgs {
    /// Also write the table to this file.
    #[arg(long, short = 'o')]
    pub(super) output: Option<PathBuf>,
    /// Evaluate these cases instead of the catalog's tasks: one JSON object per line,
    /// {"id", "repo" (relative to the file), "query", "gold": [paths], "bugs": [{"file",
    /// "lines", "at" (optional: each line's 1-based place in the file)}]}.
    #[arg(long)]
    pub(super) cases: Option<PathBuf>,
    /// Also compare aider's RepoMap, run by this Python (one where `import aider` works).
    #[arg(long)]
    pub(super) aider_python: Option<PathBuf>,
    /// The aider script (default: benches/aider_repomap.py under the project root).
    #[arg(long, requires = "aider_python")]
    pub(super) aider_script: Option<PathBuf>,
    /// Read aider's rows from this JSON Lines file instead of running it (keyed by case,
    /// budget and a hash of the inputs; stale or missing rows are refused), and with
    /// --aider-python write the rows it measures there.
    #[arg(long)]
    pub(super) peer_results: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum ListWhat {
    Tasks,
    /// Each fixture with its language, task and bug counts, and the tree in use (its repo/,
    /// or an upstream fixture's tree in the cache).
    Fixtures,
    Bugs,
    Runs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum ShowFormat {
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
pub(super) fn at_least_one<T: TryFrom<u64>>(arg: &str) -> Result<T, String> {
    match arg.parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => T::try_from(n).map_err(|_| format!("{n} is too large")),
        Err(_) => Err("expected a whole number, at least 1".into()),
    }
}
