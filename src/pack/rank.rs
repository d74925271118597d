//! Task-aware ranking: the file graph (from `graph.rs`), the files and a task's text in; every
//! file with a score and a reason out, best first.
//!
//! Two signals, fused:
//!
//! - **Lexical** (`lexical.rs`): BM25F of the query's terms over each file's path,
//!   definitions and text, with IDF over the repository. This finds the right files from the
//!   words of plain prose, where no code is named.
//! - **Graph**: personalised PageRank over the file graph, restarting at seeds: files whose
//!   path the text mentions (weight `NAMED_SEED`) or whose module path it mentions
//!   (`MODULE_SEED`), files that define the identifiers the text writes as code (1 for a
//!   name only one file defines, shared among the definers of a name, discounted for common
//!   and private names, at most 1 per file), and the `LEXICAL_SEEDS` best lexical
//!   matches (up to 1 each, by score). Rank flows along dependencies (user -> used) and, at `REVERSE`
//!   weight, back to the users, so the callers of the code that must move rise as well as
//!   what it calls; edges that carry a name the text writes as code weigh
//!   `MENTION_BOOST` times more. A file's PageRank is divided by the square root of its
//!   weighted degree before fusing (the degree-normalised PPR of local graph clustering), so a
//!   hub every file imports does not outrank the files around the seeds just for being
//!   central.
//!
//! The final score is `share * graph + (1 - share) * lexical`, each scaled to a maximum of 1
//! (the lexical score above the repository's median: a term every file matches lifts no
//! file), times `TEST_FACTOR` for test files: tests use the names of the code they exercise
//! as much as the code does, but a refactor changes the code. Without a query the walk
//! restarts uniformly and the score is plain PageRank.
//!
//! The graph's share follows how much the text names (`graph_share`): `GRAPH_SHARE` when
//! the files it names by path or module and the definers of the identifiers it writes as code
//! add up to `NAMED_SATURATION` seeds or more (a task with an interface), down to
//! `PROSE_GRAPH_SHARE` when they add up to nothing (a prose commit message such as "time:
//! expire timers directly on shutdown without rotating wheel"). Without names the walk
//! restarts only at the best lexical matches, so its scores are a smoothed copy of the
//! lexical ones plus the hubs around them, and the words of the text, where they are rare in
//! the repository, are the better evidence.
//!
//! Deterministic: the iteration visits nodes and edges in path order, the lexical scan's
//! results are in file order, and the result is sorted by score, then path.

use std::path::Path;

use super::lexical::Lexical;
use super::query::{Mention, Query};
use crate::codegraph::graph::{name_discount, FileLinks, MAX_CANDIDATES};
use crate::codegraph::walk::SourceFile;

const DAMPING: f64 = 0.85;
const ITERATIONS: usize = 60;
/// Weight of a link from the file used back to its user, against 1 the other way.
const REVERSE: f64 = 0.5;
/// Factor on the weight of an edge that carries a name the text writes as code.
const MENTION_BOOST: f64 = 10.0;
/// Seed weight of a file whose path the text mentions.
const NAMED_SEED: f64 = 2.0;
/// Seed weight of a file whose module path the text mentions (a qualified name in a
/// signature names a file that is used more often than one to change).
const MODULE_SEED: f64 = 0.5;
/// How many of the best lexical matches seed the walk.
const LEXICAL_SEEDS: usize = 10;
/// Share of the graph score in the fused score when the text names enough (see
/// [`graph_share`]).
const GRAPH_SHARE: f64 = 0.5;
/// Share of the graph score when the text names no file and no identifier that a file
/// defines.
const PROSE_GRAPH_SHARE: f64 = 0.3;
/// Seed weight of named files and definers of code names from which the graph gets its full
/// share: two files named by path, or a few definers of the interface's names.
const NAMED_SATURATION: f64 = 2.0;
/// Factor on the fused score of a test file (see [`is_test_path`]): tests use every name of
/// the code they exercise, so they match a task's terms and neighbour its files as well as
/// the code does, but a refactor changes the code and keeps the tests passing.
const TEST_FACTOR: f64 = 0.5;

