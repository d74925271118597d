//! Outlines of a parsed file, in three forms from fullest to cheapest: a file's text and
//! facts, the definitions whose bodies to keep and a [`Form`] in; the outline's lines out,
//! `⋮` marking every run of elided lines. Whole lines only.
//!
//! - [`Form::Signatures`]: every definition's header (its whole signature, up to six lines;
//!   a Rust block's closing brace), plus the whole bodies asked for.
//! - [`Form::Headlines`]: the first line of every definition only: what the file defines,
//!   without parameter lists that span lines or closing braces.
//! - [`Form::Partial`]: the first lines of the first `n` definitions in the order of
//!   [`partial_order`] (those most relevant to the task, then the top-level ones: what the
//!   file provides, then the nested ones: methods, associated items), each with the headers
//!   that enclose it (its class or impl).
//!
//! Why the cheaper forms: a large file's signatures alone can cost more than a small
//! budget's share for one file (moka's `sync/cache.rs`: thousands of tokens of methods), and
//! without them such a file, however relevant, would be a bare name. A headline per
//! definition, or its most relevant and its top-level definitions, still show what the file
//! holds and where the task's code is, for a fraction of the tokens, so that many more
//! of a task's files are shown in the same budget (aider's repository map shows a file the
//! same way: the lines of its most important definitions).
//!
//! Every form also keeps the lines a caller lists for a definition it shows (the lock and
//! atomic lines of synchronising functions, chosen in `bodies.rs`).

use crate::catalog::Language as Lang;
use crate::codegraph::walk::SourceFile;

/// How much of each definition an outline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form<'a> {
    /// Whole signatures (and the bodies asked for).
    Signatures,
    /// The first line of every definition.
    Headlines,
    /// The first line of the first `n` definitions of `order` (indexes into the file's
    /// definitions).
    Partial {
        /// Definitions, best first ([`partial_order`]).
        order: &'a [usize],
        /// How many of them to show.
        n: usize,
    },
}

/// The outline of `file` in `form`, keeping the whole bodies of the definitions `bodies`
/// (indexes into its `facts.defs`; [`Form::Signatures`] only). `None` if the file was not
/// parsed.
pub fn outline_in(file: &SourceFile, bodies: &[usize], form: Form<'_>) -> Option<String> {
    outline_of_lines(
        file,
        &file.text.as_ref()?.lines().collect::<Vec<_>>(),
        bodies,
        form,
        &[],
    )
}

/// [`outline_in`] with the file's text already split into `lines`, for callers that try
/// several outlines of one file, also keeping the lines `sync` lists (definition, line; both
/// as in the facts) whenever that definition is shown: a function's lock and atomic lines
/// say in which order it takes what, which is where a race or a deadlock shows.
pub fn outline_of_lines(
    file: &SourceFile,
    lines: &[&str],
    bodies: &[usize],
    form: Form<'_>,
    sync: &[(u32, u32)],
) -> Option<String> {
    let facts = file.facts.as_ref()?;
    let mut keep = vec![false; lines.len() + 1];
    let mut shown = vec![true; facts.defs.len()];
    if let Form::Partial { order, n } = form {
        shown.iter_mut().for_each(|s| *s = false);
        let parent = enclosing(&facts.defs);
        for &d in order.iter().take(n) {
            // The headers that enclose it (its class, impl or module) come with it.
            let mut at = Some(d).filter(|&d| d < shown.len());
            while let Some(e) = at.filter(|&e| !shown[e]) {
                shown[e] = true;
                at = parent[e];
            }
        }
    }
    for (d, def) in facts.defs.iter().enumerate() {
        if !shown[d] {
            continue;
        }
        let first = (def.line as usize).min(lines.len() + 1);
        let end = match form {
            Form::Signatures => def.sig_end.max(def.line).min(def.line + 5) as usize,
            Form::Headlines | Form::Partial { .. } => def.line as usize,
        };
        keep[first..=end.min(lines.len()).max(first - 1)]
            .iter_mut()
            .for_each(|k| *k = true);
        if form == Form::Signatures
            && file.lang == Some(Lang::Rust)
            && def.end_line > end as u32
            && (def.end_line as usize) <= lines.len()
        {
            // The closing brace of a block keeps the outline readable.
            let closing = lines[def.end_line as usize - 1].trim();
            if closing == "}" || closing == "};" {
                keep[def.end_line as usize] = true;
            }
        }
    }
    for &(d, line) in sync {
        if shown.get(d as usize) == Some(&true) && (line as usize) <= lines.len() {
            keep[line as usize] = true;
        }
    }
    if form == Form::Signatures {
        for d in bodies.iter().filter_map(|&i| facts.defs.get(i)) {
            let first = (d.line as usize).clamp(1, lines.len().max(1));
            let last = (d.end_line as usize).min(lines.len());
            if first <= last {
                keep[first..=last].iter_mut().for_each(|k| *k = true);
            }
        }
    }
    let mut out = String::new();
    let mut elided = false;
    for (i, line) in lines.iter().enumerate() {
        if keep[i + 1] {
            out.push_str(line);
            out.push('\n');
            elided = false;
        } else if !elided {
            out.push_str("⋮\n");
            elided = true;
        }
    }
    Some(out)
}

