//! Mutation operators: a [`Site`] and its file's source in, the [`Mutant`]s the operators make
//! of it out, each with the mutated source, a unified diff (made with `similar`), the bug kind
//! it seeds, a name and a generated description.
//!
//! Every operator is a text edit on byte ranges the site query captured, so the rest of the
//! file stays byte for byte as it was. An edit that would not keep the code well formed (a
//! `with` whose body shares its line, a notify that shares its line with other code) is not
//! made; one that does not compile or breaks a test is the visible tests' to reject.

use crate::catalog::{BugKind, MutationOperator};

use super::sites::{Shape, Site, Statement};

/// One mutated version of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// A name unique within the fixture: `FILESTEM-FUNCTION-OPERATOR[-N]`, lowercase.
    pub id: String,
    /// The operator applied.
    pub operator: MutationOperator,
    /// The bug kind the mutant seeds.
    pub kind: BugKind,
    /// Where.
    pub site: Site,
    /// The whole mutated file.
    pub source: String,
    /// `diff --git` unified diff from the original file to `source`.
    pub patch: String,
    /// What the mutation does and what goes wrong (bug.toml's description).
    pub description: String,
}

/// What a critical section's statements show about the race its removal seeds.
fn kind_of_section(source: &str, statements: &[Statement]) -> (BugKind, MutationOperator) {
    let lazy = statements.iter().any(|s| {
        s.kind == "if_statement"
            && source[s.range.clone()]
                .lines()
                .next()
                .unwrap_or("")
                .contains(" is None")
    });
    if lazy {
        return (BugKind::LazyInit, MutationOperator::UnsyncLazyInit);
    }
    let op = MutationOperator::RemoveCriticalSection;
    if statements.iter().any(|s| s.kind == "if_statement") {
        (BugKind::CheckThenAct, op)
    } else if statements
        .iter()
        .any(|s| source[s.range.clone()].contains("+=") || source[s.range.clone()].contains("-="))
    {
        (BugKind::LostUpdate, op)
    } else {
        (BugKind::AtomicityViolation, op)
    }
}