/// Least seed weight of a name given in a file's reason (see [`telling_names`]): a common or
/// private name (weight 0.1 at most), or one more than five files define, is left out.
const REASON_WEIGHT: f64 = 0.2;

/// Whether `path` (relative, `/`-separated) is a test file: under a `tests`, `test`,
/// `testing` or `__tests__` folder, or named `test_*`, `*_test(s).*`, `tests.rs` or
/// `conftest.py`.
pub fn is_test_path(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    let file = parts.pop().unwrap_or("");
    if parts
        .iter()
        .any(|p| matches!(*p, "tests" | "test" | "testing" | "__tests__"))
    {
        return true;
    }
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem == "tests"
        || file == "conftest.py"
}

/// Why a file ranks where it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Its path or module path appears in the task.
    Named,
    /// It defines identifiers the task writes as code (the first few, sorted).
    Defines(Vec<String>),
    /// Its path, definitions or text use the task's terms (the stems adding most).
    Matches(Vec<String>),
    /// Only the graph put it there.
    Graph,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Named => f.write_str("named in the task"),
            Reason::Defines(names) => write!(f, "defines {} named in the task", names.join(", ")),
            Reason::Matches(terms) => write!(f, "uses the task's terms {}", terms.join(", ")),
            Reason::Graph => f.write_str("related through the dependency graph"),
        }
    }
}

/// One ranked file.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// Index into the files (the same as into [`crate::codegraph::Graph::files`]).
    pub file: usize,
    /// Fused score (the best file has at most 1).
    pub score: f64,
    /// Why.
    pub reason: Reason,
}

/// The ranking and what it learnt about the query, which rendering reuses.
#[derive(Debug)]
pub struct Ranking {
    /// Every file, best first.
    pub ranked: Vec<Ranked>,
    /// The task's text, read.
    pub query: Query,
    /// Lexical relevance of every file.
    pub lexical: Lexical,
}

/// Ranks every file of `links` (whose files are `files`) for a task described by
/// `task_text` (empty: no task), with the files' term bags cached in `bag_cache` if given.
pub fn rank(
    links: &FileLinks<'_>,
    files: &[SourceFile],
    task_text: &str,
    bag_cache: Option<&Path>,
) -> Ranking {
    let query = Query::parse(task_text);
    let lexical = Lexical::score(&query, files, bag_cache);
    let n = links.paths.len();
    if n == 0 {
        return Ranking {
            ranked: Vec::new(),
            query,
            lexical,
        };
    }
    let lex = above_background(&lexical.scores);
    let max_lex = lex.iter().copied().fold(0.0, f64::max);

    let mut seed = vec![0.0f64; n];
    let mut named = vec![false; n];
    for i in 0..n {
        match query.mentions_file(links.paths[i], links.modules[i].as_deref()) {
            Some(Mention::Path) => seed[i] += NAMED_SEED,
            Some(Mention::Module) => seed[i] += MODULE_SEED,
            None => continue,
        }
        named[i] = true;
    }
    // The names each file defines, with their seed weight (for the reason).
    let mut defines: Vec<Vec<(f64, &str)>> = vec![Vec::new(); n];
    let mut ident = vec![0.0f64; n];
    for name in &query.code_names {
        let Some(list) = links.definers.get(name.as_str()) else {
            continue;
        };
        if list.len() > MAX_CANDIDATES {
            continue;
        }
        let w = name_discount(name) / list.len() as f64;
        for &i in list {
            ident[i] += w;
            defines[i].push((w, name));
        }
    }
    for i in 0..n {
        seed[i] += ident[i].min(1.0);
    }
    let share = graph_share(seed.iter().sum());
    let mut by_lex: Vec<usize> = (0..n).filter(|&i| lex[i] > 0.0).collect();
    by_lex.sort_by(|&a, &b| lex[b].total_cmp(&lex[a]).then(a.cmp(&b)));
    for &i in by_lex.iter().take(LEXICAL_SEEDS) {
        seed[i] += lex[i];
    }

    let total: f64 = seed.iter().sum();
    let personal: Vec<f64> = if total > 0.0 {
        seed.iter().map(|s| s / total).collect()
    } else {
        vec![1.0 / n as f64; n]
    };
    let (graph, degree) = pagerank(links, &query, &personal);
    let pprn: Vec<f64> = if total > 0.0 {
        // Degree-normalised: a hub gathers rank from everything around it.
        (0..n)
            .map(|i| graph[i] / (1.0 + degree[i]).sqrt())
            .collect()
    } else {
        graph
    };
    let max_graph = pprn
        .iter()
        .copied()
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let score: Vec<f64> = (0..n)
        .map(|i| {
            let fused = if max_lex > 0.0 {
                share * pprn[i] / max_graph + (1.0 - share) * lex[i]
            } else {
                pprn[i] / max_graph
            };
            // Only for a task: without one the ranking is plain PageRank.
            if total > 0.0 && is_test_path(links.paths[i]) {
                fused * TEST_FACTOR
            } else {
                fused
            }
        })
        .collect();

    let paths = &links.paths;
    let mut ranked: Vec<Ranked> = (0..n)
        .map(|i| Ranked {
            file: i,
            score: score[i],
            reason: if named[i] {
                Reason::Named
            } else if let Some(names) = telling_names(&mut defines[i]) {
                Reason::Defines(names)
            } else if lex[i] >= 0.1 {
                Reason::Matches(
                    lexical.top_terms[i]
                        .iter()
                        .map(|&t| lexical.vocab.stem(t).to_string())
                        .collect(),
                )
            } else {
                Reason::Graph
            },
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| paths[a.file].cmp(paths[b.file]))
    });
    Ranking {
        ranked,
        query,
        lexical,
    }
}

