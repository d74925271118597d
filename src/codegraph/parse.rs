//! Tree-sitter extraction: one source file in, its [`FileFacts`] (definitions, references,
//! imports) out. What is extracted is specified by the queries in `queries/*.scm`; [`extract`]
//! does the same in one walk over the tree (running the queries cost as much as parsing), and a
//! test runs both on real code and requires equal facts. Each thread keeps its own parser.
//! What each language's nodes give is in `parse/rust.rs` and `parse/python.rs`; the walk, the
//! fact types and the grammar tables are here.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Parser};

use crate::catalog::Language;
use rust::impl_name;

mod python;
mod rust;

/// Bumped when the extraction changes in a way the query texts do not show.
const EXTRACTOR_VERSION: &str = "pack-facts-v1";

/// Text folded into the parse cache key, so editing a query or the extractor invalidates it.
pub fn cache_salt() -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    // In cache-tag order (Rust, then Python), as the salt has always been made.
    let mut languages: Vec<_> = crate::lang::all().collect();
    languages.sort_by_key(|l| l.cache_tag());
    let queries = languages.iter().flat_map(|l| {
        let q = l.queries();
        [q.defs, q.refs]
    });
    for part in std::iter::once(EXTRACTOR_VERSION).chain(queries) {
        h.update(part.as_bytes());
        h.update([0]);
    }
    crate::fsutil::hex(&h.finalize()[..8])
}

pub use crate::catalog::SymbolKind;

impl SymbolKind {
    #[cfg(test)]
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

impl FileFacts {
    /// Puts what an extraction collected in its final form (shared by the walk and the query
    /// oracle): one reference per (name, line), keeping the strongest kind (the enum's order),
    /// references sorted, imports in line order without repeats.
    fn normalize(&mut self) {
        self.refs
            .sort_by(|a, b| (a.line, &a.name, a.kind).cmp(&(b.line, &b.name, b.kind)));
        self.refs
            .dedup_by(|later, first| later.line == first.line && later.name == first.name);
        self.refs.sort();
        self.imports.sort_by_key(|i| i.line);
        self.imports.dedup();
    }
}

/// Node kinds the extraction looks at (named nodes only; everything else is `Other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Other,
    /// A subtree no fact can come from, left unvisited: Rust token trees (macro arguments
    /// and bodies are flat tokens to the grammar), comments and string literals. A third of
    /// the nodes of a large Rust tree sit in one.
    Opaque,
    Identifier,
    // Rust
    FunctionItem,
    FunctionSignatureItem,
    StructItem,
    UnionItem,
    EnumItem,
    TraitItem,
    ModItem,
    ConstItem,
    StaticItem,
    TypeItem,
    MacroDefinition,
    ImplItem,
    CallExpression,
    ScopedIdentifier,
    FieldExpression,
    FieldIdentifier,
    GenericFunction,
    MacroInvocation,
    StructExpression,
    TypeIdentifier,
    ScopedTypeIdentifier,
    GenericType,
    UseDeclaration,
    // Python
    FunctionDefinition,
    ClassDefinition,
    Module,
    ExpressionStatement,
    Assignment,
    Call,
    Attribute,
    Decorator,
    ArgumentList,
    ExceptClause,
    Type,
    KeywordArgument,
    ImportStatement,
    ImportFromStatement,
}

