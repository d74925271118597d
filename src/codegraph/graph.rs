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

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::parse::{ImportKind, RefKind, SymbolKind};
use super::walk::SourceFile;
use crate::catalog::Language;

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

fn kind_weight(kind: RefKind) -> f64 {
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

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

fn join(dir: &str, rest: &str) -> String {
    if rest.is_empty() {
        dir.to_string()
    } else if dir.is_empty() {
        rest.to_string()
    } else {
        format!("{dir}/{rest}")
    }
}

/// Python module path of a file relative to the root: `a/b/c.py` -> `a.b.c`,
/// `a/b/__init__.py` -> `a.b`.
fn python_module(path: &str) -> Option<Vec<&str>> {
    let stem = path
        .strip_suffix(".py")
        .or_else(|| path.strip_suffix(".pyi"))?;
    let mut parts: Vec<&str> = stem.split('/').collect();
    if parts.last() == Some(&"__init__") {
        parts.pop();
    }
    Some(parts)
}

/// Where a Rust file sits: its crate's `src` folder and its module path under it.
struct RustModule {
    crate_src: String,
    module: Vec<String>,
    /// Folder holding this module's `mod x;` children.
    child_dir: String,
}

fn rust_module(path: &str) -> RustModule {
    let parts: Vec<&str> = path.split('/').collect();
    let file = parts[parts.len() - 1];
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    let dir = parent_dir(path).to_string();
    let own_dir = matches!(stem, "lib" | "main" | "mod");
    let src_at = parts[..parts.len() - 1].iter().rposition(|c| *c == "src");
    match src_at {
        Some(i) if !parts[i + 1..parts.len() - 1].contains(&"bin") => {
            let mut module: Vec<String> = parts[i + 1..parts.len() - 1]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let is_root = module.is_empty() && matches!(stem, "lib" | "main");
            if !own_dir {
                module.push(stem.to_string());
            }
            RustModule {
                crate_src: parts[..=i].join("/"),
                child_dir: if own_dir || is_root {
                    dir
                } else {
                    join(&dir, stem)
                },
                module,
            }
        }
        // Crate roots outside src/ (tests/x.rs, build.rs, examples, bins): their own crate.
        _ => RustModule {
            crate_src: path.to_string(),
            module: Vec::new(),
            child_dir: dir,
        },
    }
}

/// A crate's name from its Cargo.toml text (`[lib] name`, else `[package] name`).
fn cargo_name(toml: &str) -> Option<String> {
    let mut section = "";
    let mut package = None;
    let mut lib = None;
    for line in toml.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            section = l;
            continue;
        }
        if let Some(v) = l.strip_prefix("name") {
            let v = v.trim_start();
            if let Some(v) = v.strip_prefix('=') {
                let v = v.trim().trim_matches('"').to_string();
                match section {
                    "[package]" => package = package.or(Some(v)),
                    "[lib]" => lib = lib.or(Some(v)),
                    _ => {}
                }
            }
        }
    }
    lib.or(package).map(|n| n.replace('-', "_"))
}

struct Resolver<'a> {
    files: &'a [SourceFile],
    index: HashMap<&'a str, usize>,
    /// Python module suffix -> (leading folders stripped, file).
    py_modules: HashMap<String, Vec<(usize, usize)>>,
    /// Crate src folder -> its index in `rust_modules`.
    crate_ids: FastMap<String, usize>,
    /// Per crate src folder: module path -> file.
    rust_modules: Vec<FastMap<String, usize>>,
    /// Crate name -> its src folder's index in `rust_modules`.
    crates: FastMap<String, usize>,
}

