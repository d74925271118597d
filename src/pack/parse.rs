//! Tree-sitter extraction: one source file in, its [`FileFacts`] (definitions, references,
//! imports) out. Queries live in `queries/*.scm`, are compiled once per language and shared by
//! every thread; each thread keeps its own parser.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Parser, Query, QueryCursor, StreamingIterator};

use super::Lang;

const RUST_DEFS: &str = include_str!("queries/rust-defs.scm");
const RUST_REFS: &str = include_str!("queries/rust-refs.scm");
const PYTHON_DEFS: &str = include_str!("queries/python-defs.scm");
const PYTHON_REFS: &str = include_str!("queries/python-refs.scm");

/// Bumped when the extraction changes in a way the query texts do not show.
const EXTRACTOR_VERSION: &str = "pack-facts-v1";

/// Text folded into the parse cache key, so editing a query or the extractor invalidates it.
pub fn cache_salt() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        EXTRACTOR_VERSION,
        RUST_DEFS,
        RUST_REFS,
        PYTHON_DEFS,
        PYTHON_REFS,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    crate::materialize::hex(&h.finalize()[..8])
}

/// What a definition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SymbolKind {
    /// A free function.
    Function,
    /// A function inside a class, impl or trait.
    Method,
    /// A Python class.
    Class,
    /// A Rust struct or union.
    Struct,
    /// A Rust enum.
    Enum,
    /// A Rust trait.
    Trait,
    /// A Rust impl block (named by its self type).
    Impl,
    /// A Rust `mod`.
    Module,
    /// A constant, static or module-level assignment.
    Constant,
    /// A Rust type alias.
    Type,
    /// A `macro_rules!`.
    Macro,
}

impl SymbolKind {
    fn from_capture(name: &str) -> Option<SymbolKind> {
        Some(match name {
            "def.function" => SymbolKind::Function,
            "def.class" => SymbolKind::Class,
            "def.struct" => SymbolKind::Struct,
            "def.enum" => SymbolKind::Enum,
            "def.trait" => SymbolKind::Trait,
            "def.impl" => SymbolKind::Impl,
            "def.module" => SymbolKind::Module,
            "def.constant" => SymbolKind::Constant,
            "def.type" => SymbolKind::Type,
            "def.macro" => SymbolKind::Macro,
            _ => return None,
        })
    }
}

/// How a reference uses a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefKind {
    /// A base class.
    Base,
    /// The trait of an `impl Trait for Type`.
    Impl,
    /// A name brought in by an import.
    Import,
    /// A function or method call, a macro, a decorator.
    Call,
    /// A type use (annotation, struct literal, `Type::assoc`, `except Cls`).
    Type,
    /// A name passed as a value.
    Name,
}

/// One definition in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Def {
    /// The bare name.
    pub name: String,
    /// Enclosing classes, impls, traits or inline modules, outermost first.
    pub scope: Vec<String>,
    /// What it is.
    pub kind: SymbolKind,
    /// First line (1-based).
    pub line: u32,
    /// Last line of the signature or header (1-based): an outline shows `line..=sig_end`.
    pub sig_end: u32,
    /// Last line (1-based).
    pub end_line: u32,
}

/// One reference to a name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ref {
    /// The name referred to.
    pub name: String,
    /// How.
    pub kind: RefKind,
    /// Line (1-based).
    pub line: u32,
}

/// The form of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportKind {
    /// Rust `use a::b::C` (one per leaf of a use tree); `path` ends with the imported name.
    Use,
    /// Rust `mod name;`: loads `name.rs` or `name/mod.rs`.
    Mod,
    /// A Rust path used in code (`crate::a::f()`), resolved like `use`.
    Path,
    /// Python `import a.b.c`.
    Import,
    /// Python `from [.]a.b import x, y`.
    From,
}

/// One import statement (one leaf of a Rust use tree).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Import {
    /// Its form.
    pub kind: ImportKind,
    /// Line (1-based).
    pub line: u32,
    /// Path segments (`crate`, `self`, `super` kept for Rust).
    pub path: Vec<String>,
    /// Python relative level: the number of leading dots.
    pub level: u32,
    /// Python `from` names (`*` for a wildcard).
    pub names: Vec<String>,
}