/// Each definition's innermost enclosing definition (the one whose lines contain its own),
/// in one pass over the definitions in line order.
fn enclosing(defs: &[crate::codegraph::parse::Def]) -> Vec<Option<usize>> {
    let mut by_line: Vec<usize> = (0..defs.len()).collect();
    by_line.sort_by_key(|&d| (defs[d].line, std::cmp::Reverse(defs[d].end_line)));
    let mut parent = vec![None; defs.len()];
    let mut open: Vec<usize> = Vec::new();
    for d in by_line {
        while open
            .last()
            .is_some_and(|&o| defs[o].end_line < defs[d].end_line)
        {
            open.pop();
        }
        parent[d] = open
            .last()
            .copied()
            .filter(|&o| defs[o].line < defs[d].line);
        open.push(d);
    }
    parent
}

/// The definitions of `file` in the order a partial outline adds them: those of `relevant`
/// first (in its order), then the top-level ones, then the nested ones, each by line. A
/// document's titles (`docs.rs`) go in the document's order: a changelog's newest releases
/// come first, under its title.
pub fn partial_order(file: &SourceFile, relevant: &[usize]) -> Vec<usize> {
    let Some(facts) = &file.facts else {
        return Vec::new();
    };
    let n = facts.defs.len();
    if file.lang.is_none() {
        return (0..n).collect();
    }
    let mut out: Vec<usize> = relevant.iter().copied().filter(|&d| d < n).collect();
    let mut taken = vec![false; n];
    out.iter().for_each(|&d| taken[d] = true);
    let top = |d: &usize| facts.defs[*d].scope.is_empty();
    out.extend((0..n).filter(|d| !taken[*d] && top(d)));
    out.extend((0..n).filter(|d| !taken[*d] && !top(d)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codegraph::parse::extract;

    fn py(src: &str) -> SourceFile {
        SourceFile {
            path: "a.py".into(),
            lang: Some(Lang::Python),
            bytes: src.len() as u64,
            text: Some(src.into()),
            facts: Some(extract(Lang::Python, src)),
        }
    }

    const SRC: &str = "class A(B):\n    def f(self,\n          x):\n        return x\n\n    def g(self):\n        pass\n\ndef h():\n    pass\n";

    #[test]
    fn headlines_show_each_definition_s_first_line() {
        let file = py(SRC);
        assert_eq!(
            outline_in(&file, &[], Form::Signatures).unwrap(),
            "class A(B):\n    def f(self,\n          x):\n⋮\n    def g(self):\n⋮\ndef h():\n⋮\n"
        );
        assert_eq!(
            outline_in(&file, &[], Form::Headlines).unwrap(),
            "class A(B):\n    def f(self,\n⋮\n    def g(self):\n⋮\ndef h():\n⋮\n"
        );
    }

    #[test]
    fn the_lock_lines_of_a_shown_definition_are_kept_in_every_form() {
        let src = "class Q:\n    def put(self, x):\n        with self.a:\n            y = x\n        with self.b:\n            return y\n\n    def get(self):\n        with self.b:\n            pass\n";
        let file = py(src);
        let defs = &file.facts.as_ref().unwrap().defs;
        let at = |name: &str| defs.iter().position(|d| d.name == name).unwrap() as u32;
        let sync = [(at("put"), 3), (at("put"), 5), (at("get"), 9)];
        let lines: Vec<&str> = src.lines().collect();
        assert_eq!(
            outline_of_lines(&file, &lines, &[], Form::Headlines, &sync).unwrap(),
            "class Q:\n    def put(self, x):\n        with self.a:\n⋮\n        with self.b:\n⋮\n    def get(self):\n        with self.b:\n⋮\n"
        );
        let order = [at("put") as usize];
        assert_eq!(
            outline_of_lines(
                &file,
                &lines,
                &[],
                Form::Partial {
                    order: &order,
                    n: 1
                },
                &sync
            )
            .unwrap(),
            "class Q:\n    def put(self, x):\n        with self.a:\n⋮\n        with self.b:\n⋮\n",
            "only the shown definitions' lines"
        );
    }

    #[test]
    fn partial_outlines_show_the_relevant_then_the_top_level_definitions_first() {
        let file = py(SRC);
        let defs = &file.facts.as_ref().unwrap().defs;
        let at = |name: &str| defs.iter().position(|d| d.name == name).unwrap();
        let order = partial_order(&file, &[at("g")]);
        assert_eq!(order, vec![at("g"), at("A"), at("h"), at("f")]);
        let partial = |n| outline_in(&file, &[], Form::Partial { order: &order, n }).unwrap();
        assert_eq!(
            partial(1),
            "class A(B):\n⋮\n    def g(self):\n⋮\n",
            "with its class"
        );
        assert_eq!(
            partial(3),
            "class A(B):\n⋮\n    def g(self):\n⋮\ndef h():\n⋮\n"
        );
    }
}