impl<'a> Resolver<'a> {
    fn new(root: &std::path::Path, files: &'a [SourceFile]) -> Self {
        let mut index = HashMap::new();
        let mut py_modules: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        let mut crate_ids: FastMap<String, usize> = FastMap::default();
        let mut rust_modules: Vec<FastMap<String, usize>> = Vec::new();
        let mut crate_srcs: BTreeMap<String, String> = BTreeMap::new();
        for (i, f) in files.iter().enumerate() {
            index.insert(f.path.as_str(), i);
            match f.lang {
                Some(Language::Python) => {
                    if let Some(parts) = python_module(&f.path) {
                        for strip in 0..parts.len() {
                            py_modules
                                .entry(parts[strip..].join("."))
                                .or_default()
                                .push((strip, i));
                        }
                    }
                }
                Some(Language::Rust) => {
                    let m = rust_module(&f.path);
                    let id = crate_id(&mut crate_ids, &mut rust_modules, m.crate_src);
                    rust_modules[id].insert(m.module.join("::"), i);
                }
                None => {
                    if f.path == "Cargo.toml" || f.path.ends_with("/Cargo.toml") {
                        let dir = parent_dir(&f.path);
                        if let Ok(text) = std::fs::read_to_string(root.join(&f.path)) {
                            if let Some(name) = cargo_name(&text) {
                                crate_srcs.entry(name).or_insert_with(|| join(dir, "src"));
                            }
                        }
                    }
                }
            }
        }
        for v in py_modules.values_mut() {
            v.sort();
        }
        let crates = crate_srcs
            .into_iter()
            .map(|(name, src)| (name, crate_id(&mut crate_ids, &mut rust_modules, src)))
            .collect();
        Resolver {
            files,
            index,
            py_modules,
            crate_ids,
            rust_modules,
            crates,
        }
    }

    /// The index of the crate whose src folder is `src` (one with no files if none is).
    fn crate_of(&self, src: &str) -> Option<usize> {
        self.crate_ids.get(src).copied()
    }

    fn file(&self, path: &str) -> Option<usize> {
        self.index.get(path).copied()
    }

    /// The file of Python module `dotted`, preferring the fewest stripped folders, then the
    /// one sharing the longest folder prefix with `from`.
    fn py_module(&self, dotted: &str, from: &str) -> Option<usize> {
        let cands = self.py_modules.get(dotted)?;
        let best_strip = cands[0].0;
        cands
            .iter()
            .filter(|(s, _)| *s == best_strip)
            .max_by_key(|(_, f)| {
                let p = &self.files[*f].path;
                let common = p
                    .split('/')
                    .zip(from.split('/'))
                    .take_while(|(a, b)| a == b)
                    .count();
                (common, std::cmp::Reverse(*f))
            })
            .map(|(_, f)| *f)
    }

    fn py_package_file(&self, dir: &str) -> Option<usize> {
        self.file(&join(dir, "__init__.py"))
    }

    fn py_module_in_dir(&self, dir: &str, parts: &[String]) -> Option<usize> {
        if parts.is_empty() {
            return self.py_package_file(dir);
        }
        let rel = parts.join("/");
        self.file(&join(dir, &format!("{rel}.py")))
            .or_else(|| self.file(&join(dir, &format!("{rel}/__init__.py"))))
    }

