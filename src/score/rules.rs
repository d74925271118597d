//! Architectural rules checked on the patched tree's dependency graph.
//!
//! In: a task's [`ArchRule`]s and the attempt's repository after the edit (protected files
//! restored, hidden tests not yet copied in), parsed by the packer's graph code
//! ([`crate::codegraph::load_graph`]). Out: one [`RuleResult`] per rule: whether it holds, and the
//! evidence when it does not (the offending import with its line, the cycle, the symbol, the
//! file, the use).
//!
//! What counts as a dependency: the graph's resolved imports (`import`, `from ... import`,
//! `use`, and Rust `crate::`/`self::`/`super::` paths written in code); `mod x;` declarations
//! do not count (declaring a module is not depending on it). By-name references are too
//! ambiguous to break a rule and are not used, except by `confined-use` (below).
//!
//! `confined-use` looks for the target in a file's imports (`use std::sync::Mutex`,
//! `use std::sync::{Arc, Mutex}`, `from threading import Lock`), for a use of its last name
//! in a file that imports its module (`use std::sync;` then `sync::Mutex`, `import threading`
//! then `threading.Lock()`, glob imports), for the path written out in code
//! (`std::sync::Mutex::new()`, outside `//` and `#` comment lines), and, when the target is
//! defined in the tree, for the graph's references to it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::catalog::arch::kind_word;
use crate::catalog::Language;
use crate::catalog::{ArchRule, RuleId, RuleKind};
use crate::codegraph::graph::Graph;
use crate::codegraph::parse::{ImportKind, RefKind};
use crate::codegraph::walk::SourceFile;
use crate::codegraph::GraphError;

/// Method names of Rust's standard library that a fixture's own method may share: a call by
/// such a name says nothing about whose method it is.
const RUST_STD_METHODS: &[&str] = &[
    "take",
    "replace",
    "swap",
    "reserve",
    "extend",
    "drain",
    "clear",
    "truncate",
    "retain",
    "entry",
    "pop",
    "first",
    "last",
    "wait",
    "notify_one",
    "notify_all",
    "join",
    "spawn",
    "borrow",
    "borrow_mut",
    "as_str",
    "to_owned",
    "parse",
    "finish",
    "flush",
    "sort",
    "reverse",
    "count",
    "sum",
    "min",
    "max",
    "find",
    "position",
    "any",
    "find_map",
    "unwrap_or",
    "ok",
    "and_then",
    "or_else",
    "is_some",
    "is_none",
    "extend_from_slice",
    "pop_front",
    "push_back",
    "push_front",
    "pop_back",
    "get_mut",
    "or_insert",
    "or_default",
    "try_recv",
    "fetch_add",
    "compare_exchange",
    "try_lock",
    "split_off",
    "first_mut",
    "last_mut",
];

/// The same for Python's built-in types and its threading and queue modules.
const PYTHON_STD_METHODS: &[&str] = &[
    "append",
    "extend",
    "pop",
    "clear",
    "copy",
    "count",
    "index",
    "reverse",
    "sort",
    "items",
    "keys",
    "values",
    "setdefault",
    "popitem",
    "discard",
    "union",
    "strip",
    "replace",
    "startswith",
    "endswith",
    "lower",
    "upper",
    "encode",
    "decode",
    "acquire",
    "release",
    "wait",
    "notify",
    "notify_all",
    "put",
    "get_nowait",
    "put_nowait",
    "submit",
    "result",
    "cancel",
    "done",
    "start",
    "is_alive",
    "is_set",
    "wait_for",
    "task_done",
    "qsize",
    "empty",
    "full",
];

/// Evidence kept per broken rule; the rest is counted.
pub const MAX_EVIDENCE: usize = 20;

/// Whether a rule holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleStatus {
    /// The tree satisfies the rule.
    Holds,
    /// The tree breaks it; see the evidence.
    Broken,
}

impl std::fmt::Display for RuleStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RuleStatus::Holds => "holds",
            RuleStatus::Broken => "broken",
        })
    }
}

/// One piece of evidence against a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The file, relative to the repo root (empty when the evidence is an absence).
    pub file: String,
    /// 1-based line, when there is one.
    pub line: Option<u32>,
    /// What is wrong there.
    pub detail: String,
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => f.write_str(&self.detail),
            (false, Some(l)) => write!(f, "{}:{l}: {}", self.file, self.detail),
            (false, None) => write!(f, "{}: {}", self.file, self.detail),
        }
    }
}