/// Byte offset of the start of the line holding `at`.
fn line_start(source: &str, at: usize) -> usize {
    source[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// Byte offset just past the newline ending the line holding `at` (or the end).
fn line_end(source: &str, at: usize) -> usize {
    source[at..].find('\n').map_or(source.len(), |i| at + i + 1)
}

/// Whether `range` is alone on its line(s): only whitespace before it and after it.
fn alone_on_lines(source: &str, range: &std::ops::Range<usize>) -> bool {
    let before = &source[line_start(source, range.start)..range.start];
    let end = line_end(source, range.end.saturating_sub(1).max(range.start));
    let after = &source[range.end..end];
    before.trim().is_empty() && after.trim().is_empty()
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if text.lines().nth(1).is_some() {
        format!("{line} ...")
    } else {
        line.to_string()
    }
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The unified diff of `file` from `old` to `new`, as `git diff` writes it.
pub fn unified_patch(file: &str, old: &str, new: &str) -> String {
    let diff = similar::TextDiff::from_lines(old, new);
    let body = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{file}"), &format!("b/{file}"))
        .to_string();
    format!("diff --git a/{file} b/{file}\n{body}")
}

/// Every mutant the operators in `allowed` make of `site` in `source`.
pub fn mutate(site: &Site, source: &str, allowed: &[MutationOperator]) -> Vec<Mutant> {
    let mut out: Vec<(MutationOperator, BugKind, String, String, String)> = Vec::new();
    let where_ = match &site.context {
        Some(c) => format!("`{c}` ({}:{})", site.file, site.line),
        None => format!("{}:{}", site.file, site.line),
    };
    match &site.shape {
        Shape::WithScope {
            scope,
            header,
            column,
            statements,
        } => {
            // The body must start on a line of its own, indented deeper than `with`.
            let Some(first) = statements.first() else {
                return Vec::new();
            };
            let with_line = line_start(source, scope.start);
            let body_start = line_start(source, first.range.start);
            let indent = first.range.start - body_start;
            if body_start == with_line || indent <= *column {
                return Vec::new();
            }
            let shift = indent - column;
            let (kind, op) = kind_of_section(source, statements);
            // Remove: drop the `with` line(s), dedent the body.
            let mut removed = source[..with_line].to_string();
            for line in source[body_start..scope.end].split_inclusive('\n') {
                let spaces = line.len() - line.trim_start_matches(' ').len();
                removed.push_str(&line[spaces.min(shift)..]);
            }
            removed.push_str(&source[scope.end..]);
            let n = statements.len();
            let what = if op == MutationOperator::UnsyncLazyInit {
                format!("{where_} checks for a missing value and creates it without holding `{header}` (the `with {header}:` around its {n} statement(s) is gone): two threads can both find it missing and each create one; the later store replaces the earlier, so whatever was done through the first instance is lost while callers hold two different objects.")
            } else {
                format!("{where_} no longer takes `{header}` around its {n} statement(s) (from `{}`): another thread can run between them, see the state half updated, or overwrite an update made in between.", first_line(&source[first.range.clone()]))
            };
            out.push((op, kind, removed, what, String::new()));
            // Split: release after statement k-1, take the lock again for the rest.
            let pad = " ".repeat(*column);
            for k in 1..n {
                let at = statements[k].range.start;
                if line_start(source, at) + indent != at {
                    continue;
                }
                let mut split = source[..line_start(source, at)].to_string();
                split.push_str(&format!("{pad}with {header}:\n"));
                split.push_str(&source[line_start(source, at)..]);
                let kind = if statements[..k].iter().any(|s| s.kind == "if_statement") {
                    BugKind::CheckThenAct
                } else if kind == BugKind::LazyInit {
                    BugKind::LazyInit
                } else {
                    BugKind::AtomicityViolation
                };
                let what = format!("{where_} releases `{header}` after `{}` and takes it again for `{}`: between the two critical sections other threads see the state half updated, and the second part can act on what the first part read and another thread has since changed.", first_line(&source[statements[k - 1].range.clone()]), first_line(&source[statements[k].range.clone()]));
                out.push((
                    MutationOperator::SplitCriticalSection,
                    kind,
                    split,
                    what,
                    format!("{k}"),
                ));
            }
        }
        Shape::GuardScope {
            guard_let,
            guard_name,
            after,
        } => {
            let name = guard_name.trim();
            if !name.chars().all(|c| c.is_alphanumeric() || c == '_') || name.starts_with('_') {
                return Vec::new();
            }
            for k in 1..after.len() {
                let at = after[k].range.start;
                let start = line_start(source, at);
                let pad = &source[start..at];
                if !pad.trim().is_empty() {
                    continue;
                }
                let mut split = source[..at].to_string();
                split.push_str(&format!("drop({name});\n{pad}{guard_let}\n{pad}"));
                split.push_str(&source[at..]);
                let what = format!("{where_} drops the guard `{name}` after `{}` and locks again (`{}`) for `{}`: between the two critical sections other threads see the state half updated, and the second part can act on what the first part read and another thread has since changed.", first_line(&source[after[k - 1].range.clone()]), first_line(guard_let), first_line(&source[after[k].range.clone()]));
                out.push((
                    MutationOperator::SplitCriticalSection,
                    BugKind::AtomicityViolation,
                    split,
                    what,
                    format!("{k}"),
                ));
            }
        }
        Shape::LockPair { first, second } => {
            let (a, b) = (&source[first.clone()], &source[second.clone()]);
            let mut swapped = source[..first.start].to_string();
            swapped.push_str(b);
            swapped.push_str(&source[first.end..second.start]);
            swapped.push_str(a);
            swapped.push_str(&source[second.end..]);
            let what = format!("{where_} now takes `{}` before `{}`, the opposite of the order the other paths use: two threads on the two paths can each hold one lock and wait for the other forever.", first_line(b), first_line(a));
            out.push((
                MutationOperator::SwapLockOrder,
                BugKind::LockOrderDeadlock,
                swapped,
                what,
                String::new(),
            ));
        }
        Shape::AtomicRmw {
            call,
            receiver,
            method,
            operand,
            ordering,
        } => {
            let sign = if method == "fetch_sub" { "-" } else { "+" };
            let replacement = format!("({{ let old = {receiver}.load({ordering}); {receiver}.store(old {sign} ({operand}), {ordering}); old }})");
            let mut mutated = source[..call.start].to_string();
            mutated.push_str(&replacement);
            mutated.push_str(&source[call.end..]);
            let what = format!("{where_} no longer updates `{receiver}` with one `{method}`: it loads the value and stores the result in a second step, so two threads can read the same value and one update is lost.");
            out.push((
                MutationOperator::AtomicToLoadStore,
                BugKind::LostUpdate,
                mutated,
                what,
                String::new(),
            ));
        }
        Shape::OnceInit { call, cell, init } => {
            let replacement = format!("({{ if {cell}.get().is_none() {{ let _ = {cell}.set(({init})()); }} {cell}.get().expect(\"set just above\") }})");
            let mut mutated = source[..call.start].to_string();
            mutated.push_str(&replacement);
            mutated.push_str(&source[call.end..]);
            let what = format!("{where_} checks `{cell}` and runs the initialiser outside the once-cell's synchronisation: two threads can both find it empty and both run the initialiser (and its side effects); one value is thrown away.");
            out.push((
                MutationOperator::UnsyncLazyInit,
                BugKind::LazyInit,
                mutated,
                what,
                String::new(),
            ));
        }
        Shape::Notify { stmt } => {
            if !alone_on_lines(source, stmt) {
                return Vec::new();
            }
            let start = line_start(source, stmt.start);
            let end = line_end(source, stmt.end.saturating_sub(1));
            let mut mutated = source[..start].to_string();
            mutated.push_str(&source[end..]);
            let what = format!("{where_} no longer calls `{}`: a thread waiting on the condition is not woken when the state it waits for arrives, and sleeps until a timeout or forever.", first_line(&source[stmt.clone()]));
            out.push((
                MutationOperator::DropNotify,
                BugKind::MissingNotify,
                mutated,
                what,
                String::new(),
            ));
        }
    }
    let stem = std::path::Path::new(&site.file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let function = site
        .context
        .as_deref()
        .map(|c| c.rsplit('.').next().unwrap_or(c))
        .unwrap_or("module");
    out.into_iter()
        .filter(|(op, ..)| allowed.contains(op))
        .filter(|(_, _, mutated, ..)| mutated != source)
        .map(|(operator, kind, mutated, description, suffix)| {
            let mut id = slug(&format!("{stem}-{function}-{}", operator.name()));
            if !suffix.is_empty() {
                id = format!("{id}-{suffix}");
            }
            Mutant {
                id,
                operator,
                kind,
                site: site.clone(),
                patch: unified_patch(&site.file, source, &mutated),
                source: mutated,
                description,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Language;
    use crate::seed::sites::find_sites;

    fn mutants(lang: Language, src: &str) -> Vec<Mutant> {
        find_sites(lang, "m/box.py", src)
            .unwrap()
            .iter()
            .flat_map(|s| mutate(s, src, &MutationOperator::ALL))
            .collect()
    }

    #[test]
    fn python_sections_are_removed_split_and_swapped() {
        let src = "class Box:\n    def put(self, v):\n        with self._lock:\n            self.a -= v\n            self.b += v\n        return v\n\n    def both(self):\n        with self._a_lock:\n            with self._b_lock:\n                pass\n";
        let all = mutants(Language::Python, src);
        let by = |id: &str| {
            all.iter().find(|m| m.id == id).unwrap_or_else(|| {
                panic!(
                    "{id} in {:?}",
                    all.iter().map(|m| &m.id).collect::<Vec<_>>()
                )
            })
        };
        let removed = by("box-put-remove-critical-section");
        assert_eq!(removed.kind, BugKind::LostUpdate);
        assert!(removed.source.contains("    def put(self, v):\n        self.a -= v\n        self.b += v\n        return v\n"), "{}", removed.source);
        let split = by("box-put-split-critical-section-1");
        assert!(
            split.source.contains(
                "            self.a -= v\n        with self._lock:\n            self.b += v\n"
            ),
            "{}",
            split.source
        );
        let swapped = by("box-both-swap-lock-order");
        assert!(swapped
            .source
            .contains("with self._b_lock:\n            with self._a_lock:"));
        assert!(
            swapped.patch.starts_with(
                "diff --git a/m/box.py b/m/box.py\n--- a/m/box.py\n+++ b/m/box.py\n@@"
            ),
            "{}",
            swapped.patch
        );
        crate::catalog::patch_paths(&swapped.patch).expect("libgit2 reads the patch");
    }

    #[test]
    fn rust_atomics_become_load_and_store_and_notifies_go() {
        let src = "impl G {\n    fn next(&self) -> u64 {\n        self.n.fetch_add(1, Ordering::SeqCst) + 1\n    }\n    fn wake(&self) {\n        self.cv.notify_one();\n    }\n}\n";
        let all = mutants(Language::Rust, src);
        let ids: Vec<&str> = all.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            ids,
            ["box-next-atomic-to-load-store", "box-wake-drop-notify"]
        );
        assert!(all[0].source.contains("({ let old = self.n.load(Ordering::SeqCst); self.n.store(old + (1), Ordering::SeqCst); old }) + 1"));
        assert!(
            all[1].source.contains("fn wake(&self) {\n    }"),
            "{}",
            all[1].source
        );
    }
}
