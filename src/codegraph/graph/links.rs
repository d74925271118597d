//! Linking: the walked files with their facts in, the file-level links out (per file pair:
//! imports counted and referenced names weighted), and with a [`Detail`] also the symbols,
//! import edges and symbol references a full [`Graph`](super::Graph) holds. Files are linked in
//! parallel, each on its own.

use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};

use super::resolve::{module_name, qualify, rust_module, Resolver};
use super::{kind_weight, name_discount, FastMap, ImportEdge, Symbol, SymbolRef, MAX_CANDIDATES};
use crate::catalog::Language;
use crate::codegraph::parse::{ImportKind, RefKind, SymbolKind};
use crate::codegraph::walk::SourceFile;

/// How a file uses one name: (weight by kind, count, first line, strongest kind).
pub(super) type NameUse = (f64, u32, u32, RefKind);

/// Imports counted and weight per name (sorted by name), for one (from, to) file pair while
/// building.
pub(super) type PairEdge<'a> = (u32, Vec<(&'a str, f64)>);

/// Adds `w` to `name`'s weight. Names come in sorted order per file (the path imports' `""`
/// first, then references grouped by name), so a name is new or the last one.
pub(super) fn add_name<'a>(names: &mut Vec<(&'a str, f64)>, name: &'a str, w: f64) {
    match names.last_mut() {
        Some((last, v)) if *last == name => *v += w,
        _ => {
            debug_assert!(names.last().is_none_or(|(last, _)| *last < name));
            names.push((name, w));
        }
    }
}

/// The file-level graph by index, borrowing names from the files' facts: what ranking needs,
/// built without the symbol table and symbol references of a [`Graph`](super::Graph) (which cost more than
/// the rest of a warm pack).
#[derive(Debug, Clone, Default)]
pub struct FileLinks<'a> {
    /// Paths, in file order (sorted).
    pub paths: Vec<&'a str>,
    /// Module paths, as [`FileNode::module`](super::FileNode::module).
    pub modules: Vec<Option<String>>,
    /// Edges ordered by (from, to), as [`Graph::edges`](super::Graph::edges).
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
pub(super) struct Detail {
    pub(super) symbols: Vec<Symbol>,
    pub(super) imports: Vec<ImportEdge>,
    pub(super) symbol_refs: Vec<SymbolRef>,
}

/// The links of `files` (sorted by path) under `root`, for ranking.
pub fn links<'a>(root: &std::path::Path, files: &'a [SourceFile]) -> FileLinks<'a> {
    resolve(root, files, None)
}

/// Resolves imports and references of `files`; with `detail`, also records symbols, import
/// edges and symbol references.
pub(super) fn resolve<'a>(
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
