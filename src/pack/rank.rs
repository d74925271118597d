//! Task-aware ranking: personalised PageRank over the file graph, seeded by the files and
//! identifiers the task's text names.
//!
//! Seeds: a file whose path or module path appears in the text (weight 4), a file whose
//! distinctive stem appears as a word (1, shared among files with that stem), every file
//! defining an identifier the text names (1, shared among its definers, discounted like
//! common names). Edges whose names the text mentions weigh ten times more. Rank flows along
//! dependencies (user -> used) and, at half weight, back (used -> user), so both the callers
//! and the callees of the named code rise. Without seeds the walk restarts uniformly.
//!
//! Deterministic: the iteration visits nodes and edges in path order and the result is sorted
//! by score, then path.

use std::collections::{BTreeMap, BTreeSet};

use super::graph::{name_discount, FileLinks, MAX_CANDIDATES};

const DAMPING: f64 = 0.85;
const ITERATIONS: usize = 60;
const REVERSE: f64 = 0.5;
const MENTION_BOOST: f64 = 10.0;

/// Stems too generic to identify a file.
const GENERIC_STEMS: &[&str] = &[
    "__init__", "mod", "lib", "main", "utils", "util", "models", "views", "tests", "types",
    "error", "errors", "config", "common", "helpers", "base", "core", "settings", "conftest",
];

/// Why a file ranks where it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Its path, module path or stem appears in the task.
    Named,
    /// It defines identifiers the task names (the first few, sorted).
    Defines(Vec<String>),
    /// Only the graph put it there.
    Graph,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Named => f.write_str("named in the task"),
            Reason::Defines(names) => write!(f, "defines {} named in the task", names.join(", ")),
            Reason::Graph => f.write_str("related through the dependency graph"),
        }
    }
}

/// One ranked file.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// Index into the files (the same as into [`crate::codegraph::Graph::files`]).
    pub file: usize,
    /// PageRank score (sums to 1 over all files).
    pub score: f64,
    /// Why.
    pub reason: Reason,
}

/// Identifier-like words of `text` (`AuthService`, `login_user`, `app`).
pub fn words(text: &str) -> BTreeSet<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.len() >= 3 && w.chars().next().is_some_and(|c| !c.is_ascii_digit()))
        .collect()
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        let boundary = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        boundary(before) && boundary(after)
    })
}

/// Ranks every file of `links` for a task described by `task_text` (empty: no task).
pub fn rank(links: &FileLinks<'_>, task_text: &str) -> Vec<Ranked> {
    let paths = &links.paths;
    let n = paths.len();
    if n == 0 {
        return Vec::new();
    }
    let mentioned = words(task_text);
    let mut seed = vec![0.0f64; n];
    let mut named = vec![false; n];
    let mut defines: Vec<BTreeSet<String>> = vec![BTreeSet::new(); n];

    let mut stems: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, &path) in paths.iter().enumerate() {
        let module_named = links.modules[i]
            .as_deref()
            .is_some_and(|m| (m.contains('.') || m.contains("::")) && contains_word(task_text, m));
        if task_text.contains(path) || module_named {
            seed[i] += 4.0;
            named[i] = true;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        let stem = name.split('.').next().unwrap_or(name);
        if stem.len() >= 5 && !GENERIC_STEMS.contains(&stem) {
            stems.entry(stem).or_default().push(i);
        }
    }
    for (stem, list) in &stems {
        if contains_word(task_text, stem) {
            for &i in list {
                seed[i] += 1.0 / list.len() as f64;
                named[i] = true;
            }
        }
    }
    // `mentioned` is sorted, so names are visited in order; each list is sorted and unique.
    let definers = mentioned
        .iter()
        .filter_map(|name| links.definers.get(name).map(|list| (*name, list)));
    for (name, list) in definers {
        if list.len() > MAX_CANDIDATES {
            continue;
        }
        let w = name_discount(name) / list.len() as f64;
        for &i in list {
            seed[i] += w;
            defines[i].insert(name.to_string());
        }
    }
    let total: f64 = seed.iter().sum();
    let personal: Vec<f64> = if total > 0.0 {
        seed.iter().map(|s| s / total).collect()
    } else {
        vec![1.0 / n as f64; n]
    };

    // Weighted adjacency in both directions, in edge order (from, to sorted), then by target:
    // node i's links are `adj[start[i]..start[i + 1]]`.
    let mut weighted: Vec<(usize, usize, f64)> = Vec::with_capacity(links.edges.len());
    let mut start = vec![0usize; n + 1];
    for e in &links.edges {
        let (a, b) = (e.from, e.to);
        let mut w = e.imports as f64;
        for &(name, nw) in &e.names {
            w += if mentioned.contains(name) {
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

    let mut r = personal.clone();
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

    let mut ranked: Vec<Ranked> = (0..n)
        .map(|i| Ranked {
            file: i,
            score: r[i],
            reason: if named[i] {
                Reason::Named
            } else if !defines[i].is_empty() {
                Reason::Defines(defines[i].iter().take(3).cloned().collect())
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
    ranked
}
