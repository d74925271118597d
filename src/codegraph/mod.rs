//! Codegraph: what a repository's sources define, import and reference, as a graph.
//!
//! In: a repository directory (and, optionally, a parse-cache folder). Out: the walked
//! [`SourceFile`]s with their parsed facts, and the dependency [`Graph`] (files, symbols,
//! imports resolved to files, references resolved to definers) or its per-file-pair
//! [`FileLinks`]. The packer ranks and renders from it; the scorer checks architectural rules
//! on it. It depends on nothing above `lang`, which tells it each language's extensions,
//! grammar and extraction queries.
//!
//! ```text
//! walk     ignore-crate walk (.gitignore honoured); vendored, locale, binary, generated,
//!          minified and oversized files left out                             walk.rs
//! parse    Rust and Python in parallel (rayon) with tree-sitter; one walk per tree does
//!          what queries/*.scm specify                                        parse.rs
//!          tree-sitter's memory bumped from a per-thread arena, reset per file   arena.rs
//! cache    parse results by content hash, in segment files                   cache.rs
//! graph    imports resolved to files, references to definers, per file pair  graph.rs
//! declared a task's test ids that no test file defines (a static check)   declared.rs
//! ```
//!
//! Output is deterministic: every collection is ordered (paths, lines), and the cache only
//! ever changes speed, not results.

pub(crate) mod arena;
pub mod cache;
pub mod declared;
pub mod graph;
pub mod parse;
pub mod query;
pub mod walk;

use std::path::{Path, PathBuf};

pub use graph::{FileEdge, FileLinks, FileNode, Graph, ImportEdge, LinkEdge, Symbol, SymbolRef};
pub use parse::{ImportKind, RefKind, SymbolKind};
pub use walk::{LoadStats, SourceFile, MAX_FILE_BYTES};

/// Errors reading a repository's sources.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// The directory to pack does not exist or is not a directory.
    #[error("{path}: not a directory; pass the repository folder to pack")]
    NotADirectory {
        /// The path given.
        path: PathBuf,
    },
    /// Walking the tree failed.
    #[error("walking {path}: {message}")]
    Walk {
        /// The root.
        path: PathBuf,
        /// The cause.
        message: String,
    },
}

/// Loads and parses `repo` (facts from the parse cache in `cache_dir` when given) and builds
/// its graph.
pub fn load_graph(
    repo: &Path,
    cache_dir: Option<&Path>,
) -> Result<(Vec<SourceFile>, Graph, LoadStats), GraphError> {
    let walked = walk::walk(repo)?;
    let cache = cache::ParseCache::new(cache_dir.map(Path::to_path_buf));
    let (files, stats) = walk::load(repo, walked, &cache, None);
    cache.flush();
    let graph = graph::build(repo, &files);
    Ok((files, graph, stats))
}

/// The dependency graph of `repo`.
pub fn build_graph(repo: &Path, cache_dir: Option<&Path>) -> Result<Graph, GraphError> {
    load_graph(repo, cache_dir).map(|(_, g, _)| g)
}

#[cfg(test)]
mod tests;