/// Everything the graph needs from one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    /// Definitions, in source order.
    pub defs: Vec<Def>,
    /// References, sorted, one per (name, kind, line).
    pub refs: Vec<Ref>,
    /// Imports, in source order.
    pub imports: Vec<Import>,
}

struct LangQueries {
    language: tree_sitter::Language,
    defs: Query,
    refs: Query,
}

fn queries(lang: Lang) -> &'static LangQueries {
    static RUST: OnceLock<LangQueries> = OnceLock::new();
    static PYTHON: OnceLock<LangQueries> = OnceLock::new();
    let (cell, language, defs, refs, file) = match lang {
        Lang::Rust => (
            &RUST,
            tree_sitter::Language::from(tree_sitter_rust::LANGUAGE),
            RUST_DEFS,
            RUST_REFS,
            "rust",
        ),
        Lang::Python => (
            &PYTHON,
            tree_sitter::Language::from(tree_sitter_python::LANGUAGE),
            PYTHON_DEFS,
            PYTHON_REFS,
            "python",
        ),
    };
    cell.get_or_init(|| {
        // The queries are part of the source tree and covered by tests: a failure here is a
        // programming error, not bad input.
        let compile = |src: &str, which: &str| {
            Query::new(&language, src).unwrap_or_else(|e| {
                panic!("src/pack/queries/{file}-{which}.scm does not compile: {e}")
            })
        };
        LangQueries {
            defs: compile(defs, "defs"),
            refs: compile(refs, "refs"),
            language: language.clone(),
        }
    })
}

thread_local! {
    static PARSERS: RefCell<(Option<Parser>, Option<Parser>)> = const { RefCell::new((None, None)) };
}

/// Parses `source` as `lang` and extracts its facts. Syntax errors do not fail: tree-sitter
/// recovers and whatever parsed is used.
pub fn extract(lang: Lang, source: &str) -> FileFacts {
    let q = queries(lang);
    let tree = PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let slot = match lang {
            Lang::Rust => &mut parsers.0,
            Lang::Python => &mut parsers.1,
        };
        let parser = slot.get_or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(&q.language)
                .expect("grammar ABI matches the tree-sitter crate");
            p
        });
        parser.parse(source, None)
    });
    let Some(tree) = tree else {
        return FileFacts::default();
    };
    let root = tree.root_node();
    let src = source.as_bytes();
    let mut facts = FileFacts::default();
    let mut def_name_starts = HashSet::new();

    let mut cursor = QueryCursor::new();
    let names = q.defs.capture_names();
    let mut matches = cursor.matches(&q.defs, root, src);
    while let Some(m) = matches.next() {
        let mut item = None;
        let mut name = None;
        for c in m.captures {
            let cap = names[c.index as usize];
            if cap == "name" {
                name = Some(c.node);
            } else if let Some(kind) = SymbolKind::from_capture(cap) {
                item = Some((c.node, kind));
            }
        }
        let (Some((node, mut kind)), Some(name_node)) = (item, name) else {
            continue;
        };
        let name = if kind == SymbolKind::Impl {
            impl_name(text(name_node, src))
        } else {
            def_name_starts.insert(name_node.start_byte());
            text(name_node, src).to_string()
        };
        if name.is_empty() {
            continue;
        }
        let scope = scope_of(node, src);
        if kind == SymbolKind::Function && !scope.is_empty() && in_type_scope(node) {
            kind = SymbolKind::Method;
        }
        facts.defs.push(Def {
            name,
            scope,
            kind,
            line: row(node.start_position().row),
            sig_end: signature_end(node),
            end_line: row(node.end_position().row),
        });
    }
    facts.defs.sort_by_key(|d| (d.line, d.end_line));

    let names = q.refs.capture_names();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&q.refs, root, src);
    while let Some(m) = matches.next() {
        let mut marker = None;
        let mut name = None;
        let mut path = None;
        for c in m.captures {
            match names[c.index as usize] {
                "name" => name = Some(c.node),
                "path" => path = Some(c.node),
                other => marker = Some((other, c.node)),
            }
        }
        let Some((marker, node)) = marker else {
            continue;
        };
        let line = row(node.start_position().row);
        let kind = match marker {
            "ref.call" => RefKind::Call,
            "ref.type" => RefKind::Type,
            "ref.impl" => RefKind::Impl,
            "ref.base" => RefKind::Base,
            "ref.name" => RefKind::Name,
            "ref.annotation" => {
                collect_identifiers(node, src, &mut |n, line| {
                    facts.refs.push(Ref {
                        name: n.to_string(),
                        kind: RefKind::Type,
                        line,
                    })
                });
                continue;
            }
            "import.use" => {
                if let Some(arg) = path {
                    let mut prefix = Vec::new();
                    expand_use_tree(arg, src, &mut prefix, line, &mut facts.imports);
                }
                continue;
            }
            "import.mod" => {
                if let Some(n) = name {
                    facts.imports.push(Import {
                        kind: ImportKind::Mod,
                        line,
                        path: vec![text(n, src).to_string()],
                        level: 0,
                        names: Vec::new(),
                    });
                }
                continue;
            }
            "ref.path" => {
                if let Some(p) = path {
                    rust_code_path(p, src, line, &mut facts.imports);
                }
                continue;
            }
            "import.python" => {
                python_import(node, src, line, &mut facts.imports);
                continue;
            }
            _ => continue,
        };
        let Some(name_node) = name else { continue };
        if def_name_starts.contains(&name_node.start_byte()) {
            continue;
        }
        facts.refs.push(Ref {
            name: text(name_node, src).to_string(),
            kind,
            line,
        });
    }
    // One reference per (name, line), keeping the strongest kind (the enum's order).
    facts
        .refs
        .sort_by(|a, b| (a.line, &a.name, a.kind).cmp(&(b.line, &b.name, b.kind)));
    facts
        .refs
        .dedup_by(|later, first| later.line == first.line && later.name == first.name);
    facts.refs.sort();
    facts.imports.sort_by_key(|i| i.line);
    facts.imports.dedup();
    facts
}