impl Kind {
    fn of_name(lang: Language, name: &str) -> Kind {
        use Kind::*;
        match (lang, name) {
            (_, "identifier") => Identifier,
            (Language::Rust, "function_item") => FunctionItem,
            (Language::Rust, "function_signature_item") => FunctionSignatureItem,
            (Language::Rust, "struct_item") => StructItem,
            (Language::Rust, "union_item") => UnionItem,
            (Language::Rust, "enum_item") => EnumItem,
            (Language::Rust, "trait_item") => TraitItem,
            (Language::Rust, "mod_item") => ModItem,
            (Language::Rust, "const_item") => ConstItem,
            (Language::Rust, "static_item") => StaticItem,
            (Language::Rust, "type_item") => TypeItem,
            (Language::Rust, "macro_definition") => MacroDefinition,
            (Language::Rust, "impl_item") => ImplItem,
            (Language::Rust, "call_expression") => CallExpression,
            (Language::Rust, "scoped_identifier") => ScopedIdentifier,
            (Language::Rust, "field_expression") => FieldExpression,
            (Language::Rust, "field_identifier") => FieldIdentifier,
            (Language::Rust, "generic_function") => GenericFunction,
            (Language::Rust, "macro_invocation") => MacroInvocation,
            (Language::Rust, "struct_expression") => StructExpression,
            (Language::Rust, "type_identifier") => TypeIdentifier,
            (Language::Rust, "scoped_type_identifier") => ScopedTypeIdentifier,
            (Language::Rust, "generic_type") => GenericType,
            (Language::Rust, "use_declaration") => UseDeclaration,
            (
                Language::Rust,
                "token_tree" | "line_comment" | "block_comment" | "string_literal"
                | "raw_string_literal",
            ) => Opaque,
            (Language::Python, "function_definition") => FunctionDefinition,
            (Language::Python, "class_definition") => ClassDefinition,
            (Language::Python, "module") => Module,
            (Language::Python, "expression_statement") => ExpressionStatement,
            (Language::Python, "assignment") => Assignment,
            (Language::Python, "call") => Call,
            (Language::Python, "attribute") => Attribute,
            (Language::Python, "decorator") => Decorator,
            (Language::Python, "argument_list") => ArgumentList,
            (Language::Python, "except_clause") => ExceptClause,
            (Language::Python, "type") => Type,
            (Language::Python, "keyword_argument") => KeywordArgument,
            (Language::Python, "import_statement") => ImportStatement,
            (Language::Python, "import_from_statement") => ImportFromStatement,
            _ => Other,
        }
    }
}

/// Field ids the extraction reads.
struct Fields {
    name: u16,
    ty: u16,
    trait_: u16,
    function: u16,
    field: u16,
    path: u16,
    macro_: u16,
    argument: u16,
    body: u16,
    left: u16,
    attribute: u16,
    object: u16,
    superclasses: u16,
    value: u16,
}

/// A grammar with its kind and field tables, built once per language.
struct Grammar {
    language: tree_sitter::Language,
    /// Indexed by node kind id.
    kinds: Vec<Kind>,
    fields: Fields,
}

fn grammar(lang: Language) -> &'static Grammar {
    super::arena::install();
    static RUST: OnceLock<Grammar> = OnceLock::new();
    static PYTHON: OnceLock<Grammar> = OnceLock::new();
    let cell = match lang {
        Language::Rust => &RUST,
        Language::Python => &PYTHON,
    };
    cell.get_or_init(|| {
        let language = crate::lang::support(lang).grammar();
        let kinds = (0..language.node_kind_count())
            .map(|id| {
                let id = id as u16;
                match language.node_kind_for_id(id) {
                    Some(name) if language.node_kind_is_named(id) => Kind::of_name(lang, name),
                    _ => Kind::Other,
                }
            })
            .collect();
        // A field the grammar lacks gets id 0, which no child carries.
        let field = |name: &str| language.field_id_for_name(name).map_or(0, |f| f.get());
        Grammar {
            kinds,
            fields: Fields {
                name: field("name"),
                ty: field("type"),
                trait_: field("trait"),
                function: field("function"),
                field: field("field"),
                path: field("path"),
                macro_: field("macro"),
                argument: field("argument"),
                body: field("body"),
                left: field("left"),
                attribute: field("attribute"),
                object: field("object"),
                superclasses: field("superclasses"),
                value: field("value"),
            },
            language,
        }
    })
}

