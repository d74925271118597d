//! Ad-hoc tree-sitter queries over one source file, for callers that need node positions
//! rather than the code graph's facts (the bug seeder's site queries).
//!
//! In: a [`Language`], the source text and a query in tree-sitter's S-expression syntax.
//! Out: every match of the query as [`QueryMatch`]es, each capture with its byte range, its
//! node kind, its start line and column, and the ranges of its named children (the statements
//! of a captured block); or a [`QueryError`] naming the query's problem.
//!
//! Parsing here uses the code graph's grammars (`crate::lang::support`'s) with the allocator
//! hooks installed (see `arena`), but outside an arena scope: the parse is freed normally, as
//! only a handful of files are queried per seeding run.

use std::ops::Range;

use tree_sitter::{Parser, Query, QueryCursor, StreamingIterator};

use crate::catalog::Language;

/// One capture of a match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The capture's name in the query, without the `@`.
    pub name: String,
    /// Byte range of the captured node in the source.
    pub range: Range<usize>,
    /// The node's kind (`with_statement`, `call_expression`).
    pub kind: String,
    /// Zero-based line of the node's start.
    pub line: usize,
    /// Zero-based column (in bytes) of the node's start.
    pub column: usize,
    /// The node's named children, as (kind, byte range), comments left out.
    pub children: Vec<(String, Range<usize>)>,
}

/// One match of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryMatch {
    /// Index of the pattern that matched, in the query's order.
    pub pattern: usize,
    /// Its captures, in the order tree-sitter reports them.
    pub captures: Vec<Capture>,
}

impl QueryMatch {
    /// The first capture called `name`.
    pub fn get(&self, name: &str) -> Option<&Capture> {
        self.captures.iter().find(|c| c.name == name)
    }
}

/// A query that does not compile for the language.
#[derive(Debug, thiserror::Error)]
#[error("{file}: the {language} query does not compile: {message}")]
pub struct QueryError {
    /// Where the query comes from (for the message).
    pub file: String,
    /// The language it was compiled for.
    pub language: Language,
    /// tree-sitter's reason, with its row and column.
    pub message: String,
}

/// Runs `query` (read from `file`, named in errors) over `source` parsed as `language`.
/// A source that does not parse at all yields no match.
pub fn query_matches(
    language: Language,
    source: &str,
    query: &str,
    file: &str,
) -> Result<Vec<QueryMatch>, QueryError> {
    super::arena::install();
    let grammar = crate::lang::support(language).grammar();
    let query = Query::new(&grammar, query).map_err(|e| QueryError {
        file: file.to_string(),
        language,
        message: format!("line {}, column {}: {}", e.row + 1, e.column + 1, e.message),
    })?;
    let mut parser = Parser::new();
    parser
        .set_language(&grammar)
        .expect("grammar ABI matches the tree-sitter crate");
    let Some(tree) = parser.parse(source, None) else {
        return Ok(Vec::new());
    };
    let names = query.capture_names();
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&query, tree.root_node(), source.as_bytes());
    let mut out = Vec::new();
    while let Some(m) = matches.next() {
        let captures = m
            .captures()
            .iter()
            .map(|c| {
                let node = c.node;
                let mut walk = node.walk();
                let children = node
                    .named_children(&mut walk)
                    .filter(|n| !n.kind().contains("comment"))
                    .map(|n| (n.kind().to_string(), n.byte_range()))
                    .collect();
                Capture {
                    name: names[c.index as usize].to_string(),
                    range: node.byte_range(),
                    kind: node.kind().to_string(),
                    line: node.start_position().row,
                    column: node.start_position().column,
                    children,
                }
            })
            .collect();
        out.push(QueryMatch {
            pattern: m.pattern_index,
            captures,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_carry_ranges_lines_and_statements() {
        let src =
            "def f(self):\n    with self._lock:\n        a = 1\n        # note\n        b = 2\n";
        let q = "(with_statement body: (block) @body) @scope";
        let found = query_matches(Language::Python, src, q, "inline").unwrap();
        assert_eq!(found.len(), 1);
        let scope = found[0].get("scope").unwrap();
        assert_eq!((scope.line, scope.column), (1, 4));
        let body = found[0].get("body").unwrap();
        let stmts: Vec<&str> = body.children.iter().map(|(_, r)| &src[r.clone()]).collect();
        assert_eq!(stmts, ["a = 1", "b = 2"]);
    }

    #[test]
    fn a_broken_query_names_its_file() {
        let err = query_matches(Language::Rust, "fn f() {}", "(nonsense_node) @x", "q.scm")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("q.scm: the rust query does not compile"),
            "{err}"
        );
    }
}