/// The names worth giving as a file's reason, from those it defines that the text writes as
/// code with their seed weights: the (at most three) heaviest of weight at least
/// `REASON_WEIGHT`, ties by name; `None` when every one is generic (`__init__`, `new`) or
/// shared by many files, which says nothing about why the file ranks where it does.
fn telling_names(names: &mut [(f64, &str)]) -> Option<Vec<String>> {
    names.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let out: Vec<String> = names
        .iter()
        .filter(|(w, _)| *w >= REASON_WEIGHT)
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect();
    (!out.is_empty()).then_some(out)
}

/// The graph's share in the fused score for a text whose named files and code names' definers
/// seed the walk with `named` in all: from `PROSE_GRAPH_SHARE` at 0 up to `GRAPH_SHARE` at
/// `NAMED_SATURATION`, linearly.
fn graph_share(named: f64) -> f64 {
    PROSE_GRAPH_SHARE + (GRAPH_SHARE - PROSE_GRAPH_SHARE) * (named / NAMED_SATURATION).min(1.0)
}

/// Lexical scores relative to the repository's background: `(s - median) / (max - median)`,
/// 0 at or below the median. Terms every file matches (a shared path prefix, `py`) lift the
/// median with the rest, so they do not make every file look relevant.
fn above_background(scores: &[f64]) -> Vec<f64> {
    let mut sorted = scores.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let max = sorted.last().copied().unwrap_or(0.0);
    if max - median <= 0.0 {
        return vec![0.0; scores.len()];
    }
    scores
        .iter()
        .map(|s| ((s - median) / (max - median)).max(0.0))
        .collect()
}

