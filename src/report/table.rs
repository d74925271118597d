//! The one table renderer behind every table refbench prints or writes.
//!
//! In: a [`Table`]: an optional header row, one [`Align`] per column, rows of cell text. Out:
//! the same table in three forms:
//! - [`Table::text`]: aligned columns for a terminal, two spaces apart, each column as wide as
//!   its widest cell (display width, so wide characters line up), a rule of dashes under the
//!   header, trailing spaces trimmed;
//! - [`Table::markdown`]: a GitHub-flavoured Markdown table, `|`, `<` and `>` in cells escaped
//!   so a cell cannot break the table or inject HTML; every column uses the default
//!   alignment (`---`), since GitHub renders numbers legibly either way and summaries stay
//!   stable across refbench versions;
//! - [`Table::tsv`]: tab-separated values with one line per row, for scripts; a tab or line
//!   break inside a cell becomes a space, so a row is always one line of N fields.
//!
//! Callers own what the cells say; this module owns only how they are laid out.

use unicode_width::UnicodeWidthStr;

/// How a column's cells line up in [`Table::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Padded on the right (names, free text).
    Left,
    /// Padded on the left (numbers, rates).
    Right,
}

/// Rows of cells under an optional header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    header: Option<Vec<String>>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with a header row and the given alignment per column.
    pub fn new(header: &[&str], align: Vec<Align>) -> Table {
        assert_eq!(header.len(), align.len(), "one alignment per column");
        Table {
            header: Some(header.iter().map(|h| h.to_string()).collect()),
            align,
            rows: Vec::new(),
        }
    }

    /// A table with a header whose first column (a name) is left-aligned and the others
    /// (counts and rates) right-aligned: the shape of every report table.
    pub fn names_then_numbers(header: &[&str]) -> Table {
        let mut align = vec![Align::Right; header.len()];
        if let Some(first) = align.first_mut() {
            *first = Align::Left;
        }
        Table::new(header, align)
    }

    /// A table without a header row (listings whose columns speak for themselves).
    pub fn headless(align: Vec<Align>) -> Table {
        Table {
            header: None,
            align,
            rows: Vec::new(),
        }
    }

    /// Appends a row. Panics unless it has one cell per column (a caller's bug).
    pub fn push(&mut self, row: Vec<String>) {
        assert_eq!(
            row.len(),
            self.align.len(),
            "a row has one cell per column: {row:?}"
        );
        self.rows.push(row);
    }

    /// Appends every row of `rows`.
    pub fn extend(&mut self, rows: impl IntoIterator<Item = Vec<String>>) {
        for row in rows {
            self.push(row);
        }
    }

    /// Rows pushed so far (the header not counted).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Aligned text for a terminal; every line ends with a newline.
    pub fn text(&self) -> String {
        let mut widths = vec![0; self.align.len()];
        for row in self.header.iter().chain(&self.rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.width());
            }
        }
        let line = |cells: &[String], out: &mut String| {
            let start = out.len();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    out.push_str("  ");
                }
                let pad = " ".repeat(widths[i] - cell.width());
                match self.align[i] {
                    Align::Left => {
                        out.push_str(cell);
                        out.push_str(&pad);
                    }
                    Align::Right => {
                        out.push_str(&pad);
                        out.push_str(cell);
                    }
                }
            }
            let kept = out[start..].trim_end().len();
            out.truncate(start + kept);
            out.push('\n');
        };
        let mut out = String::new();
        if let Some(header) = &self.header {
            line(header, &mut out);
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            line(&rule, &mut out);
        }
        for row in &self.rows {
            line(row, &mut out);
        }
        out
    }

    /// A GitHub-flavoured Markdown table. Markdown has no headerless table: without a header,
    /// the header cells are left empty.
    pub fn markdown(&self) -> String {
        let escape = |s: &str| {
            s.replace('|', "\\|")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let header = match &self.header {
            Some(h) => h.iter().map(|c| escape(c)).collect(),
            None => vec![String::new(); self.align.len()],
        };
        let mut out = line(header);
        out.push('|');
        out.push_str(&"---|".repeat(self.align.len()));
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row.iter().map(|c| escape(c)).collect()));
        }
        out
    }

    /// Tab-separated values, the header (when there is one) as the first line.
    pub fn tsv(&self) -> String {
        let field = |s: &String| s.replace(['\t', '\n', '\r'], " ");
        let mut out = String::new();
        for row in self.header.iter().chain(&self.rows) {
            let fields: Vec<String> = row.iter().map(field).collect();
            out.push_str(&fields.join("\t"));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::names_then_numbers(&["model", "rate", "note"]);
        t.push(vec!["gold".into(), "100.0%".into(), String::new()]);
        t.push(vec!["a-longer-name".into(), "5.0%".into(), "x".into()]);
        t
    }

    #[test]
    fn text_aligns_names_left_and_numbers_right_and_trims_line_ends() {
        assert_eq!(
            sample().text(),
            "model            rate  note\n\
             -------------  ------  ----\n\
             gold           100.0%\n\
             a-longer-name    5.0%     x\n"
        );
    }

    #[test]
    fn text_measures_display_width() {
        let mut t = Table::headless(vec![Align::Left, Align::Left]);
        t.push(vec!["日本".into(), "x".into()]);
        t.push(vec!["abcd".into(), "y".into()]);
        t.push(vec!["é".into(), "z".into()]);
        assert_eq!(t.text(), "日本  x\nabcd  y\né     z\n");
    }

    #[test]
    fn markdown_escapes_cells_that_would_break_the_table() {
        let mut t = Table::names_then_numbers(&["task", "n"]);
        t.push(vec!["a|b <i>".into(), "1".into()]);
        assert_eq!(
            t.markdown(),
            "| task | n |\n|---|---|\n| a\\|b &lt;i&gt; | 1 |\n"
        );
        let mut headless = Table::headless(vec![Align::Left]);
        headless.push(vec!["x".into()]);
        assert_eq!(headless.markdown(), "|  |\n|---|\n| x |\n");
    }

    #[test]
    fn tsv_keeps_one_line_per_row() {
        let mut t = Table::names_then_numbers(&["a", "b"]);
        t.push(vec!["two\nlines".into(), "tab\there".into()]);
        assert_eq!(t.tsv(), "a\tb\ntwo lines\ttab here\n");
        let mut headless = Table::headless(vec![Align::Left, Align::Left]);
        headless.push(vec!["x".into(), "y".into()]);
        assert_eq!(headless.tsv(), "x\ty\n");
    }

    #[test]
    #[should_panic(expected = "one cell per column")]
    fn a_row_of_the_wrong_length_is_a_bug() {
        sample().push(vec!["only one".into()]);
    }
}
