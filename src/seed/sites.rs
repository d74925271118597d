//! Finding mutation sites: a fixture file's source in, the [`Site`]s of its language's seed
//! query (`lang/<language>/seed-sites.scm`, run through `codegraph::query`) out.
//!
//! The query's capture names are the contract: `@lock.*` a Python `with` critical section,
//! `@pair.*` two lock acquisitions (nested in Python, consecutive guards in Rust), `@guard.*` a
//! Rust guard and its block, `@rmw.*` an atomic read-modify-write, `@lazy.*` a `get_or_init`,
//! `@notify.stmt` a notify, `@function` / `@owner` the names a site is reported under. What
//! the statements of a critical section show (an `if x is None` check, an augmented
//! assignment) is read here from their node kinds and text.

use std::ops::Range;

use crate::catalog::Language;
use crate::codegraph::query::{query_matches, Capture, QueryError, QueryMatch};

/// One statement of a critical section: its node kind and byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The node kind (`if_statement`, `expression_statement`, `let_declaration`).
    pub kind: String,
    /// Byte range in the file.
    pub range: Range<usize>,
}

/// What a site is, with the byte ranges and texts its operators need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// A Python `with LOCK:` block.
    WithScope {
        /// The whole `with` statement.
        scope: Range<usize>,
        /// The `with` clause's text (`self._lock`).
        header: String,
        /// Column of the `with` keyword.
        column: usize,
        /// The block's statements.
        statements: Vec<Statement>,
    },
    /// A Rust guard (`let g = sync::lock(..);`) and the statements after it in its block.
    GuardScope {
        /// The `let` statement's text, taken again when the section is split.
        guard_let: String,
        /// The bound name.
        guard_name: String,
        /// The statements after the guard, to the end of its block.
        after: Vec<Statement>,
    },
    /// Two lock acquisitions whose texts can swap places (Python: two `with` clauses, outer
    /// first; Rust: two guard `let`s, first first).
    LockPair {
        /// The first acquisition.
        first: Range<usize>,
        /// The second.
        second: Range<usize>,
    },
    /// `RECEIVER.fetch_add(OPERAND, ORDERING)` (or `fetch_sub`).
    AtomicRmw {
        /// The whole call.
        call: Range<usize>,
        /// The atomic's expression.
        receiver: String,
        /// `fetch_add` or `fetch_sub`.
        method: String,
        /// The value added or subtracted.
        operand: String,
        /// The memory ordering argument.
        ordering: String,
    },
    /// `CELL.get_or_init(INIT)`.
    OnceInit {
        /// The whole call.
        call: Range<usize>,
        /// The cell's expression.
        cell: String,
        /// The initialiser (a closure).
        init: String,
    },
    /// A statement that only calls `notify` / `notify_all` / `notify_one`.
    Notify {
        /// The statement.
        stmt: Range<usize>,
    },
}

/// A place in a fixture file where an operator can seed a race.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The file, relative to the fixture's repo.
    pub file: String,
    /// One-based line of the site's start.
    pub line: usize,
    /// `Owner.function` (or just `function`) the site is in, when it is in one.
    pub context: Option<String>,
    /// What it is.
    pub shape: Shape,
}

impl Site {
    /// `FILE:LINE (Owner.function)`, as bug.toml's `[seed] site` records it.
    pub fn label(&self) -> String {
        match &self.context {
            Some(c) => format!("{}:{} ({c})", self.file, self.line),
            None => format!("{}:{}", self.file, self.line),
        }
    }

    /// The site's kind, for tables: `lock scope`, `lock pair`, ...
    pub fn kind_name(&self) -> &'static str {
        match self.shape {
            Shape::WithScope { .. } | Shape::GuardScope { .. } => "lock scope",
            Shape::LockPair { .. } => "lock pair",
            Shape::AtomicRmw { .. } => "atomic read-modify-write",
            Shape::OnceInit { .. } => "lazy initialisation",
            Shape::Notify { .. } => "condition notify",
        }
    }
}

fn text<'s>(source: &'s str, c: &Capture) -> &'s str {
    &source[c.range.clone()]
}

fn statements(c: &Capture) -> Vec<Statement> {
    c.children
        .iter()
        .map(|(kind, range)| Statement {
            kind: kind.clone(),
            range: range.clone(),
        })
        .collect()
}

/// The innermost `@function` containing `at`, with the innermost `@owner` around it.
fn context_of(source: &str, matches: &[QueryMatch], at: usize) -> Option<String> {
    let innermost = |outer: &str, name: &str| {
        matches
            .iter()
            .filter_map(|m| Some((m.get(outer)?, m.get(name)?)))
            .filter(|(node, _)| node.range.contains(&at))
            .min_by_key(|(node, _)| node.range.len())
            .map(|(_, n)| text(source, n).to_string())
    };
    let function = innermost("function", "function.name")?;
    Some(match innermost("owner", "owner.name") {
        Some(owner) => format!("{owner}.{function}"),
        None => function,
    })
}

