//! The Python half of the single-pass extraction: what [`Extractor`] takes from a Python
//! node (functions, classes and their bases, module-level constants, calls, decorators,
//! annotations, `import` and `from` statements), and the import helper shared with the query
//! oracle. Nodes in, facts pushed into the extractor out.

use super::*;

impl<'t> Extractor<'t, '_> {
    pub(super) fn visit_python(
        &mut self,
        node: Node<'t>,
        kind: Kind,
        cursor: &tree_sitter::TreeCursor<'_>,
    ) {
        use Kind::*;
        let f = &self.g.fields;
        let (name, attribute) = (f.name, f.attribute);
        match kind {
            FunctionDefinition | ClassDefinition => {
                if let Some(n) = self.child_of(node, name, Identifier) {
                    let symbol = if kind == ClassDefinition {
                        SymbolKind::Class
                    } else {
                        SymbolKind::Function
                    };
                    self.def(node, n, symbol);
                }
                if kind == ClassDefinition {
                    if let Some(list) = self.child_of(node, f.superclasses, ArgumentList) {
                        self.python_names_in(list, RefKind::Base, node);
                    }
                }
            }
            ExpressionStatement if self.stack.last().map(|&(_, k)| k) == Some(Module) => {
                let mut c = node.walk();
                let left = f.left;
                let names: Vec<Node<'t>> = node
                    .named_children(&mut c)
                    .filter(|a| self.kind(*a) == Assignment)
                    .filter_map(|a| self.child_of(a, left, Identifier))
                    .collect();
                for n in names {
                    self.def(node, n, SymbolKind::Constant);
                }
            }
            Call => {
                let n = node
                    .child_by_field_id(f.function)
                    .and_then(|t| match self.kind(t) {
                        Identifier => Some(t),
                        Attribute => self.child_of(t, attribute, Identifier),
                        _ => None,
                    });
                if let Some(n) = n {
                    self.named_ref(n, RefKind::Call, node);
                }
            }
            Decorator => self.python_names_in(node, RefKind::Call, node),
            ExceptClause => self.python_names_in(node, RefKind::Type, node),
            ArgumentList => {
                let mut c = node.walk();
                let names: Vec<Node<'t>> = node
                    .named_children(&mut c)
                    .filter(|n| self.kind(*n) == Identifier)
                    .collect();
                for n in names {
                    self.named_ref(n, RefKind::Name, node);
                }
            }
            KeywordArgument => {
                if let Some(n) = self.child_of(node, f.value, Identifier) {
                    self.named_ref(n, RefKind::Name, node);
                }
            }
            // Annotations: every identifier inside a `type`, but in `a.b.C` only `C`.
            Identifier if self.in_type > 0 => {
                let object_of_attribute = self.stack.last().map(|&(_, k)| k) == Some(Attribute)
                    && cursor.field_id().map(|f| f.get()) == Some(f.object);
                if !object_of_attribute {
                    self.facts.refs.push(Ref {
                        name: text(node, self.src).to_string(),
                        kind: RefKind::Type,
                        line: row(node.start_position().row),
                    });
                }
            }
            ImportStatement | ImportFromStatement => {
                let line = row(node.start_position().row);
                python_import(node, self.src, line, &mut self.facts.imports);
            }
            _ => {}
        }
    }

    /// `Name` and `mod.Name` children of `node` (decorators, base lists, except clauses).
    fn python_names_in(&mut self, node: Node<'t>, kind: RefKind, marker: Node<'t>) {
        let mut c = node.walk();
        let attribute = self.g.fields.attribute;
        let names: Vec<Node<'t>> = node
            .named_children(&mut c)
            .filter_map(|n| match self.kind(n) {
                Kind::Identifier => Some(n),
                Kind::Attribute => self.child_of(n, attribute, Kind::Identifier),
                _ => None,
            })
            .collect();
        for n in names {
            self.named_ref(n, kind, marker);
        }
    }
}

pub(super) fn dotted(node: Node<'_>, src: &[u8]) -> Vec<String> {
    text(node, src)
        .split('.')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

pub(super) fn python_import(node: Node<'_>, src: &[u8], line: u32, out: &mut Vec<Import>) {
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
