//! The Rust half of the single-pass extraction: what [`Extractor`] takes from a Rust node
//! (items, impls, calls, macro calls, paths, types, `use` trees, `mod name;`), and the helpers
//! shared with the query oracle. Nodes in, facts pushed into the extractor out.

use super::*;

impl<'t> Extractor<'t, '_> {
    pub(super) fn visit_rust(
        &mut self,
        node: Node<'t>,
        kind: Kind,
        cursor: &tree_sitter::TreeCursor<'_>,
    ) {
        use Kind::*;
        let f = &self.g.fields;
        let (name, ty, function) = (f.name, f.ty, f.function);
        let def_kind = match kind {
            FunctionItem | FunctionSignatureItem => Some((SymbolKind::Function, Identifier)),
            StructItem | UnionItem => Some((SymbolKind::Struct, TypeIdentifier)),
            EnumItem => Some((SymbolKind::Enum, TypeIdentifier)),
            TraitItem => Some((SymbolKind::Trait, TypeIdentifier)),
            ModItem => Some((SymbolKind::Module, Identifier)),
            ConstItem | StaticItem => Some((SymbolKind::Constant, Identifier)),
            TypeItem => Some((SymbolKind::Type, TypeIdentifier)),
            MacroDefinition => Some((SymbolKind::Macro, Identifier)),
            _ => None,
        };
        if let Some((symbol, name_kind)) = def_kind {
            if let Some(n) = self.child_of(node, name, name_kind) {
                self.def(node, n, symbol);
            }
        }
        match kind {
            // `mod name;` is taken at its name, after any `pub(in crate::a)` path, so that
            // imports keep the queries' order.
            Identifier if self.stack.last().map(|&(_, k)| k) == Some(ModItem) => {
                let Some(&(item, _)) = self.stack.last() else {
                    return;
                };
                if cursor.field_id().map(|f| f.get()) == Some(name)
                    && item.child_by_field_id(self.g.fields.body).is_none()
                {
                    self.facts.imports.push(Import {
                        kind: ImportKind::Mod,
                        line: row(item.start_position().row),
                        path: vec![text(node, self.src).to_string()],
                        level: 0,
                        names: Vec::new(),
                    });
                }
            }
            ImplItem => {
                if let Some(t) = node.child_by_field_id(ty).filter(|t| t.is_named()) {
                    self.def(node, t, SymbolKind::Impl);
                }
                if let Some(t) = node.child_by_field_id(self.g.fields.trait_) {
                    let t = match self.kind(t) {
                        GenericType => node_field(t, ty),
                        _ => Some(t),
                    };
                    let n = t.and_then(|t| match self.kind(t) {
                        TypeIdentifier => Some(t),
                        ScopedTypeIdentifier => self.child_of(t, name, TypeIdentifier),
                        _ => None,
                    });
                    if let Some(n) = n {
                        self.named_ref(n, RefKind::Impl, node);
                    }
                }
            }
            CallExpression => {
                let target = node.child_by_field_id(function).and_then(|t| {
                    if self.kind(t) == GenericFunction {
                        t.child_by_field_id(function)
                    } else {
                        Some(t)
                    }
                });
                let n = target.and_then(|t| match self.kind(t) {
                    Identifier => Some(t),
                    ScopedIdentifier => self.child_of(t, name, Identifier),
                    FieldExpression => self.child_of(t, self.g.fields.field, FieldIdentifier),
                    _ => None,
                });
                if let Some(n) = n {
                    self.named_ref(n, RefKind::Call, node);
                }
            }
            MacroInvocation => {
                if let Some(n) = self.child_of(node, self.g.fields.macro_, Identifier) {
                    self.named_ref(n, RefKind::Call, node);
                }
            }
            ScopedIdentifier | ScopedTypeIdentifier => {
                if kind == ScopedIdentifier {
                    if let Some(n) = self.child_of(node, self.g.fields.path, Identifier) {
                        self.named_ref(n, RefKind::Type, node);
                    }
                }
                self.code_path(node);
            }
            StructExpression => {
                if let Some(n) = self.child_of(node, name, TypeIdentifier) {
                    self.named_ref(n, RefKind::Type, node);
                }
            }
            TypeIdentifier => self.named_ref(node, RefKind::Type, node),
            UseDeclaration => {
                let arg = node
                    .child_by_field_id(self.g.fields.argument)
                    .filter(|a| a.is_named());
                if let Some(arg) = arg {
                    let line = row(node.start_position().row);
                    let mut prefix = Vec::new();
                    expand_use_tree(arg, self.src, &mut prefix, line, &mut self.facts.imports);
                }
            }
            _ => {}
        }
    }

    /// A `crate::`, `self::` or `super::` path in code: the outermost path node only, and not
    /// inside a `use` (at most six levels up, as the query-era code looked).
    fn code_path(&mut self, node: Node<'_>) {
        let parent = self.stack.last().map(|&(_, k)| k);
        if matches!(
            parent,
            Some(Kind::ScopedIdentifier | Kind::ScopedTypeIdentifier)
        ) {
            return;
        }
        let t = text(node, self.src);
        if !(t.starts_with("crate::") || t.starts_with("super::") || t.starts_with("self::")) {
            return;
        }
        if self
            .stack
            .iter()
            .rev()
            .take(6)
            .any(|&(_, k)| k == Kind::UseDeclaration)
        {
            return;
        }
        push_code_path(t, row(node.start_position().row), &mut self.facts.imports);
    }
}

/// `Foo<T>`, `crate::a::Foo`, `&'a Foo` -> `Foo`.
pub(super) fn impl_name(t: &str) -> String {
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
pub(super) fn path_segments(node: Node<'_>, src: &[u8]) -> Vec<String> {
    text(node, src)
        .split("::")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Expands a Rust use tree into one [`Import`] per leaf.
pub(super) fn expand_use_tree(
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

/// The module path of a code path's text (`crate::a::f` of `crate::a::f::<T>()`), as an
/// import when it names something inside a module.
pub(super) fn push_code_path(t: &str, line: u32, out: &mut Vec<Import>) {
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
