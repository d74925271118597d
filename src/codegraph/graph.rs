//! The dependency graph: files and symbols as nodes; imports resolved to files and references
//! resolved to the files that define the names they use, merged per file pair.
//!
//! Resolution, most precise first:
//! - Python: `import a.b` and `from a.b import c` resolve against module paths computed from
//!   the files' paths (any leading folders may be a source root: `src/app/x.py` is `app.x`);
//!   `from . import m` and `from ..p import c` resolve from the importing file's package;
//!   `from p import m` prefers the submodule `p/m.py` over a name defined in `p/__init__.py`.
//! - Rust: `mod m;` loads `m.rs` or `m/mod.rs` beside the file (or under its own folder);
//!   `use`/paths starting with `crate::`, `self::`, `super::`, or a crate of the tree (its
//!   Cargo.toml `name`), resolve to the deepest module file, and the rest names a symbol.
//! - Any other reference resolves by name to every file defining it, with a weight divided
//!   among the candidates and discounted for private (`_x`) and common (`new`, `get`, ...)
//!   names; names defined in more than [`MAX_CANDIDATES`] files are ignored.
//!
//! Names a file imports resolve to the import's target, not by name.
//!
//! Ranking only needs the file-level part, [`links`]: indexes and borrowed names, no symbol
//! table. [`build`] resolves the same way and adds symbols, import edges and symbol references.
//!
//! Here: the graph's types and queries and [`build`]; resolution of imports to files
//! (Python and Rust module paths) in `graph/resolve.rs`; linking files by imports and names in
//! `graph/links.rs`.

use std::collections::HashMap;

use serde::Serialize;

use super::parse::{ImportKind, RefKind, SymbolKind};
use super::walk::SourceFile;
use crate::catalog::Language;
pub use links::{links, FileLinks, LinkEdge};
use links::{resolve, Detail};

mod links;
mod resolve;

/// A name defined in more files than this is too ambiguous to resolve by name.
pub const MAX_CANDIDATES: usize = 30;

/// Names so common that a by-name match says little.
const COMMON_NAMES: &[&str] = &[
    "new",
    "get",
    "set",
    "default",
    "from",
    "into",
    "clone",
    "fmt",
    "run",
    "main",
    "call",
    "update",
    "len",
    "is_empty",
    "iter",
    "next",
    "push",
    "insert",
    "remove",
    "contains",
    "map",
    "unwrap",
    "expect",
    "to_string",
    "as_ref",
    "eq",
    "hash",
    "drop",
    "deref",
    "build",
    "init",
    "close",
    "open",
    "read",
    "write",
    "send",
    "recv",
    "lock",
    "load",
    "store",
    "add",
    "with",
    "self",
    "Self",
    "Ok",
    "Err",
    "Some",
    "None",
    "Result",
    "Option",
    "Vec",
    "String",
    "Box",
    "str",
    "list",
    "dict",
    "int",
    "bool",
    "type",
    "object",
    "print",
    "super",
    "isinstance",
    "getattr",
    "setattr",
    "hasattr",
    "range",
    "items",
    "keys",
    "values",
    "append",
    "format",
    "join",
    "split",
    "Exception",
    "ValueError",
    "TypeError",
    "KeyError",
    "copy",
    "save",
    "delete",
    "filter",
    "all",
];

/// One file of the graph.
#[derive(Debug, Clone, Serialize)]
pub struct FileNode {
    /// Path relative to the root, `/`-separated.
    pub path: String,
    /// Language, when parsed.
    pub language: Option<Language>,
    /// Size in bytes.
    pub bytes: u64,
    /// Module path (`app.auth.service`, `auth::service`), when the file is a module.
    pub module: Option<String>,
}

/// One definition.
#[derive(Debug, Clone, Serialize)]
pub struct Symbol {
    /// Qualified path: module, enclosing scopes and name (`app.auth.service.AuthService.login`,
    /// `auth::service::AuthService::login`).
    pub path: String,
    /// Bare name.
    pub name: String,
    /// What it is.
    pub kind: SymbolKind,
    /// Defining file.
    pub file: String,
    /// First line (1-based).
    pub line: u32,
    /// Last line (1-based).
    pub end_line: u32,
}

