//! The reference extraction: the tree-sitter queries of `queries/*.scm` run as written, with
//! parent-walking helpers. Production uses the single-pass walk of [`super::extract`], which
//! is several times faster; the tests check that both give the same facts, so the queries stay
//! the specification of what is extracted.

use std::collections::HashSet;
use std::sync::OnceLock;

use tree_sitter::{Node, Parser, Query, QueryCursor, StreamingIterator};

use super::python::python_import;
use super::rust::{expand_use_tree, push_code_path};
use super::*;

pub(super) struct LangQueries {
    language: tree_sitter::Language,
    pub(super) defs: Query,
    pub(super) refs: Query,
}

pub(super) fn queries(lang: Language) -> &'static LangQueries {
    // Before any tree-sitter call (a `Language` included).
    super::super::arena::install();
    static RUST: OnceLock<LangQueries> = OnceLock::new();
    static PYTHON: OnceLock<LangQueries> = OnceLock::new();
    let cell = match lang {
        Language::Rust => &RUST,
        Language::Python => &PYTHON,
    };
    cell.get_or_init(|| {
        let support = crate::lang::support(lang);
        let language = support.grammar();
        let text = support.queries();
        // The queries are part of the source tree and covered by tests: a failure here is a
        // programming error, not bad input.
        let compile = |src: &str, file: &str| {
            Query::new(&language, src).unwrap_or_else(|e| panic!("{file} does not compile: {e}"))
        };
        LangQueries {
            defs: compile(text.defs, text.defs_file),
            refs: compile(text.refs, text.refs_file),
            language: language.clone(),
        }
    })
}

/// [`super::extract`] done by running the queries.
pub fn extract_with_queries(lang: Language, source: &str) -> FileFacts {
    let q = queries(lang);
    super::super::arena::install();
    let mut parser = Parser::new();
    parser
        .set_language(&q.language)
        .expect("grammar ABI matches the tree-sitter crate");
    let tree = parser.parse(source, None);
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
        for c in m.captures() {
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
        for c in m.captures() {
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
    facts.normalize();
    facts
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
    push_code_path(t, line, out);
}