    /// Resolves one Python import: (target file, names bound to it).
    fn python(&self, from: &str, imp: &super::parse::Import) -> Vec<(usize, Option<String>)> {
        let mut out = Vec::new();
        match imp.kind {
            ImportKind::Import => {
                for k in (1..=imp.path.len()).rev() {
                    if let Some(f) = self.py_module(&imp.path[..k].join("."), from) {
                        out.push((f, None));
                        break;
                    }
                }
            }
            ImportKind::From if imp.level > 0 => {
                let mut dir = parent_dir(from);
                for _ in 1..imp.level {
                    dir = parent_dir(dir);
                }
                let module = self.py_module_in_dir(dir, &imp.path);
                let pkg_dir = join(dir, &imp.path.join("/"));
                for name in &imp.names {
                    let sub = (name != "*")
                        .then(|| self.py_module_in_dir(&pkg_dir, std::slice::from_ref(name)))
                        .flatten();
                    match (sub, module) {
                        (Some(s), _) => out.push((s, None)),
                        (None, Some(m)) => out.push((m, Some(name.clone()))),
                        _ => {}
                    }
                }
            }
            ImportKind::From => {
                let dotted = imp.path.join(".");
                let module = self.py_module(&dotted, from);
                for name in &imp.names {
                    let sub = (name != "*")
                        .then(|| self.py_module(&format!("{dotted}.{name}"), from))
                        .flatten();
                    match (sub, module) {
                        (Some(s), _) => out.push((s, None)),
                        (None, Some(m)) => out.push((m, Some(name.clone()))),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// Resolves one Rust import or path: (target file, the name it brings in, if any).
    fn rust(
        &self,
        from: &str,
        here: &RustModule,
        imp: &super::parse::Import,
    ) -> Option<(usize, Option<String>)> {
        if imp.kind == ImportKind::Mod {
            let name = &imp.path[0];
            let f = self
                .file(&join(&here.child_dir, &format!("{name}.rs")))
                .or_else(|| self.file(&join(&here.child_dir, &format!("{name}/mod.rs"))))?;
            return Some((f, None));
        }
        let segs = &imp.path;
        let own = self.crate_of(&here.crate_src);
        let (crate_id, base, rest): (Option<usize>, &[String], &[String]) = match segs[0].as_str() {
            "crate" => (own, &[], &segs[1..]),
            "self" => (own, &here.module, &segs[1..]),
            "super" => {
                let i = segs.iter().take_while(|s| *s == "super").count();
                (
                    own,
                    &here.module[..here.module.len().saturating_sub(i)],
                    &segs[i..],
                )
            }
            first => match self.crates.get(first) {
                Some(&id) => (Some(id), &[], &segs[1..]),
                // 2018-style relative path to a child module.
                None => (own, &here.module, &segs[..]),
            },
        };
        let is_relative_fallback = !matches!(segs[0].as_str(), "crate" | "self" | "super")
            && !self.crates.contains_key(&segs[0]);
        let modules = &self.rust_modules[crate_id?];
        // The module path of base + rest[..k] is `probe[..ends[k]]`: built once, probed by
        // prefix from the longest.
        let mut probe = String::new();
        let mut ends = Vec::with_capacity(rest.len() + 1);
        for (j, seg) in base.iter().chain(rest).enumerate() {
            if j > 0 {
                probe.push_str("::");
            }
            probe.push_str(seg);
            if j + 1 >= base.len() {
                ends.push(probe.len());
            }
        }
        if base.is_empty() {
            ends.insert(0, 0);
        }
        let mut found = None;
        for k in (0..=rest.len()).rev() {
            if let Some(&f) = modules.get(&probe[..ends[k]]) {
                if is_relative_fallback && k == 0 {
                    break;
                }
                found = Some((f, k));
                break;
            }
        }
        let (f, k) = found?;
        let name = rest.get(k).filter(|n| *n != "*").cloned();
        if self.files[f].path == from && name.is_none() {
            return None;
        }
        Some((f, name))
    }
}

/// The index of crate src folder `src`, adding it if new.
fn crate_id(
    ids: &mut FastMap<String, usize>,
    modules: &mut Vec<FastMap<String, usize>>,
    src: String,
) -> usize {
    *ids.entry(src).or_insert_with(|| {
        modules.push(FastMap::default());
        modules.len() - 1
    })
}

fn module_name(path: &str, lang: Option<Language>) -> Option<String> {
    match lang? {
        Language::Python => python_module(path).map(|p| p.join(".")),
        Language::Rust => {
            let m = rust_module(path);
            Some(m.module.join("::"))
        }
    }
}

fn qualify(module: &Option<String>, lang: Language, scope: &[String], name: &str) -> String {
    let sep = match lang {
        Language::Python => ".",
        Language::Rust => "::",
    };
    let mut parts: Vec<&str> = Vec::new();
    if let Some(m) = module {
        if !m.is_empty() {
            parts.push(m);
        }
    }
    parts.extend(scope.iter().map(String::as_str));
    parts.push(name);
    parts.join(sep)
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

/// How a file uses one name: (weight by kind, count, first line, strongest kind).
type NameUse = (f64, u32, u32, RefKind);

/// Imports counted and weight per name (sorted by name), for one (from, to) file pair while
/// building.
type PairEdge<'a> = (u32, Vec<(&'a str, f64)>);

/// Adds `w` to `name`'s weight. Names come in sorted order per file (the path imports' `""`
/// first, then references grouped by name), so a name is new or the last one.
fn add_name<'a>(names: &mut Vec<(&'a str, f64)>, name: &'a str, w: f64) {
    match names.last_mut() {
        Some((last, v)) if *last == name => *v += w,
        _ => {
            debug_assert!(names.last().is_none_or(|(last, _)| *last < name));
            names.push((name, w));
        }
    }
}

/// The file-level graph by index, borrowing names from the files' facts: what ranking needs,
/// built without the symbol table and symbol references of a [`Graph`] (which cost more than
/// the rest of a warm pack).
#[derive(Debug, Clone, Default)]
pub struct FileLinks<'a> {
    /// Paths, in file order (sorted).
    pub paths: Vec<&'a str>,
    /// Module paths, as [`FileNode::module`].
    pub modules: Vec<Option<String>>,
    /// Edges ordered by (from, to), as [`Graph::edges`].
    pub edges: Vec<LinkEdge<'a>>,
    /// Files defining each name (impl blocks aside), in file order.
    pub definers: FastMap<&'a str, Vec<usize>>,
}

/// One edge of [`FileLinks`].
#[derive(Debug, Clone)]
pub struct LinkEdge<'a> {
    /// The depending file.
    pub from: usize,
    /// The file depended on.
    pub to: usize,
    /// Number of resolved imports.
    pub imports: u32,
    /// Weight per referenced name, sorted by name.
    pub names: Vec<(&'a str, f64)>,
}

/// What [`resolve`] records beyond the links, for a full [`Graph`].
#[derive(Default)]
struct Detail {
    symbols: Vec<Symbol>,
    imports: Vec<ImportEdge>,
    symbol_refs: Vec<SymbolRef>,
}

/// The links of `files` (sorted by path) under `root`, for ranking.
pub fn links<'a>(root: &std::path::Path, files: &'a [SourceFile]) -> FileLinks<'a> {
    resolve(root, files, None)
}