/// The check of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    /// The rule's id.
    pub id: RuleId,
    /// Its kind as written in task.toml.
    pub kind: String,
    /// What it asserts.
    pub description: String,
    /// Holds or broken.
    pub status: RuleStatus,
    /// Why it is broken (at most [`MAX_EVIDENCE`] items).
    pub evidence: Vec<Evidence>,
    /// Evidence items left out beyond the first [`MAX_EVIDENCE`].
    #[serde(default)]
    pub more_evidence: usize,
}

impl RuleResult {
    /// The result of a rule from all the evidence found against it: broken when there is any,
    /// the first [`MAX_EVIDENCE`] items kept and the rest counted.
    pub fn from_evidence(
        id: RuleId,
        kind: String,
        description: String,
        mut evidence: Vec<Evidence>,
    ) -> RuleResult {
        let more_evidence = evidence.len().saturating_sub(MAX_EVIDENCE);
        evidence.truncate(MAX_EVIDENCE);
        RuleResult {
            id,
            kind,
            description,
            status: if evidence.is_empty() {
                RuleStatus::Holds
            } else {
                RuleStatus::Broken
            },
            evidence,
            more_evidence,
        }
    }
}

/// Parses `repo` and checks every rule. Parse results are cached in `cache_dir` like the
/// packer's.
pub fn check_rules(
    rules: &[ArchRule],
    repo: &Path,
    cache_dir: Option<&Path>,
) -> Result<Vec<RuleResult>, GraphError> {
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let (files, graph, _) = crate::codegraph::load_graph(repo, cache_dir)?;
    Ok(check_graph(rules, &graph, &files, repo))
}

/// Checks every rule against an already built graph of `repo`.
pub fn check_graph(
    rules: &[ArchRule],
    graph: &Graph,
    files: &[SourceFile],
    repo: &Path,
) -> Vec<RuleResult> {
    rules
        .iter()
        .map(|rule| {
            RuleResult::from_evidence(
                rule.id.clone(),
                rule.kind.name().to_string(),
                rule.description.clone(),
                evaluate(&rule.kind, graph, files, repo),
            )
        })
        .collect()
}

fn matcher(glob: &str) -> globset::GlobMatcher {
    // The graph's own glob semantics; validated when the task was loaded.
    crate::codegraph::graph::glob(glob).expect("rule globs are validated on load")
}

/// The dependencies rules look at: resolved imports and code paths, not `mod` declarations.
fn dependencies(graph: &Graph) -> impl Iterator<Item = &crate::codegraph::ImportEdge> {
    graph
        .imports()
        .iter()
        .filter(|e| e.kind != ImportKind::Mod && e.from != e.to)
}

fn evaluate(kind: &RuleKind, graph: &Graph, files: &[SourceFile], repo: &Path) -> Vec<Evidence> {
    match kind {
        RuleKind::ForbidImport { from, to } => {
            let (f, t) = (matcher(from), matcher(to));
            dependencies(graph)
                .filter(|e| f.is_match(&e.from) && t.is_match(&e.to))
                .map(|e| Evidence {
                    file: e.from.clone(),
                    line: Some(e.line),
                    detail: format!("imports {} (`{}`)", e.to, e.spec),
                })
                .collect()
        }
        RuleKind::Layers { layers } => {
            let ms: Vec<_> = layers.iter().map(|g| matcher(g)).collect();
            let layer_of = |p: &str| ms.iter().position(|m| m.is_match(p));
            dependencies(graph)
                .filter_map(|e| {
                    let (a, b) = (layer_of(&e.from)?, layer_of(&e.to)?);
                    (b < a).then(|| Evidence {
                        file: e.from.clone(),
                        line: Some(e.line),
                        detail: format!(
                            "layer {} ({}) imports {} of the higher layer {} ({}) (`{}`)",
                            a + 1,
                            layers[a],
                            e.to,
                            b + 1,
                            layers[b],
                            e.spec
                        ),
                    })
                })
                .collect()
        }
        RuleKind::NoCycles { within } => cycles(graph, &matcher(within)),
        RuleKind::SymbolExists {
            symbol,
            symbol_kind,
        } => {
            let path = normalise_symbol(symbol);
            let found: Vec<_> = graph.symbols().iter().filter(|s| s.path == path).collect();
            match (found.is_empty(), symbol_kind) {
                (true, _) => vec![Evidence {
                    file: String::new(),
                    line: None,
                    detail: format!("no definition of {symbol} in the tree"),
                }],
                (false, Some(k)) if !found.iter().any(|s| s.kind == *k) => found
                    .iter()
                    .map(|s| Evidence {
                        file: s.file.clone(),
                        line: Some(s.line),
                        detail: format!(
                            "{symbol} is a {}, expected a {}",
                            kind_word(s.kind),
                            kind_word(*k)
                        ),
                    })
                    .collect(),
                _ => vec![],
            }
        }
        RuleKind::SymbolAbsent { symbol } => {
            let path = normalise_symbol(symbol);
            graph
                .symbols()
                .iter()
                .filter(|s| s.path == path)
                .map(|s| Evidence {
                    file: s.file.clone(),
                    line: Some(s.line),
                    detail: format!("{symbol} is still defined ({})", kind_word(s.kind)),
                })
                .collect()
        }
        RuleKind::FileAbsent { path } => {
            let m = matcher(path);
            graph
                .files()
                .iter()
                .filter(|f| m.is_match(&f.path))
                .map(|f| Evidence {
                    file: f.path.clone(),
                    line: None,
                    detail: format!("exists, but no file may match {path}"),
                })
                .collect()
        }
        RuleKind::ConfinedUse { target, only_in } => {
            confined_use(target, &matcher(only_in), graph, files, repo)
        }
    }
}