/// Personalised PageRank over `links` restarting at `personal`: the scores and each file's
/// weighted degree (in and out).
fn pagerank(links: &FileLinks<'_>, query: &Query, personal: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let n = personal.len();
    // Weighted adjacency in both directions, in edge order (from, to sorted), then by target:
    // node i's links are `adj[start[i]..start[i + 1]]`.
    let mut weighted: Vec<(usize, usize, f64)> = Vec::with_capacity(links.edges.len());
    let mut start = vec![0usize; n + 1];
    let mut degree = vec![0.0f64; n];
    for e in &links.edges {
        let (a, b) = (e.from, e.to);
        let mut w = e.imports as f64;
        for &(name, nw) in &e.names {
            w += if query.code_names.contains(name) {
                nw * MENTION_BOOST
            } else {
                nw
            };
        }
        if w <= 0.0 {
            continue;
        }
        weighted.push((a, b, w));
        start[a + 1] += 1;
        start[b + 1] += 1;
        degree[a] += w;
        degree[b] += w;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut adj: Vec<(usize, f64)> = vec![(0, 0.0); start[n]];
    let mut fill = start.clone();
    for &(a, b, w) in &weighted {
        adj[fill[a]] = (b, w);
        fill[a] += 1;
        adj[fill[b]] = (a, w * REVERSE);
        fill[b] += 1;
    }
    for i in 0..n {
        // Stable: links to the same target keep edge order.
        adj[start[i]..start[i + 1]].sort_by_key(|&(t, _)| t);
    }
    let out: Vec<&[(usize, f64)]> = (0..n).map(|i| &adj[start[i]..start[i + 1]]).collect();
    let out_total: Vec<f64> = out.iter().map(|l| l.iter().map(|(_, w)| w).sum()).collect();

    let mut r = personal.to_vec();
    let mut next = vec![0.0f64; n];
    for _ in 0..ITERATIONS {
        let mut dangling = 0.0;
        next.iter_mut().for_each(|x| *x = 0.0);
        for i in 0..n {
            if out_total[i] <= 0.0 {
                dangling += r[i];
                continue;
            }
            let share = DAMPING * r[i] / out_total[i];
            for &(t, w) in out[i] {
                next[t] += share * w;
            }
        }
        let mut delta = 0.0;
        for i in 0..n {
            let v = next[i] + (1.0 - DAMPING) * personal[i] + DAMPING * dangling * personal[i];
            delta += (v - r[i]).abs();
            r[i] = v;
        }
        if delta < 1e-12 {
            break;
        }
    }
    (r, degree)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegraph::graph::LinkEdge;

    #[test]
    fn a_reason_names_what_tells_files_apart_not_generic_names() {
        let mut names = vec![
            (name_discount("__init__"), "__init__"),
            (1.0, "SessionStore"),
            (0.5, "AuthService"),
            (name_discount("new") / 3.0, "new"),
        ];
        assert_eq!(
            telling_names(&mut names),
            Some(vec!["SessionStore".to_string(), "AuthService".to_string()])
        );
        let mut generic = vec![(name_discount("__init__"), "__init__")];
        assert_eq!(telling_names(&mut generic), None, "then another reason");
    }

    fn bare(path: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            lang: None,
            bytes: 0,
            text: None,
            facts: None,
        }
    }

    fn order(r: &Ranking, paths: &[&str]) -> Vec<String> {
        r.ranked.iter().map(|x| paths[x.file].to_string()).collect()
    }

    #[test]
    fn pagerank_from_a_named_file_reaches_its_callers_and_callees() {
        // caller.rs uses core.rs, core.rs uses helper.rs; x and y stand apart, y a hub of x's.
        let paths = [
            "src/caller.rs",
            "src/core.rs",
            "src/helper.rs",
            "src/x.rs",
            "src/y.rs",
        ];
        let files: Vec<SourceFile> = paths.iter().map(|p| bare(p)).collect();
        let edge = |from, to| LinkEdge {
            from,
            to,
            imports: 1,
            names: Vec::new(),
        };
        let links = FileLinks {
            paths: paths.to_vec(),
            modules: vec![None; paths.len()],
            edges: vec![edge(0, 1), edge(1, 2), edge(3, 4)],
            definers: Default::default(),
        };
        let r = rank(&links, &files, "Make src/core.rs thread-safe", None);
        let got = order(&r, &paths);
        assert_eq!(got[0], "src/core.rs", "{got:?}");
        let pos = |p: &str| got.iter().position(|g| g == p).unwrap();
        assert!(pos("src/caller.rs") < pos("src/x.rs"), "{got:?}");
        assert!(pos("src/caller.rs") < pos("src/y.rs"), "{got:?}");
        assert!(pos("src/helper.rs") < pos("src/x.rs"), "{got:?}");
        assert_eq!(r.ranked[0].reason, Reason::Named);
    }

    #[test]
    fn prose_leans_on_the_words_and_named_code_on_the_graph() {
        assert_eq!(graph_share(0.0), PROSE_GRAPH_SHARE);
        assert_eq!(graph_share(NAMED_SATURATION), GRAPH_SHARE);
        assert_eq!(graph_share(10.0 * NAMED_SATURATION), GRAPH_SHARE);
        let half = graph_share(NAMED_SATURATION / 2.0);
        assert!(PROSE_GRAPH_SHARE < half && half < GRAPH_SHARE, "{half}");
    }

    #[test]
    fn a_prose_text_ranks_the_file_with_its_words_over_their_neighbour() {
        // words.rs holds the text's rare words; hub.rs is used by it and by everyone else.
        let paths = [
            "src/a.rs",
            "src/b.rs",
            "src/c.rs",
            "src/hub.rs",
            "src/words.rs",
        ];
        let texts = [
            "fn a() { hub(); }",
            "fn b() { hub(); }",
            "fn c() { hub(); }",
            "fn hub() {}",
            "// expire timers on shutdown without rotating the wheel\nfn expire() { hub(); }",
        ];
        let files: Vec<SourceFile> = paths
            .iter()
            .zip(texts)
            .map(|(p, t)| SourceFile {
                text: Some(t.into()),
                ..bare(p)
            })
            .collect();
        let edge = |from| LinkEdge {
            from,
            to: 3,
            imports: 1,
            names: Vec::new(),
        };
        let links = FileLinks {
            paths: paths.to_vec(),
            modules: vec![None; paths.len()],
            edges: vec![edge(0), edge(1), edge(2), edge(4)],
            definers: Default::default(),
        };
        let r = rank(
            &links,
            &files,
            "time: expire timers directly on shutdown without rotating wheel",
            None,
        );
        assert_eq!(order(&r, &paths)[0], "src/words.rs", "{:?}", r.ranked);
        // The hub has the most graph rank and none of the words: with no names in the text
        // the graph brings it only its prose share (it would bring GRAPH_SHARE).
        let hub = r.ranked.iter().find(|x| x.file == 3).unwrap();
        assert!(
            (hub.score - PROSE_GRAPH_SHARE).abs() < 1e-9,
            "{:?}",
            r.ranked
        );
    }

    #[test]
    fn test_paths_are_recognised() {
        for p in [
            "tests/test_login.py",
            "src/tests/helpers.rs",
            "pkg/test_models.py",
            "pkg/models_test.py",
            "src/tests.rs",
            "conftest.py",
            "lib/testing/fixtures.py",
        ] {
            assert!(is_test_path(p), "{p}");
        }
        for p in [
            "src/contest.rs",
            "pkg/testament.py",
            "src/latest.rs",
            "attestation/mod.rs",
        ] {
            assert!(!is_test_path(p), "{p}");
        }
    }

    #[test]
    fn ranking_is_deterministic_and_ties_go_by_path() {
        let paths = ["b.rs", "a.rs", "c.rs"];
        let files: Vec<SourceFile> = paths.iter().map(|p| bare(p)).collect();
        let links = FileLinks {
            paths: paths.to_vec(),
            modules: vec![None; 3],
            edges: Vec::new(),
            definers: Default::default(),
        };
        let first = order(&rank(&links, &files, "", None), &paths);
        assert_eq!(first, ["a.rs", "b.rs", "c.rs"]);
        for _ in 0..3 {
            assert_eq!(order(&rank(&links, &files, "", None), &paths), first);
        }
    }
}