/// Resolves imports and references of `files`; with `detail`, also records symbols, import
/// edges and symbol references.
fn resolve<'a>(
    root: &std::path::Path,
    files: &'a [SourceFile],
    mut detail: Option<&mut Detail>,
) -> FileLinks<'a> {
    let resolver = Resolver::new(root, files);
    let n = files.len();
    let mut modules = Vec::with_capacity(n);
    // name -> defining files (sorted, unique)
    let mut defined_in: FastMap<&str, Vec<usize>> = FastMap::default();
    // (file, name) -> symbol indexes (only with detail)
    let mut symbols_by_file_name: HashMap<(usize, &str), Vec<usize>> = HashMap::new();
    for (i, f) in files.iter().enumerate() {
        let module = module_name(&f.path, f.lang);
        if let (Some(facts), Some(lang)) = (&f.facts, f.lang) {
            for d in &facts.defs {
                if d.kind == SymbolKind::Impl {
                    continue;
                }
                let list = defined_in.entry(d.name.as_str()).or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
                if let Some(detail) = detail.as_deref_mut() {
                    symbols_by_file_name
                        .entry((i, d.name.as_str()))
                        .or_default()
                        .push(detail.symbols.len());
                    detail.symbols.push(Symbol {
                        path: qualify(&module, lang, &d.scope, &d.name),
                        name: d.name.clone(),
                        kind: d.kind,
                        file: f.path.clone(),
                        line: d.line,
                        end_line: d.end_line,
                    });
                }
            }
        }
        modules.push(module);
    }

    // Files are linked in parallel, each on its own; edges and details are then put
    // together in file order.
    let symbols: &[Symbol] = detail.as_deref().map_or(&[], |d| d.symbols.as_slice());
    let with_detail = detail.is_some();
    // One file's edges, in target order, and its import edges and symbol references.
    // `pair`: this file's edges, to -> (imports, (name, weight) sorted by name); `targets`:
    // the files one name resolves to. Both are scratch reused across files.
    let link_file = |i: usize,
                     pair: &mut FastMap<usize, PairEdge<'a>>,
                     targets: &mut Vec<usize>|
     -> (Vec<LinkEdge<'a>>, Option<Detail>) {
        let f = &files[i];
        let (Some(facts), Some(lang)) = (&f.facts, f.lang) else {
            return (Vec::new(), None);
        };
        let mut out = with_detail.then(Detail::default);

        // Names this file imports -> their files.
        let mut bound: FastMap<&str, BTreeSet<usize>> = FastMap::default();
        let here = (lang == Language::Rust).then(|| rust_module(&f.path));
        for imp in &facts.imports {
            let resolved: Vec<(usize, Option<String>)> = match &here {
                None => resolver.python(&f.path, imp),
                Some(here) => resolver.rust(&f.path, here, imp).into_iter().collect(),
            };
            for (target, name) in resolved {
                if target == i {
                    continue;
                }
                if let Some(detail) = out.as_mut() {
                    let spec = match imp.kind {
                        ImportKind::Mod => format!("mod {}", imp.path[0]),
                        ImportKind::Use | ImportKind::Path => imp.path.join("::"),
                        ImportKind::Import => imp.path.join("."),
                        ImportKind::From => format!(
                            "{}{}{}",
                            ".".repeat(imp.level as usize),
                            imp.path.join("."),
                            name.as_deref()
                                .map(|n| format!(" import {n}"))
                                .unwrap_or_default()
                        ),
                    };
                    detail.imports.push(ImportEdge {
                        from: f.path.clone(),
                        line: imp.line,
                        to: files[target].path.clone(),
                        spec,
                        kind: imp.kind,
                    });
                }
                let entry = pair.entry(target).or_default();
                if imp.kind == ImportKind::Path {
                    add_name(&mut entry.1, "", 0.5);
                } else {
                    entry.0 += 1;
                }
                if let Some(name) = name {
                    // Keep the file's own spelling alive for the borrow: look it up in facts.
                    if let Some(n) = imp
                        .names
                        .iter()
                        .chain(imp.path.iter())
                        .find(|s| **s == name)
                    {
                        bound.entry(n.as_str()).or_default().insert(target);
                        if let Some(detail) = out.as_mut() {
                            if let Some(syms) = symbols_by_file_name.get(&(target, n.as_str())) {
                                for &s in syms {
                                    detail.symbol_refs.push(SymbolRef {
                                        file: f.path.clone(),
                                        line: imp.line,
                                        symbol: symbols[s].path.clone(),
                                        kind: RefKind::Import,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        // References grouped by name, in name order: (weight by kind, count, first line,
        // strongest kind). Facts keep references sorted by name, so groups are runs.
        debug_assert!(facts.refs.windows(2).all(|w| w[0].name <= w[1].name));
        let mut by_name: Vec<(&str, NameUse)> = Vec::new();
        for r in &facts.refs {
            let e = match by_name.last_mut() {
                Some((name, e)) if *name == r.name => e,
                _ => {
                    by_name.push((r.name.as_str(), (0.0, 0, r.line, r.kind)));
                    &mut by_name.last_mut().expect("just pushed").1
                }
            };
            e.0 = e.0.max(kind_weight(r.kind));
            e.1 += 1;
            if r.kind < e.3 {
                e.3 = r.kind;
            }
        }
        for (name, (kw, count, line, kind)) in by_name {
            let strength = kw * (count as f64).sqrt();
            targets.clear();
            let resolved = match bound.get(name) {
                Some(t) => {
                    targets.extend(t.iter().copied());
                    true
                }
                None => match defined_in.get(name) {
                    // Dropping this file leaves at least `len - 1`: too many, skip the copy.
                    Some(d) if d.len() > MAX_CANDIDATES + 1 => continue,
                    Some(d) => {
                        targets.extend(d.iter().copied().filter(|&t| t != i));
                        false
                    }
                    None => continue,
                },
            };
            if targets.is_empty() || targets.len() > MAX_CANDIDATES {
                continue;
            }
            let w = if resolved {
                strength
            } else {
                strength * name_discount(name) / targets.len() as f64
            };
            for &t in targets.iter() {
                add_name(&mut pair.entry(t).or_default().1, name, w);
                let Some(detail) = out.as_mut() else {
                    continue;
                };
                if resolved || targets.len() <= 3 {
                    if let Some(syms) = symbols_by_file_name.get(&(t, name)) {
                        for &s in syms {
                            detail.symbol_refs.push(SymbolRef {
                                file: f.path.clone(),
                                line,
                                symbol: symbols[s].path.clone(),
                                kind,
                            });
                        }
                    }
                }
            }
        }
        let mut edges: Vec<LinkEdge<'a>> = pair
            .drain()
            .map(|(to, (imports, names))| LinkEdge {
                from: i,
                to,
                imports,
                names,
            })
            .collect();
        edges.sort_unstable_by_key(|e| e.to);
        (edges, out)
    };
    let linked: Vec<(Vec<LinkEdge<'a>>, Option<Detail>)> = (0..files.len())
        .into_par_iter()
        .map_init(
            || (FastMap::default(), Vec::new()),
            |(pair, targets), i| link_file(i, pair, targets),
        )
        .collect();
    let mut edges: Vec<LinkEdge<'a>> = Vec::with_capacity(linked.iter().map(|l| l.0.len()).sum());
    for (file_edges, file_detail) in linked {
        edges.extend(file_edges);
        if let (Some(detail), Some(d)) = (detail.as_deref_mut(), file_detail) {
            detail.imports.extend(d.imports);
            detail.symbol_refs.extend(d.symbol_refs);
        }
    }

    FileLinks {
        paths: files.iter().map(|f| f.path.as_str()).collect(),
        modules,
        edges,
        definers: defined_in,
    }
}

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