/// Parses `source` as `lang` and extracts its facts. Syntax errors do not fail: tree-sitter
/// recovers and whatever parsed is used.
///
/// One depth-first walk over the tree does what the queries of `queries/*.scm` specify (the
/// tests compare the two on real code): running the queries cost as much as parsing, mostly in
/// the query cursor and in `Node::parent`, which tree-sitter answers by descending from the
/// root; the walk keeps the ancestors on a stack instead.
///
/// Parser and tree live in this thread's arena (`pack/arena.rs`): a new parser per file; the
/// tree is forgotten at the end and the arena reset, instead of freeing the tree node by node.
pub fn extract(lang: Language, source: &str) -> FileFacts {
    let g = grammar(lang);
    // SAFETY: every tree-sitter object made inside (parser, tree, cursors) is dropped or
    // forgotten inside, and `walk_tree` starts no scope.
    unsafe {
        super::arena::scope(|| {
            let mut parser = Parser::new();
            parser
                .set_language(&g.language)
                .expect("grammar ABI matches the tree-sitter crate");
            let tree = parser.parse(source, None);
            let facts = match &tree {
                Some(tree) => walk_tree(g, lang, source, tree),
                None => FileFacts::default(),
            };
            // The tree goes with the arena. The parser is dropped: that frees little, but
            // the grammars' external scanners keep their state in libc's heap and would leak.
            std::mem::forget(tree);
            drop(parser);
            facts
        })
    }
}

/// The facts of a parsed tree, in one walk.
fn walk_tree(
    g: &'static Grammar,
    lang: Language,
    source: &str,
    tree: &tree_sitter::Tree,
) -> FileFacts {
    let mut x = Extractor {
        g,
        src: source.as_bytes(),
        facts: FileFacts::default(),
        def_name_starts: HashSet::new(),
        named_refs: Vec::new(),
        stack: Vec::new(),
        in_type: 0,
    };
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let kind = g
            .kinds
            .get(node.kind_id() as usize)
            .copied()
            .unwrap_or(Kind::Other);
        if kind != Kind::Other && kind != Kind::Opaque {
            match lang {
                Language::Rust => x.visit_rust(node, kind, &cursor),
                Language::Python => x.visit_python(node, kind, &cursor),
            }
        }
        if kind != Kind::Opaque && cursor.goto_first_child() {
            x.in_type += usize::from(kind == Kind::Type);
            x.stack.push((node, kind));
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return x.finish();
            }
            if let Some((_, k)) = x.stack.pop() {
                x.in_type -= usize::from(k == Kind::Type);
            }
        }
    }
}

struct Extractor<'t, 's> {
    g: &'static Grammar,
    src: &'s [u8],
    facts: FileFacts,
    /// Start bytes of definitions' names: a name being defined is not a reference.
    def_name_starts: HashSet<usize>,
    /// References by a name node, with the node's start byte.
    named_refs: Vec<(usize, Ref)>,
    /// Ancestors of the visited node, outermost first.
    stack: Vec<(Node<'t>, Kind)>,
    /// Python `type` nodes on the stack.
    in_type: usize,
}

impl<'t> Extractor<'t, '_> {
    fn kind(&self, node: Node<'_>) -> Kind {
        self.g
            .kinds
            .get(node.kind_id() as usize)
            .copied()
            .unwrap_or(Kind::Other)
    }