fn text<'a>(node: Node<'_>, src: &'a [u8]) -> &'a str {
    std::str::from_utf8(&src[node.byte_range()]).unwrap_or("")
}

fn row(r: usize) -> u32 {
    u32::try_from(r + 1).unwrap_or(u32::MAX)
}

/// `Foo<T>`, `crate::a::Foo`, `&'a Foo` -> `Foo`.
fn impl_name(t: &str) -> String {
    let base = t.split('<').next().unwrap_or(t);
    let last = base.rsplit("::").next().unwrap_or(base);
    last.trim_start_matches(['&', '*'])
        .trim_start_matches("mut ")
        .trim_start_matches("const ")
        .split_whitespace()
        .last()
        .unwrap_or("")
        .trim_start_matches('\'')
        .to_string()
}

/// Names of the enclosing classes, impls, traits and inline modules, outermost first.
fn scope_of(node: Node<'_>, src: &[u8]) -> Vec<String> {
    let mut scope = Vec::new();
    let mut cur = node.parent();
    while let Some(n) = cur {
        let name = match n.kind() {
            "class_definition" | "trait_item" | "mod_item" => n
                .child_by_field_name("name")
                .map(|c| text(c, src).to_string()),
            "impl_item" => n
                .child_by_field_name("type")
                .map(|c| impl_name(text(c, src))),
            _ => None,
        };
        if let Some(name) = name {
            scope.push(name);
        }
        cur = n.parent();
    }
    scope.reverse();
    scope
}

fn in_type_scope(node: Node<'_>) -> bool {
    let mut cur = node.parent();
    while let Some(n) = cur {
        match n.kind() {
            "class_definition" | "impl_item" | "trait_item" => return true,
            "function_definition" | "function_item" | "mod_item" => return false,
            _ => cur = n.parent(),
        }
    }
    false
}

/// The last line of an item's header: the line before its body starts (Python `:` line) or
/// the line holding the body's opening brace (Rust).
fn signature_end(node: Node<'_>) -> u32 {
    match node.child_by_field_name("body") {
        Some(body) => match body.prev_sibling() {
            // Python: the block follows the `:`; Rust: the body's `{` is on its first row.
            Some(prev) if body.kind() == "block" && prev.kind() == ":" => {
                row(prev.end_position().row)
            }
            _ => row(body.start_position().row),
        },
        None => row(node.end_position().row).min(row(node.start_position().row) + 5),
    }
}

