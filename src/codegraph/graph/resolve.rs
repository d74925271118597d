//! Resolution: a walked file's imports in, the files they name out. Python modules come from
//! the files' paths (any leading folders may be a source root), relative imports from the
//! importing file's package; Rust modules from `src/` folders, `mod` declarations and the
//! crates the tree's Cargo.toml files name. Also each file's module path and a symbol's
//! qualified name, as the graph prints them.

use std::collections::{BTreeMap, HashMap};

use super::FastMap;
use crate::catalog::Language;
use crate::codegraph::parse::ImportKind;
use crate::codegraph::walk::SourceFile;

pub(super) fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

pub(super) fn join(dir: &str, rest: &str) -> String {
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
pub(super) fn python_module(path: &str) -> Option<Vec<&str>> {
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
pub(super) struct RustModule {
    crate_src: String,
    pub(super) module: Vec<String>,
    /// Folder holding this module's `mod x;` children.
    child_dir: String,
}

pub(super) fn rust_module(path: &str) -> RustModule {
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
pub(super) fn cargo_name(toml: &str) -> Option<String> {
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

pub(super) struct Resolver<'a> {
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
    pub(super) fn new(root: &std::path::Path, files: &'a [SourceFile]) -> Self {
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
    pub(super) fn python(
        &self,
        from: &str,
        imp: &crate::codegraph::parse::Import,
    ) -> Vec<(usize, Option<String>)> {
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
    pub(super) fn rust(
        &self,
        from: &str,
        here: &RustModule,
        imp: &crate::codegraph::parse::Import,
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
pub(super) fn crate_id(
    ids: &mut FastMap<String, usize>,
    modules: &mut Vec<FastMap<String, usize>>,
    src: String,
) -> usize {
    *ids.entry(src).or_insert_with(|| {
        modules.push(FastMap::default());
        modules.len() - 1
    })
}

pub(super) fn module_name(path: &str, lang: Option<Language>) -> Option<String> {
    match lang? {
        Language::Python => python_module(path).map(|p| p.join(".")),
        Language::Rust => {
            let m = rust_module(path);
            Some(m.module.join("::"))
        }
    }
}

pub(super) fn qualify(
    module: &Option<String>,
    lang: Language,
    scope: &[String],
    name: &str,
) -> String {
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