/// An import resolved to a file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ImportEdge {
    /// The importing file.
    pub from: String,
    /// Line of the import (1-based).
    pub line: u32,
    /// The imported file.
    pub to: String,
    /// The import as written, normalised (`..models.User`, `crate::db::Pool`, `mod store`).
    pub spec: String,
    /// Its form: `use`, `mod`, `import`, `from`, or `path` for a Rust path written in code
    /// (`crate::db::connect()`) without a `use`.
    pub kind: ImportKind,
}

/// All dependencies of one file on another, merged.
#[derive(Debug, Clone, Serialize)]
pub struct FileEdge {
    /// The depending file.
    pub from: String,
    /// The file depended on.
    pub to: String,
    /// Total weight (imports count 1 each; names by kind and discounts).
    pub weight: f64,
    /// Number of resolved imports.
    pub imports: u32,
    /// Weight per referenced name, sorted by name.
    pub names: Vec<(String, f64)>,
}

/// A reference resolved to a symbol.
#[derive(Debug, Clone, Serialize)]
pub struct SymbolRef {
    /// The referring file.
    pub file: String,
    /// Line (1-based).
    pub line: u32,
    /// The symbol's qualified path.
    pub symbol: String,
    /// How it is used.
    pub kind: RefKind,
}

/// The dependency graph of a tree.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Graph {
    files: Vec<FileNode>,
    symbols: Vec<Symbol>,
    imports: Vec<ImportEdge>,
    edges: Vec<FileEdge>,
    symbol_refs: Vec<SymbolRef>,
    #[serde(skip)]
    file_index: HashMap<String, usize>,
    #[serde(skip)]
    out_edges: Vec<Vec<usize>>,
}

/// A compiled glob for [`Graph`] queries and architectural rules: `*` stays within one path
/// segment, `**` crosses them.
pub(crate) fn glob(pattern: &str) -> Result<globset::GlobMatcher, globset::Error> {
    Ok(globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()?
        .compile_matcher())
}

impl Graph {
    /// Every file, in path order.
    pub fn files(&self) -> &[FileNode] {
        &self.files
    }

    /// A file by path.
    pub fn file(&self, path: &str) -> Option<&FileNode> {
        self.file_index.get(path).map(|&i| &self.files[i])
    }

    /// Every symbol, ordered by file and line.
    pub fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    /// The symbol with this qualified path (the first by file and line when several share it).
    pub fn symbol(&self, path: &str) -> Option<&Symbol> {
        self.symbols.iter().find(|s| s.path == path)
    }