    /// The child in `field` when it is of `kind`.
    fn child_of(&self, node: Node<'t>, field: u16, kind: Kind) -> Option<Node<'t>> {
        node.child_by_field_id(field)
            .filter(|c| self.kind(*c) == kind)
    }

    fn named_ref(&mut self, name: Node<'_>, kind: RefKind, marker: Node<'_>) {
        self.named_refs.push((
            name.start_byte(),
            Ref {
                name: text(name, self.src).to_string(),
                kind,
                line: row(marker.start_position().row),
            },
        ));
    }

    fn def(&mut self, node: Node<'t>, name_node: Node<'_>, mut kind: SymbolKind) {
        let name = if kind == SymbolKind::Impl {
            impl_name(text(name_node, self.src))
        } else {
            self.def_name_starts.insert(name_node.start_byte());
            text(name_node, self.src).to_string()
        };
        if name.is_empty() {
            return;
        }
        let scope = self.scope();
        if kind == SymbolKind::Function && !scope.is_empty() && self.in_type_scope() {
            kind = SymbolKind::Method;
        }
        self.facts.defs.push(Def {
            name,
            scope,
            kind,
            line: row(node.start_position().row),
            sig_end: signature_end(node),
            end_line: row(node.end_position().row),
        });
    }

    /// Names of the enclosing classes, impls, traits and inline modules, outermost first.
    fn scope(&self) -> Vec<String> {
        let f = &self.g.fields;
        self.stack
            .iter()
            .filter_map(|&(n, k)| match k {
                Kind::ClassDefinition | Kind::TraitItem | Kind::ModItem => n
                    .child_by_field_id(f.name)
                    .map(|c| text(c, self.src).to_string()),
                Kind::ImplItem => n
                    .child_by_field_id(f.ty)
                    .map(|c| impl_name(text(c, self.src))),
                _ => None,
            })
            .collect()
    }

    fn in_type_scope(&self) -> bool {
        for &(_, k) in self.stack.iter().rev() {
            match k {
                Kind::ClassDefinition | Kind::ImplItem | Kind::TraitItem => return true,
                Kind::FunctionDefinition | Kind::FunctionItem | Kind::ModItem => return false,
                _ => {}
            }
        }
        false
    }

    fn finish(mut self) -> FileFacts {
        let mut facts = std::mem::take(&mut self.facts);
        facts.defs.sort_by_key(|d| (d.line, d.end_line));
        let starts = &self.def_name_starts;
        facts.refs.extend(
            self.named_refs
                .drain(..)
                .filter(|(start, _)| !starts.contains(start))
                .map(|(_, r)| r),
        );
        facts.normalize();
        facts
    }
}

fn node_field(node: Node<'_>, field: u16) -> Option<Node<'_>> {
    node.child_by_field_id(field)
}

fn text<'a>(node: Node<'_>, src: &'a [u8]) -> &'a str {
    std::str::from_utf8(&src[node.byte_range()]).unwrap_or("")
}

fn row(r: usize) -> u32 {
    u32::try_from(r + 1).unwrap_or(u32::MAX)
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

#[cfg(test)]
mod oracle;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_compile() {
        for lang in [Language::Rust, Language::Python] {
            let q = oracle::queries(lang);
            assert!(q.defs.pattern_count() > 0 && q.refs.pattern_count() > 0);
        }
    }

    /// Sources under `root` whose walk facts differ from the queries' (path and first
    /// difference), and how many were compared.
    fn disagreements(root: &std::path::Path) -> (Vec<String>, usize) {
        let mut bad = Vec::new();
        let mut compared = 0;
        for entry in ignore::WalkBuilder::new(root).build().flatten() {
            let path = entry.path();
            let Some(lang) = crate::lang::language_of_path(&path.to_string_lossy()) else {
                continue;
            };
            let Ok(src) = std::fs::read_to_string(path) else {
                continue;
            };
            compared += 1;
            let (walked, queried) = (
                extract(lang, &src),
                oracle::extract_with_queries(lang, &src),
            );
            if walked != queried {
                let what = if walked.defs != queried.defs {
                    "defs"
                } else if walked.refs != queried.refs {
                    "refs"
                } else {
                    "imports"
                };
                bad.push(format!("{}: {what}", path.display()));
            }
        }
        (bad, compared)
    }

    #[test]
    fn walk_agrees_with_the_queries_on_this_repository() {
        // This crate's Rust, the fixtures' Python and Rust, the harness's Python.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut compared = 0;
        for dir in ["src", "repos-fixtures", "seeded-bugs", "harness"] {
            let (bad, n) = disagreements(&root.join(dir));
            assert!(bad.is_empty(), "{bad:#?}");
            compared += n;
        }
        assert!(compared > 50, "only {compared} sources compared");
    }

    /// `REFBENCH_ORACLE_DIR=/path/to/tree cargo test --release --lib walk_agrees -- --ignored`
    #[test]
    #[ignore = "needs a large tree in REFBENCH_ORACLE_DIR"]
    fn walk_agrees_with_the_queries_on_a_large_tree() {
        let dir = std::env::var_os("REFBENCH_ORACLE_DIR").expect("REFBENCH_ORACLE_DIR");
        let (bad, n) = disagreements(std::path::Path::new(&dir));
        assert!(bad.is_empty(), "{} of {n} differ: {bad:#?}", bad.len());
    }

    #[test]
    fn rust_facts() {
        let src = "use crate::a::{b::C, d as e, self};\nmod f;\npub struct S;\nimpl Tr for S {\n    fn m(&self) -> C { helper(); crate::x::y() }\n}\n";
        let f = extract(Language::Rust, src);
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
        let f = extract(Language::Python, src);
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