fn collect_identifiers(node: Node<'_>, src: &[u8], f: &mut dyn FnMut(&str, u32)) {
    let mut cursor = node.walk();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == "identifier" {
            // In `a.b.C` only the last part names a type.
            let is_object = n.parent().is_some_and(|p| {
                p.kind() == "attribute"
                    && p.child_by_field_name("object").map(|o| o.id()) == Some(n.id())
            });
            if !is_object {
                f(text(n, src), row(n.start_position().row));
            }
            continue;
        }
        for c in n.named_children(&mut cursor) {
            stack.push(c);
        }
    }
}

fn path_segments(node: Node<'_>, src: &[u8]) -> Vec<String> {
    text(node, src)
        .split("::")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Expands a Rust use tree into one [`Import`] per leaf.
fn expand_use_tree(
    node: Node<'_>,
    src: &[u8],
    prefix: &mut Vec<String>,
    line: u32,
    out: &mut Vec<Import>,
) {
    let push = |path: Vec<String>, out: &mut Vec<Import>| {
        if !path.is_empty() {
            out.push(Import {
                kind: ImportKind::Use,
                line,
                path,
                level: 0,
                names: Vec::new(),
            });
        }
    };
    match node.kind() {
        "scoped_use_list" => {
            let added = node
                .child_by_field_name("path")
                .map(|p| path_segments(p, src))
                .unwrap_or_default();
            let n = added.len();
            prefix.extend(added);
            if let Some(list) = node.child_by_field_name("list") {
                expand_use_tree(list, src, prefix, line, out);
            }
            prefix.truncate(prefix.len() - n);
        }
        "use_list" => {
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                expand_use_tree(child, src, prefix, line, out);
            }
        }
        "use_as_clause" => {
            if let Some(p) = node.child_by_field_name("path") {
                let mut path = prefix.clone();
                path.extend(path_segments(p, src));
                push(path, out);
            }
        }
        "use_wildcard" => {
            let mut path = prefix.clone();
            let t = text(node, src).trim_end_matches('*').trim_end_matches("::");
            path.extend(t.split("::").filter(|s| !s.is_empty()).map(str::to_string));
            path.push("*".to_string());
            push(path, out);
        }
        "identifier" | "scoped_identifier" | "crate" | "self" | "super" => {
            let mut path = prefix.clone();
            let segs = path_segments(node, src);
            // `use a::{self}` names `a` itself.
            if segs.len() == 1 && segs[0] == "self" && !path.is_empty() {
                push(path, out);
                return;
            }
            path.extend(segs);
            push(path, out);
        }
        _ => {}
    }
}

