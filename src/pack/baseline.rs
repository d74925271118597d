//! Peers pack-eval compares refbench's packer with, built in: a repository, a task's text and
//! a budget in; a rendered pack out, counted and capped like refbench's own.
//!
//! - [`Peer::Bm25`]: files ranked by BM25 over whole files (each file one document: its text
//!   with its path; the query's terms and IDF as refbench's lexical ranking reads them, but
//!   no field weights and no graph), then the budget filled with the best files in full,
//!   skipping any that does not fit.
//! - [`Peer::PathOrder`]: files in path order, in full, the same way.

use std::path::Path;

use super::lexical::{FieldWeights, Lexical};
use super::query::Query;
use super::render::{code_section, fit_exactly, full_text, Mode, Rendered, Section, HEADER};
use super::tokens::TokenCache;
use super::PackError;
use crate::codegraph::cache::ParseCache;
use crate::codegraph::walk;

/// A built-in peer packer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Peer {
    /// BM25 over whole files, best files in full.
    Bm25,
    /// Path order, files in full.
    PathOrder,
}

/// Packs `repo` for `task_text` under `budget` tokens the way `peer` does; the parse cache
/// in `cache_dir` when given.
pub fn pack_peer(
    peer: Peer,
    repo: &Path,
    task_text: &str,
    budget: usize,
    cache_dir: Option<&Path>,
) -> Result<(Vec<String>, Rendered), PackError> {
    let walked = walk::walk(repo)?;
    let cache = ParseCache::new(cache_dir.map(Path::to_path_buf));
    let (files, _) = walk::load(repo, walked, &cache, None);
    cache.flush();
    let order: Vec<usize> = match peer {
        Peer::PathOrder => (0..files.len()).collect(),
        Peer::Bm25 => {
            let lex = Lexical::score_with(
                &Query::parse(task_text),
                &files,
                cache_dir,
                FieldWeights::PLAIN,
            );
            let mut order: Vec<usize> = (0..files.len()).collect();
            order.sort_by(|&a, &b| lex.scores[b].total_cmp(&lex.scores[a]).then(a.cmp(&b)));
            order
        }
    };
    let mut tokens = TokenCache::load(cache_dir);
    let rendered = fill_in_full(repo, &files, &order, budget, &mut tokens);
    tokens.save();
    Ok((files.into_iter().map(|f| f.path).collect(), rendered))
}

/// Files of `order` in full while the budget lasts, skipping those that do not fit.
fn fill_in_full(
    root: &Path,
    files: &[walk::SourceFile],
    order: &[usize],
    budget: usize,
    tokens: &mut TokenCache,
) -> Rendered {
    let mut used = tokens.count(HEADER);
    if used > budget {
        return Rendered {
            text: String::new(),
            tokens: 0,
            sections: Vec::new(),
        };
    }
    let mut sections = Vec::new();
    for (rank, &i) in order.iter().enumerate() {
        let file = &files[i];
        if used >= budget || (file.bytes as usize) > (budget - used).saturating_mul(8) {
            continue;
        }
        let Some(text) = full_text(root, file) else {
            continue;
        };
        let s = code_section(&file.path, "", &text);
        let t = tokens.count(&s);
        if used + t <= budget {
            used += t;
            sections.push(Section::new(i, rank, Mode::Full, s, t));
        }
    }
    fit_exactly(sections, budget, tokens)
}