/// `crate::a::B` and `a::B` name the same Rust symbol in the graph.
fn normalise_symbol(symbol: &str) -> &str {
    symbol.strip_prefix("crate::").unwrap_or(symbol)
}

/// Import cycles among files matching `within`: one evidence item per strongly connected
/// component with more than one file, showing one cycle through it with its import lines.
fn cycles(graph: &Graph, within: &globset::GlobMatcher) -> Vec<Evidence> {
    // Adjacency over the files in scope, first import line per pair; BTreeMaps keep it ordered.
    let mut adj: BTreeMap<&str, BTreeMap<&str, (u32, &str)>> = BTreeMap::new();
    for e in dependencies(graph) {
        if within.is_match(&e.from) && within.is_match(&e.to) {
            adj.entry(e.from.as_str())
                .or_default()
                .entry(e.to.as_str())
                .or_insert((e.line, e.spec.as_str()));
            adj.entry(e.to.as_str()).or_default();
        }
    }
    let mut out = Vec::new();
    let mut reported: BTreeSet<&str> = BTreeSet::new();
    for &start in adj.keys() {
        if reported.contains(start) {
            continue;
        }
        // Shortest cycle back to `start` (breadth-first, neighbours in path order).
        let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        'bfs: while let Some(node) = queue.pop_front() {
            for &next in adj[node].keys() {
                if next == start {
                    closing = Some(node);
                    break 'bfs;
                }
                if !prev.contains_key(next) && next != start {
                    prev.insert(next, node);
                    queue.push_back(next);
                }
            }
        }
        let Some(last) = closing else { continue };
        let mut path = vec![last];
        while let Some(&p) = prev.get(path.last().unwrap()) {
            path.push(p);
        }
        path.reverse(); // start .. last
        debug_assert_eq!(path[0], start);
        let mut steps = Vec::new();
        for (i, &from) in path.iter().enumerate() {
            let to = path.get(i + 1).copied().unwrap_or(start);
            let (line, _) = adj[from][to];
            steps.push(format!("{from}:{line} -> {to}"));
            reported.insert(from);
        }
        out.push(Evidence {
            file: start.to_string(),
            line: Some(adj[start][path.get(1).copied().unwrap_or(start)].0),
            detail: format!("import cycle: {}", steps.join(", ")),
        });
    }
    out
}

