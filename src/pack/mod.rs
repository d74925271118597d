//! Pack: decides what of a repository the model sees.
//!
//! In: a repository directory and (optionally) the task's text. Out: a [`Packed`] context, the
//! Markdown text the prompt carries (never over the token budget, counted exactly with
//! o200k_base on the final text) and one [`PackedFile`] per file with its rank, reason, mode
//! (full, outline, name) and token count.
//!
//! ```text
//! load     walk, parse and cache the sources (crate::codegraph)
//! graph    imports and references per file pair (crate::codegraph::graph)
//! query    the task's text read: weighted terms, code names, paths, hints    query.rs
//! lexical  BM25F of the terms over paths, definitions and text (IDF over the
//!          repository)                                                       lexical.rs
//!          each source's stem counts, cached by content hash                 bags.rs
//! rank     lexical relevance fused with personalised PageRank seeded by the
//!          files and names the text gives and the best lexical matches       rank.rs
//! render   full files (each within a share of the budget), outlines keeping
//!          the bodies most relevant to the task, names, under the budget     render.rs
//!          exact token counts, cached by text hash                           tokens.rs
//! ```
//!
//! pack-eval (eval.rs) measures it against the peers of baseline.rs (BM25 over whole files,
//! path order) and aider's RepoMap.
//!
//! `REFBENCH_LOG=refbench=debug` prints when each stage ends.
//!
//! Output is deterministic: every collection that reaches it is ordered (paths, lines), ties
//! in rank go by path, and the cache only ever changes speed, not results.
//!
//! ```no_run
//! # fn demo(task: &refbench::catalog::Task) -> Result<(), refbench::pack::PackError> {
//! let cache = refbench::cache::CacheLayout::new("cache");
//! let packed = refbench::pack::pack_task(std::path::Path::new("repo"), task, 16_384, &cache)?;
//! assert!(packed.tokens <= 16_384);
//! # Ok(()) }
//! ```

pub mod bags;
pub mod baseline;
mod bodies;
pub mod bug_lines;
pub mod docs;
pub mod eval;
pub mod hash;
pub mod lexical;
pub mod outline;
pub mod peer_store;
pub mod query;
pub mod rank;
pub mod render;
pub mod tokens;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use render::{count_tokens, Mode};

use crate::cache::CacheLayout;
use crate::catalog::Task;
use crate::codegraph::{cache, graph, walk, GraphError, LoadStats};

/// Errors of the packer.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// The repository could not be read.
    #[error(transparent)]
    Graph(#[from] GraphError),
}

/// Packing options.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// Token budget of the rendered text.
    pub budget: usize,
    /// Parse cache folder (`None`: no cache).
    pub cache_dir: Option<PathBuf>,
}

impl PackOptions {
    /// `budget` tokens, parse facts and token counts cached in `cache`.
    pub fn with_budget(budget: usize, cache: &CacheLayout) -> PackOptions {
        PackOptions {
            budget,
            cache_dir: Some(cache.pack_facts()),
        }
    }
}

/// One file of a pack.
#[derive(Debug, Clone, Serialize)]
pub struct PackedFile {
    /// Path relative to the repo root.
    pub path: String,
    /// 1-based rank.
    pub rank: usize,
    /// Fused ranking score (lexical and graph; the best file has at most 1).
    pub score: f64,
    /// Why it ranks there.
    pub reason: String,
    /// What the text shows of it.
    pub mode: Mode,
    /// Tokens of its section.
    pub tokens: usize,
}

/// A packed context.
#[derive(Debug, Clone, Serialize)]
pub struct Packed {
    /// The budget asked for.
    pub budget: usize,
    /// Exact o200k_base tokens of `text` (never above `budget`).
    pub tokens: usize,
    /// Files in the text, in output order.
    pub files: Vec<PackedFile>,
    /// Files walked (sources and others).
    pub files_walked: usize,
    /// Sources parsed now and taken from the cache.
    #[serde(skip)]
    pub load: LoadStats,
    /// The Markdown the model sees.
    pub text: String,
}

impl Packed {
    /// The entry for `path`, if the pack includes it.
    pub fn file(&self, path: &str) -> Option<&PackedFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// The text of a task that seeds the ranking: title, statement, requirements, interface.
pub fn task_text(task: &Task) -> String {
    let mut t = format!("{}\n{}\n", task.title, task.statement);
    for r in &task.requirements {
        t.push_str(r);
        t.push('\n');
    }
    t.push_str(&task.interface);
    t
}

/// Packs `repo` for a task described by `task_text` (empty: no task, uniform ranking).
pub fn pack_dir(repo: &Path, task_text: &str, options: &PackOptions) -> Result<Packed, PackError> {
    let clock = std::time::Instant::now();
    let lap = |stage: &str| {
        tracing::debug!(
            stage,
            ms = clock.elapsed().as_millis() as u64,
            "pack stage done"
        );
    };
    let walked = walk::walk(repo)?;
    lap("walk");
    let cache = cache::ParseCache::new(options.cache_dir.clone());
    let (files, load) = walk::load(repo, walked, &cache, Some(render::warm_tokenizer));
    lap("load");
    let (ranked, rendered) = std::thread::scope(|s| {
        // New cache entries are written while the single-threaded stages run.
        s.spawn(|| {
            cache.flush();
            lap("cache flush");
        });
        let links = graph::links(repo, &files);
        lap("graph");
        let ranking = rank::rank(&links, &files, task_text, options.cache_dir.as_deref());
        lap("rank");
        let mut tokens = tokens::TokenCache::load(options.cache_dir.as_deref());
        let rendered = render::render(repo, &files, &ranking, options.budget, &mut tokens);
        lap("render");
        tokens.save();
        (ranking.ranked, rendered)
    });
    let packed_files = rendered
        .sections
        .iter()
        .map(|s| {
            let r = &ranked[s.rank];
            PackedFile {
                path: files[s.file].path.clone(),
                rank: s.rank + 1,
                score: r.score,
                reason: r.reason.to_string(),
                mode: s.mode,
                tokens: s.tokens,
            }
        })
        .collect();
    let files_walked = files.len();
    // Freeing every source's text and facts takes tens of milliseconds on a large tree; the
    // caller has what it needs, so that happens beside it (or not at all if the process ends).
    // If no thread can be made, the closure and the files are dropped here.
    let _ = std::thread::Builder::new().spawn(move || drop(files));
    Ok(Packed {
        budget: options.budget,
        tokens: rendered.tokens,
        files: packed_files,
        files_walked,
        load,
        text: rendered.text,
    })
}

/// Token budget of the context a provider model is given (o200k_base tokens of the packed
/// text; the prompt's statement, requirements, interface and instructions come on top).
pub const DEFAULT_CONTEXT_BUDGET: usize = 32_000;

/// Packs `repo_dir` for `task` under `budget` tokens, with the parse cache in `cache` (the
/// run's `--cache-dir`). This is what the run loop calls for provider models.
pub fn pack_task(
    repo_dir: &Path,
    task: &Task,
    budget: usize,
    cache: &CacheLayout,
) -> Result<Packed, PackError> {
    pack_dir(
        repo_dir,
        &task_text(task),
        &PackOptions::with_budget(budget, cache),
    )
}

#[cfg(test)]
mod tests;