    /// Symbols with this bare name.
    pub fn symbols_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Symbol> + 'a {
        self.symbols.iter().filter(move |s| s.name == name)
    }

    /// Every resolved import, ordered by importing file and line.
    pub fn imports(&self) -> &[ImportEdge] {
        &self.imports
    }

    /// Resolved imports made by files matching `glob` (`app/**`, `src/auth/*.rs`).
    pub fn imports_from(&self, pattern: &str) -> Result<Vec<&ImportEdge>, globset::Error> {
        let m = glob(pattern)?;
        Ok(self
            .imports
            .iter()
            .filter(|e| m.is_match(&e.from))
            .collect())
    }

    /// Resolved imports of files matching `glob`.
    pub fn imports_to(&self, pattern: &str) -> Result<Vec<&ImportEdge>, globset::Error> {
        let m = glob(pattern)?;
        Ok(self.imports.iter().filter(|e| m.is_match(&e.to)).collect())
    }

    /// File-level edges (imports and resolved references merged), ordered by (from, to).
    pub fn edges(&self) -> &[FileEdge] {
        &self.edges
    }

    /// Edges out of `path`.
    pub fn edges_from<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a FileEdge> + 'a {
        let list = self
            .file_index
            .get(path)
            .map(|&i| self.out_edges[i].as_slice())
            .unwrap_or(&[]);
        list.iter().map(move |&e| &self.edges[e])
    }

    /// References resolved to symbols, ordered by file and line.
    pub fn symbol_refs(&self) -> &[SymbolRef] {
        &self.symbol_refs
    }

    /// References to the symbol with this qualified path.
    pub fn references_to<'a>(
        &'a self,
        symbol: &'a str,
    ) -> impl Iterator<Item = &'a SymbolRef> + 'a {
        self.symbol_refs.iter().filter(move |r| r.symbol == symbol)
    }

    /// The graph as JSON (files, symbols, imports, edges, symbol references).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("graph serializes")
    }

    /// The file-level graph in Graphviz DOT.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph refbench {\n  rankdir=LR;\n  node [shape=box];\n");
        for f in &self.files {
            if f.language.is_some() {
                out.push_str(&format!("  {};\n", dot_id(&f.path)));
            }
        }
        for e in &self.edges {
            let style = if e.imports > 0 { "solid" } else { "dashed" };
            out.push_str(&format!(
                "  {} -> {} [weight={:.3}, style={style}];\n",
                dot_id(&e.from),
                dot_id(&e.to),
                e.weight
            ));
        }
        out.push_str("}\n");
        out
    }
}

fn dot_id(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub(super) fn kind_weight(kind: RefKind) -> f64 {
    match kind {
        RefKind::Base | RefKind::Impl => 1.0,
        RefKind::Import => 1.0,
        RefKind::Call | RefKind::Type => 0.5,
        RefKind::Name => 0.25,
    }
}

/// Discount for names that say little about which definition is meant.
pub fn name_discount(name: &str) -> f64 {
    let mut m = 1.0;
    if name.starts_with('_') {
        m *= 0.1;
    }
    if name.len() < 3 || COMMON_NAMES.contains(&name) {
        m *= 0.1;
    }
    m
}

/// FNV-1a: the name maps are hashed hundreds of thousands of times per pack, with short
/// keys, where std's DoS-resistant SipHash showed in profiles. Keys come from the packed
/// repository, which is not adversarial here.
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A `HashMap` hashed with [`Fnv`].
pub type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

/// Builds the graph of `files` (sorted by path) under `root`.
pub fn build(root: &std::path::Path, files: &[SourceFile]) -> Graph {
    let mut detail = Detail::default();
    let links = resolve(root, files, Some(&mut detail));
    let Detail {
        symbols,
        mut imports,
        mut symbol_refs,
    } = detail;
    let nodes: Vec<FileNode> = files
        .iter()
        .zip(links.modules)
        .map(|(f, module)| FileNode {
            path: f.path.clone(),
            language: f.lang,
            bytes: f.bytes,
            module,
        })
        .collect();
    let mut edges = Vec::with_capacity(links.edges.len());
    let mut out_edges = vec![Vec::new(); files.len()];
    for e in links.edges {
        let names: Vec<(String, f64)> = e
            .names
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let weight = e.imports as f64 + names.iter().map(|(_, w)| w).sum::<f64>();
        out_edges[e.from].push(edges.len());
        edges.push(FileEdge {
            from: files[e.from].path.clone(),
            to: files[e.to].path.clone(),
            weight,
            imports: e.imports,
            names,
        });
    }
    imports.sort();
    imports.dedup();
    symbol_refs.sort_by(|a, b| {
        (&a.file, a.line, &a.symbol, a.kind).cmp(&(&b.file, b.line, &b.symbol, b.kind))
    });
    symbol_refs.dedup_by(|a, b| a.file == b.file && a.line == b.line && a.symbol == b.symbol);
    let file_index = nodes
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.clone(), i))
        .collect();
    Graph {
        files: nodes,
        symbols,
        imports,
        edges,
        symbol_refs,
        file_index,
        out_edges,
    }
}