fn confined_use(
    target: &str,
    only_in: &globset::GlobMatcher,
    graph: &Graph,
    files: &[SourceFile],
    repo: &Path,
) -> Vec<Evidence> {
    let mut hits: BTreeSet<(String, u32, String)> = BTreeSet::new();
    let rust: Vec<&str> = target
        .trim_start_matches("::")
        .split("::")
        .filter(|s| !s.is_empty())
        .collect();
    let python: Vec<&str> = target.split('.').filter(|s| !s.is_empty()).collect();
    for f in files {
        if only_in.is_match(&f.path) {
            continue;
        }
        let (Some(lang), Some(facts)) = (f.lang, &f.facts) else {
            continue;
        };
        // A target written with `::` is a Rust path, otherwise a Python dotted path.
        let want: &[&str] = match lang {
            Language::Rust if target.contains("::") => &rust,
            Language::Python if !target.contains("::") => &python,
            _ => continue,
        };
        let Some((last, _)) = want.split_last() else {
            continue;
        };
        // Modules of the target this file imports whole (`use std::sync;`, `import threading`,
        // `from x import *`): a use of the target's last name then means the target.
        let mut module_lines: Vec<u32> = Vec::new();
        for imp in &facts.imports {
            let mut path: Vec<&str> = imp.path.iter().map(String::as_str).collect();
            if lang == Language::Python && imp.level > 0 {
                continue; // relative imports are in-tree: the graph's references cover them
            }
            let wildcard = path.last() == Some(&"*") || imp.names.iter().any(|n| n == "*");
            if path.last() == Some(&"*") {
                path.pop();
            }
            let mut full = path.clone();
            let named: Vec<&str> = imp.names.iter().map(String::as_str).collect();
            let spelled = match imp.kind {
                ImportKind::From => named.iter().any(|n| {
                    full.push(n);
                    let hit = full.starts_with(want);
                    full.pop();
                    hit
                }),
                ImportKind::Mod => false,
                _ => full.starts_with(want),
            };
            if spelled {
                hits.insert((f.path.clone(), imp.line, format!("imports {target}")));
                continue;
            }
            // `import a.b` / `use a::b;` / `from a import b` (b a module) / wildcards.
            let module_import = match imp.kind {
                ImportKind::From => {
                    (wildcard && path.as_slice() == &want[..want.len() - 1])
                        || named.iter().any(|n| {
                            let mut m = path.clone();
                            m.push(n);
                            m.len() < want.len() && want.starts_with(&m)
                        })
                }
                ImportKind::Mod => false,
                _ => path.len() < want.len() && want.starts_with(&path),
            };
            if module_import {
                module_lines.push(imp.line);
            }
        }
        if !module_lines.is_empty() {
            for r in facts.refs.iter().filter(|r| r.name == *last) {
                if r.kind != RefKind::Import {
                    hits.insert((
                        f.path.clone(),
                        r.line,
                        format!("uses {last} from an imported module of {target}"),
                    ));
                }
            }
        }
        // The path written out in code.
        let text = match &f.text {
            Some(t) => std::borrow::Cow::Borrowed(t.as_str()),
            None => match std::fs::read_to_string(repo.join(&f.path)) {
                Ok(t) => std::borrow::Cow::Owned(t),
                Err(_) => continue,
            },
        };
        let comment = crate::lang::support(lang).line_comment();
        for (n, line) in text.lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with(comment) || l.starts_with("use ") || l.starts_with("pub use ") {
                continue;
            }
            if contains_path(l, target) {
                hits.insert((f.path.clone(), n as u32 + 1, format!("names {target}")));
            }
        }
    }
    // A target defined in the tree: the graph's references to it. Only references that are
    // certain count: a name imported from the target's file, or a name the tree defines once
    // (the graph also links a call to up to three same-named definitions; a second definition
    // makes `x.name()` ambiguous and such calls are then not counted: the rule errs towards
    // the model). Methods are matched by name alone (`x.take()` names no type), so a method
    // whose name is common, or shared with the standard library's, cannot be confined: the rule
    // is reported broken with that explanation for the task's author rather than guessed at.
    let path = normalise_symbol(target);
    if let Some(symbol) = graph.symbols().iter().find(|s| s.path == path) {
        if symbol.kind == crate::catalog::SymbolKind::Method
            && (crate::codegraph::graph::name_discount(&symbol.name) < 1.0
                || if symbol.file.ends_with(".rs") {
                    RUST_STD_METHODS
                } else {
                    PYTHON_STD_METHODS
                }
                .contains(&symbol.name.as_str()))
        {
            return vec![Evidence {
                file: symbol.file.clone(),
                line: Some(symbol.line),
                detail: format!(
                    "{target} is a method with a common name, and calls are matched by name; confine its type, or a method with a distinctive name, instead"
                ),
            }];
        }
        let defined_once = graph.symbols_named(&symbol.name).count() == 1;
        for r in graph.symbol_refs() {
            if r.symbol == path
                && !only_in.is_match(&r.file)
                && (r.kind == RefKind::Import || defined_once)
            {
                hits.insert((r.file.clone(), r.line, format!("uses {target}")));
            }
        }
    }
    // One item per line, the most specific wording first (imports before names and uses).
    let mut seen: BTreeSet<(String, u32)> = BTreeSet::new();
    let mut out = Vec::new();
    for (file, line, detail) in hits {
        if seen.insert((file.clone(), line)) {
            out.push(Evidence {
                file: file.clone(),
                line: Some(line),
                detail: format!("{detail}, allowed only in the files of the rule"),
            });
        }
    }
    out
}

/// Whether `line` contains `path` as a whole path (not inside a longer identifier).
fn contains_path(line: &str, path: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(at) = line[from..].find(path) {
        let start = from + at;
        let end = start + path.len();
        let before = line[..start].chars().next_back();
        let after = line[end..].chars().next();
        let before_ok = before.is_none_or(|c| !ident(c) && c != '.' && c != ':');
        let after_ok = after.is_none_or(|c| !ident(c));
        if before_ok && after_ok {
            return true;
        }
        from = end;
    }
    false
}

pub mod shim;

#[cfg(test)]
mod tests;