/// The sites of one file (`file` relative to the repo, `source` its text), in source order.
pub fn find_sites(language: Language, file: &str, source: &str) -> Result<Vec<Site>, QueryError> {
    let queries = crate::lang::support(language).seed_queries();
    let matches = query_matches(language, source, queries.sites, queries.sites_file)?;
    let mut sites = Vec::new();
    for m in &matches {
        let shape = if let (Some(scope), Some(header), Some(body)) = (
            m.get("lock.scope"),
            m.get("lock.header"),
            m.get("lock.body"),
        ) {
            Shape::WithScope {
                scope: scope.range.clone(),
                header: text(source, header).to_string(),
                column: scope.column,
                statements: statements(body),
            }
        } else if let (Some(outer), Some(inner)) =
            (m.get("pair.outer_header"), m.get("pair.inner_header"))
        {
            Shape::LockPair {
                first: outer.range.clone(),
                second: inner.range.clone(),
            }
        } else if let (Some(first), Some(second)) = (m.get("pair.first"), m.get("pair.second")) {
            Shape::LockPair {
                first: first.range.clone(),
                second: second.range.clone(),
            }
        } else if let (Some(block), Some(guard), Some(name)) = (
            m.get("guard.block"),
            m.get("guard.let"),
            m.get("guard.name"),
        ) {
            Shape::GuardScope {
                guard_let: text(source, guard).to_string(),
                guard_name: text(source, name).to_string(),
                after: statements(block)
                    .into_iter()
                    .filter(|s| s.range.start >= guard.range.end)
                    .collect(),
            }
        } else if let (Some(call), Some(receiver), Some(method), Some(operand), Some(ordering)) = (
            m.get("rmw.call"),
            m.get("rmw.receiver"),
            m.get("rmw.method"),
            m.get("rmw.operand"),
            m.get("rmw.ordering"),
        ) {
            Shape::AtomicRmw {
                call: call.range.clone(),
                receiver: text(source, receiver).to_string(),
                method: text(source, method).to_string(),
                operand: text(source, operand).to_string(),
                ordering: text(source, ordering).to_string(),
            }
        } else if let (Some(call), Some(cell), Some(init)) =
            (m.get("lazy.call"), m.get("lazy.cell"), m.get("lazy.init"))
        {
            Shape::OnceInit {
                call: call.range.clone(),
                cell: text(source, cell).to_string(),
                init: text(source, init).to_string(),
            }
        } else if let Some(stmt) = m.get("notify.stmt") {
            Shape::Notify {
                stmt: stmt.range.clone(),
            }
        } else {
            continue;
        };
        let start = match &shape {
            Shape::WithScope { scope, .. } => scope.start,
            Shape::GuardScope { .. } => m.get("guard.let").map_or(0, |c| c.range.start),
            Shape::LockPair { first, .. } => first.start,
            Shape::AtomicRmw { call, .. } | Shape::OnceInit { call, .. } => call.start,
            Shape::Notify { stmt } => stmt.start,
        };
        sites.push(Site {
            file: file.to_string(),
            line: source[..start].matches('\n').count() + 1,
            context: context_of(source, &matches, start),
            shape,
        });
    }
    sites.sort_by_key(|s| (s.line, s.kind_name()));
    sites.dedup();
    Ok(sites)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PY: &str = "import threading\n\nclass Box:\n    def put(self, v):\n        with self._lock:\n            if self._v is None:\n                self._v = v\n            self.n += 1\n\n    def both(self):\n        with self._a_lock:\n            with self._b_lock:\n                self._cond.notify_all()\n";

    #[test]
    fn python_lock_scopes_pairs_and_notifies_are_found() {
        let sites = find_sites(Language::Python, "box.py", PY).unwrap();
        let kinds: Vec<(usize, &str)> = sites.iter().map(|s| (s.line, s.kind_name())).collect();
        assert_eq!(
            kinds,
            [
                (5, "lock scope"),
                (11, "lock pair"),
                (11, "lock scope"),
                (12, "lock scope"),
                (13, "condition notify")
            ]
        );
        assert_eq!(sites[0].label(), "box.py:5 (Box.put)");
        let Shape::WithScope {
            header, statements, ..
        } = &sites[0].shape
        else {
            panic!("{:?}", sites[0]);
        };
        assert_eq!(header, "self._lock");
        assert_eq!(statements.len(), 2);
    }

    #[test]
    fn rust_atomics_guards_pairs_and_cells_are_found() {
        let src = "impl Q {\n    fn push(&self) {\n        let mut a = sync::lock(&self.a, \"a\");\n        let b = sync::lock(&self.b, \"b\");\n        a.push(1);\n        self.cv.notify_one();\n    }\n    fn next(&self) -> u64 {\n        self.n.fetch_add(1, Ordering::SeqCst)\n    }\n    fn get(&self) -> &u8 {\n        self.cell.get_or_init(|| 1)\n    }\n}\n";
        let sites = find_sites(Language::Rust, "src/q.rs", src).unwrap();
        let kinds: Vec<(usize, &str)> = sites.iter().map(|s| (s.line, s.kind_name())).collect();
        assert_eq!(
            kinds,
            [
                (3, "lock pair"),
                (3, "lock scope"),
                (4, "lock scope"),
                (6, "condition notify"),
                (9, "atomic read-modify-write"),
                (12, "lazy initialisation")
            ]
        );
        assert_eq!(sites[4].context.as_deref(), Some("Q.next"));
        let Shape::GuardScope {
            guard_name, after, ..
        } = &sites[1].shape
        else {
            panic!("{:?}", sites[1]);
        };
        assert_eq!((guard_name.as_str(), after.len()), ("a", 3));
    }
}