/// A `crate::`, `self::` or `super::` path in code (outermost path node only).
fn rust_code_path(node: Node<'_>, src: &[u8], line: u32, out: &mut Vec<Import>) {
    if node
        .parent()
        .is_some_and(|p| matches!(p.kind(), "scoped_identifier" | "scoped_type_identifier"))
    {
        return;
    }
    let t = text(node, src);
    if !(t.starts_with("crate::") || t.starts_with("super::") || t.starts_with("self::")) {
        return;
    }
    let mut anc = node.parent();
    for _ in 0..6 {
        match anc {
            Some(a) if a.kind() == "use_declaration" => return,
            Some(a) => anc = a.parent(),
            None => break,
        }
    }
    let path: Vec<String> = t
        .split("::")
        .map(str::trim)
        .take_while(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .map(str::to_string)
        .collect();
    if path.len() >= 2 {
        out.push(Import {
            kind: ImportKind::Path,
            line,
            path,
            level: 0,
            names: Vec::new(),
        });
    }
}

fn dotted(node: Node<'_>, src: &[u8]) -> Vec<String> {
    text(node, src)
        .split('.')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn python_import(node: Node<'_>, src: &[u8], line: u32, out: &mut Vec<Import>) {
    let mut cursor = node.walk();
    fn imported(n: Node<'_>) -> Option<Node<'_>> {
        match n.kind() {
            "dotted_name" => Some(n),
            "aliased_import" => n.child_by_field_name("name"),
            _ => None,
        }
    }
    if node.kind() == "import_statement" {
        for n in node.children_by_field_name("name", &mut cursor) {
            if let Some(d) = imported(n) {
                out.push(Import {
                    kind: ImportKind::Import,
                    line,
                    path: dotted(d, src),
                    level: 0,
                    names: Vec::new(),
                });
            }
        }
        return;
    }
    let Some(module) = node.child_by_field_name("module_name") else {
        return;
    };
    let (level, path) = if module.kind() == "relative_import" {
        let mut level = 0;
        let mut path = Vec::new();
        let mut c2 = module.walk();
        for child in module.named_children(&mut c2) {
            match child.kind() {
                "import_prefix" => level = text(child, src).matches('.').count() as u32,
                "dotted_name" => path = dotted(child, src),
                _ => {}
            }
        }
        (level, path)
    } else {
        (0, dotted(module, src))
    };
    let mut names: Vec<String> = node
        .children_by_field_name("name", &mut cursor)
        .filter_map(imported)
        .map(|n| text(n, src).to_string())
        .collect();
    let mut c3 = node.walk();
    if node
        .named_children(&mut c3)
        .any(|c| c.kind() == "wildcard_import")
    {
        names.push("*".to_string());
    }
    out.push(Import {
        kind: ImportKind::From,
        line,
        path,
        level,
        names,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_compile() {
        for lang in [Lang::Rust, Lang::Python] {
            let q = queries(lang);
            assert!(q.defs.pattern_count() > 0 && q.refs.pattern_count() > 0);
        }
    }

    #[test]
    fn rust_facts() {
        let src = "use crate::a::{b::C, d as e, self};\nmod f;\npub struct S;\nimpl Tr for S {\n    fn m(&self) -> C { helper(); crate::x::y() }\n}\n";
        let f = extract(Lang::Rust, src);
        let paths: Vec<String> = f.imports.iter().map(|i| i.path.join("::")).collect();
        assert!(paths.contains(&"crate::a::b::C".to_string()), "{paths:?}");
        assert!(paths.contains(&"crate::a::d".to_string()), "{paths:?}");
        assert!(paths.contains(&"crate::a".to_string()), "{paths:?}");
        assert!(paths.contains(&"f".to_string()), "{paths:?}");
        assert!(paths.contains(&"crate::x::y".to_string()), "{paths:?}");
        let m = f.defs.iter().find(|d| d.name == "m").unwrap();
        assert_eq!(m.kind, SymbolKind::Method);
        assert_eq!(m.scope, vec!["S".to_string()]);
        assert!(f
            .refs
            .iter()
            .any(|r| r.name == "Tr" && r.kind == RefKind::Impl));
        assert!(f
            .refs
            .iter()
            .any(|r| r.name == "helper" && r.kind == RefKind::Call));
        // The struct's own name is a definition, not a reference.
        assert!(!f.refs.iter().any(|r| r.name == "S" && r.line == 3));
    }

    #[test]
    fn python_facts() {
        let src = "from ..pkg.mod import A, B as C\nimport os.path\nclass K(Base, m.Mixin):\n    def f(self, x: Thing) -> None:\n        return g(x)\n";
        let f = extract(Lang::Python, src);
        assert_eq!(f.imports[0].level, 2);
        assert_eq!(f.imports[0].path, vec!["pkg", "mod"]);
        assert_eq!(f.imports[0].names, vec!["A", "B"]);
        assert_eq!(f.imports[1].path, vec!["os", "path"]);
        let kinds: Vec<(&str, RefKind)> = f.refs.iter().map(|r| (&r.name[..], r.kind)).collect();
        assert!(kinds.contains(&("Base", RefKind::Base)), "{kinds:?}");
        assert!(kinds.contains(&("Mixin", RefKind::Base)), "{kinds:?}");
        assert!(kinds.contains(&("Thing", RefKind::Type)), "{kinds:?}");
        assert!(kinds.contains(&("g", RefKind::Call)), "{kinds:?}");
        let method = f.defs.iter().find(|d| d.name == "f").unwrap();
        assert_eq!(method.kind, SymbolKind::Method);
        assert_eq!((method.line, method.sig_end, method.end_line), (4, 4, 5));
    }
}
