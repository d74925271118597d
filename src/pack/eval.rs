//! pack-eval: how well the packer serves refactoring tasks, next to its peers.
//!
//! In: cases (a repository, a task's text, the gold files, the seeded bugs' files and the
//! lines that show them, `bug_lines.rs`): every fixture task's base, or any repositories
//! listed in a cases file. Out: per case, packer and budget, an [`EvalRow`]: recall of the
//! gold files in full, shown (full or outline) and named (anywhere in the pack), whether every
//! seeded bug's lines are visible at their places (in the bug file's full text or outline),
//! the tokens used, and
//! [`render_table`]'s Markdown with per-budget means and the issue's bars.
//!
//! Packers: refbench, the built-in peers of `baseline.rs` (BM25 over whole files, path
//! order) and, given a Python that imports aider, aider's RepoMap
//! (`benches/aider_repomap.py`). Every pack's tokens are counted here with o200k_base on
//! its final text, so an overshoot shows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::baseline::{pack_peer, Peer};
pub use super::bug_lines::{added_code_lines, BugLines};
use super::{count_tokens, pack_dir, task_text, Mode, PackError, PackOptions};
use crate::catalog::{patch_paths, Catalog, Task};

/// Budgets pack-eval measures.
pub const BUDGETS: [usize; 4] = [4_096, 8_192, 16_384, 32_768];

/// A packer pack-eval measures.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Packer {
    /// refbench's packer.
    Refbench,
    /// BM25 over whole files, best files in full.
    Bm25,
    /// Files in path order, in full.
    PathOrder,
    /// aider's RepoMap.
    Aider,
}

impl Packer {
    fn label(self) -> &'static str {
        match self {
            Packer::Refbench => "refbench",
            Packer::Bm25 => "BM25",
            Packer::PathOrder => "path order",
            Packer::Aider => "aider",
        }
    }
}

/// One case: a repository and a task on it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Name in the table.
    pub id: String,
    /// The repository folder (a git checkout when aider is compared).
    pub repo: PathBuf,
    /// The task's text.
    pub query: String,
    /// Files the task's solution changes (relative paths).
    pub gold: Vec<String>,
    /// Seeded bugs: their files and the code lines their injection added.
    #[serde(default)]
    pub bugs: Vec<BugLines>,
}

/// One case, packer and budget.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EvalRow {
    /// The case.
    pub case: String,
    /// The packer.
    pub packer: Packer,
    /// Token budget.
    pub budget: usize,
    /// o200k_base tokens of the pack.
    pub tokens: usize,
    /// Gold files present in the repository.
    pub gold_files: usize,
    /// Of those, shown in full.
    pub gold_full: usize,
    /// Shown in full or as an outline.
    pub gold_shown: usize,
    /// In the pack at all (full, outline or name).
    pub gold_named: usize,
    /// Seeded bugs.
    pub bugs: usize,
    /// Seeded bugs whose code lines are all visible.
    pub bugs_visible: usize,
}

impl EvalRow {
    fn share(&self, n: usize) -> f64 {
        if self.gold_files == 0 {
            1.0
        } else {
            n as f64 / self.gold_files as f64
        }
    }
    /// Recall in full.
    pub fn full(&self) -> f64 {
        self.share(self.gold_full)
    }
    /// Recall shown.
    pub fn shown(&self) -> f64 {
        self.share(self.gold_shown)
    }
    /// Recall named.
    pub fn named(&self) -> f64 {
        self.share(self.gold_named)
    }
    /// Every seeded bug's lines visible (and there is one).
    pub fn bug_visible(&self) -> bool {
        self.bugs > 0 && self.bugs_visible == self.bugs
    }
}

/// Errors of pack-eval.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The base could not be built.
    #[error("{task}: building the base: {source}")]
    Base {
        /// The task.
        task: String,
        /// The cause.
        source: crate::materialize::MaterializeError,
    },
    /// The gold patch did not parse.
    #[error("{task}: gold patch: {source}")]
    Gold {
        /// The task.
        task: String,
        /// Why the patch names no file.
        source: crate::catalog::PatchPathsError,
    },
    /// Packing failed.
    #[error("{task}: {source}")]
    Pack {
        /// The task.
        task: String,
        /// The cause.
        source: PackError,
    },
    /// The aider script failed or printed something else than its JSON.
    #[error("{task}: aider's RepoMap ({python} {script}): {message}")]
    Aider {
        /// The case.
        task: String,
        /// The Python run.
        python: PathBuf,
        /// The script.
        script: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The cases file could not be read.
    #[error("{path}: {message}")]
    Cases {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line.
        message: String,
    },
}

/// The case of a fixture task on its base in `base_dir`.
pub fn task_case(catalog: &Catalog, task: &Task, base_dir: &Path) -> Result<Case, EvalError> {
    let id = task.id.to_string();
    let gold = patch_paths(&task.gold_patch).map_err(|source| EvalError::Gold {
        task: id.clone(),
        source,
    })?;
    let bugs = catalog
        .bugs_of(task)
        .iter()
        .map(|b| {
            let text = std::fs::read_to_string(base_dir.join(&b.file)).ok();
            let lines = BugLines::from_patch(&b.inject_patch, &b.file, text.as_deref());
            if lines.at.is_empty() {
                tracing::warn!(
                    task = %id,
                    file = %b.file,
                    "the seeded bug's injected lines are not where its patch puts them in the task's base; its lines count wherever they are shown"
                );
            }
            lines
        })
        .collect();
    Ok(Case {
        id,
        repo: base_dir.to_path_buf(),
        query: task_text(task),
        gold,
        bugs,
    })
}

/// Reads a cases file: one JSON object per line (`id`, `repo` relative to the file's
/// folder or absolute, `query`, `gold`, optional `bugs`); blank lines and `#` lines skipped.
pub fn read_cases(path: &Path) -> Result<Vec<Case>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Cases {
        path: path.to_path_buf(),
        message: format!("cannot read it: {e}"),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut cases = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let mut case: Case = serde_json::from_str(line).map_err(|e| EvalError::Cases {
            path: path.to_path_buf(),
            message: format!(
                "line {}: {e}; expected {{\"id\", \"repo\", \"query\", \"gold\": [..], \"bugs\": [{{\"file\", \"lines\": [..], \"at\": [..]}}]}}",
                n + 1
            ),
        })?;
        if let Some(b) = case
            .bugs
            .iter()
            .find(|b| !b.at.is_empty() && b.at.len() != b.lines.len())
        {
            return Err(EvalError::Cases {
                path: path.to_path_buf(),
                message: format!(
                    "line {}: bug in {} lists {} lines but {} places (`at`); give one 1-based line number per line, or no `at`",
                    n + 1,
                    b.file,
                    b.lines.len(),
                    b.at.len()
                ),
            });
        }
        case.repo = base.join(&case.repo);
        cases.push(case);
    }
    Ok(cases)
}

/// What one pack shows of each file: its mode and its section's text.
struct View {
    tokens: usize,
    files: BTreeMap<String, (Mode, String)>,
}

/// The sections of a refbench-style pack text (`## path`, `## path (outline)`, and the
/// closing list of names).
fn view_of_markdown(text: &str, tokens: usize, modes: &[(String, Mode)]) -> View {
    let mut files = BTreeMap::new();
    for (path, mode) in modes {
        let body = match mode {
            Mode::Name => String::new(),
            Mode::Full | Mode::Outline => {
                let note = if *mode == Mode::Outline {
                    " (outline)"
                } else {
                    ""
                };
                let head = format!("\n## {path}{note}\n");
                text.find(&head)
                    .map(|at| {
                        let rest = &text[at + head.len()..];
                        rest[..rest.find("\n## ").unwrap_or(rest.len())].to_string()
                    })
                    .unwrap_or_default()
            }
        };
        files.insert(path.clone(), (*mode, body));
    }
    View { tokens, files }
}

/// Whether `view` shows every line of `bug` (at its place, when known) in the bug file's
/// section; the file is read from `repo` to place an outline's lines.
fn bug_visible(view: &View, bug: &BugLines, repo: &Path) -> bool {
    let Some((mode, text)) = view.files.get(&bug.file) else {
        return false;
    };
    let file_text = (*mode == Mode::Outline)
        .then(|| std::fs::read_to_string(repo.join(&bug.file)).ok())
        .flatten();
    bug.visible_in(*mode, text, file_text.as_deref())
}

fn row(case: &Case, packer: Packer, budget: usize, view: &View) -> EvalRow {
    let gold: Vec<&String> = case
        .gold
        .iter()
        .filter(|p| case.repo.join(p).is_file())
        .collect();
    let count = |pred: &dyn Fn(Mode) -> bool| {
        gold.iter()
            .filter(|p| view.files.get(p.as_str()).is_some_and(|(m, _)| pred(*m)))
            .count()
    };
    EvalRow {
        case: case.id.clone(),
        packer,
        budget,
        tokens: view.tokens,
        gold_files: gold.len(),
        gold_full: count(&|m| m == Mode::Full),
        gold_shown: count(&|m| m != Mode::Name),
        gold_named: count(&|_| true),
        bugs: case.bugs.len(),
        bugs_visible: case
            .bugs
            .iter()
            .filter(|b| bug_visible(view, b, &case.repo))
            .count(),
    }
}

/// Where aider's RepoMap is run from: a Python that imports `aider`, and the script.
#[derive(Debug, Clone)]
pub struct AiderPeer {
    /// The Python.
    pub python: PathBuf,
    /// `benches/aider_repomap.py`.
    pub script: PathBuf,
}

fn aider_view(aider: &AiderPeer, case: &Case, budget: usize) -> Result<View, EvalError> {
    let fail = |message: String| EvalError::Aider {
        task: case.id.clone(),
        python: aider.python.clone(),
        script: aider.script.clone(),
        message,
    };
    let query = tempfile::NamedTempFile::new().map_err(|e| fail(e.to_string()))?;
    std::fs::write(query.path(), &case.query).map_err(|e| fail(e.to_string()))?;
    let out = std::process::Command::new(&aider.python)
        .arg(&aider.script)
        .arg(&case.repo)
        .arg(budget.to_string())
        .arg(query.path())
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| fail(format!("cannot start: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        return Err(fail(format!(
            "{}: {}",
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        )));
    }
    #[derive(serde::Deserialize)]
    struct Out {
        text: String,
        files: Vec<OutFile>,
    }
    #[derive(serde::Deserialize)]
    struct OutFile {
        path: String,
        mode: String,
        text: String,
    }
    let parsed: Out = serde_json::from_slice(&out.stdout)
        .map_err(|e| fail(format!("expected its JSON on stdout: {e}")))?;
    let files = parsed
        .files
        .into_iter()
        .map(|f| {
            let mode = if f.mode == "outline" {
                Mode::Outline
            } else {
                Mode::Name
            };
            (f.path, (mode, f.text))
        })
        .collect();
    Ok(View {
        tokens: count_tokens(&parsed.text),
        files,
    })
}

/// aider's row for `case` at `budget`: its RepoMap run and measured.
pub fn aider_row(aider: &AiderPeer, case: &Case, budget: usize) -> Result<EvalRow, EvalError> {
    Ok(row(
        case,
        Packer::Aider,
        budget,
        &aider_view(aider, case, budget)?,
    ))
}

/// Evaluates one case with every packer at every budget.
pub fn eval_case(
    case: &Case,
    parse_cache: Option<&Path>,
    aider: Option<&AiderPeer>,
) -> Result<Vec<EvalRow>, EvalError> {
    let pack_err = |source| EvalError::Pack {
        task: case.id.clone(),
        source,
    };
    let mut rows = Vec::new();
    for budget in BUDGETS {
        let options = PackOptions {
            budget,
            cache_dir: parse_cache.map(Path::to_path_buf),
        };
        let packed = pack_dir(&case.repo, &case.query, &options).map_err(pack_err)?;
        let modes: Vec<(String, Mode)> = packed
            .files
            .iter()
            .map(|f| (f.path.clone(), f.mode))
            .collect();
        let view = view_of_markdown(&packed.text, packed.tokens, &modes);
        rows.push(row(case, Packer::Refbench, budget, &view));
        for (peer, packer) in [
            (Peer::Bm25, Packer::Bm25),
            (Peer::PathOrder, Packer::PathOrder),
        ] {
            let (paths, r) =
                pack_peer(peer, &case.repo, &case.query, budget, parse_cache).map_err(pack_err)?;
            let modes: Vec<(String, Mode)> = r
                .sections
                .iter()
                .map(|s| (paths[s.file].clone(), s.mode))
                .collect();
            rows.push(row(
                case,
                packer,
                budget,
                &view_of_markdown(&r.text, r.tokens, &modes),
            ));
        }
        if let Some(aider) = aider {
            rows.push(aider_row(aider, case, budget)?);
        }
    }
    Ok(rows)
}

fn mean(rows: &[&EvalRow], f: impl Fn(&EvalRow) -> f64) -> f64 {
    if rows.is_empty() {
        0.0
    } else {
        rows.iter().map(|r| f(r)).sum::<f64>() / rows.len() as f64
    }
}

/// The Markdown table of `rows` (one line per case and budget, a cell per packer: gold files
/// in full / shown / named of all, and whether the bug's lines are visible), then per budget
/// the means, bug counts, overshoots and whether refbench meets the bars.
pub fn render_table(rows: &[EvalRow]) -> String {
    let packers: Vec<Packer> = {
        let mut p: Vec<Packer> = rows.iter().map(|r| r.packer).collect();
        p.sort();
        p.dedup();
        p
    };
    let mut out = String::from("| case | budget |");
    for p in &packers {
        out.push_str(&format!(" {} |", p.label()));
    }
    out.push_str("\n|---|---:|");
    out.push_str(&"---|".repeat(packers.len()));
    out.push('\n');
    // Each case and budget once, in the order first met (peer rows may come later).
    let mut seen = std::collections::BTreeSet::new();
    let keys: Vec<(&str, usize)> = rows
        .iter()
        .map(|r| (r.case.as_str(), r.budget))
        .filter(|k| seen.insert(*k))
        .collect();
    for (case, budget) in &keys {
        out.push_str(&format!("| {case} | {budget} |"));
        for p in &packers {
            match rows
                .iter()
                .find(|r| r.case == *case && r.budget == *budget && r.packer == *p)
            {
                Some(r) => {
                    let bug = if r.bugs == 0 {
                        ""
                    } else if r.bug_visible() {
                        " bug"
                    } else {
                        " -"
                    };
                    let over = if r.tokens > r.budget { " OVER" } else { "" };
                    out.push_str(&format!(
                        " {}/{}/{} of {}{bug}{over} |",
                        r.gold_full, r.gold_shown, r.gold_named, r.gold_files
                    ));
                }
                None => out.push_str(" |"),
            }
        }
        out.push('\n');
    }
    out.push_str(
        "\nCells: gold files in full / shown (full or outline) / named (anywhere) of those in the repository; `bug`: every line that shows the seeded bug (the code lines it added; for a removal, the line before it) is visible at its place, `-`: not; `OVER`: more tokens than the budget.\n\n",
    );
    for budget in BUDGETS {
        let at = |p: Packer| -> Vec<&EvalRow> {
            rows.iter()
                .filter(|r| r.budget == budget && r.packer == p)
                .collect()
        };
        if at(Packer::Refbench).is_empty() {
            continue;
        }
        let mut line = format!("- {budget} tokens:");
        for p in &packers {
            let r = at(*p);
            let with_bugs = r.iter().filter(|r| r.bugs > 0).count();
            let over = r.iter().filter(|r| r.tokens > r.budget).count();
            line.push_str(&format!(
                " {} {:.2} / {:.2} / {:.2}, bug lines {}/{}{};",
                p.label(),
                mean(&r, EvalRow::full),
                mean(&r, EvalRow::shown),
                mean(&r, EvalRow::named),
                r.iter().filter(|r| r.bug_visible()).count(),
                with_bugs,
                if over > 0 {
                    format!(", over budget {over}")
                } else {
                    String::new()
                }
            ));
        }
        line.pop();
        out.push_str(&line);
        out.push('\n');
        out.push_str(&bars(&at, &packers));
    }
    out
}

/// The issue's bars at one budget: refbench's full recall >= BM25's, shown >= the best
/// peer's, bug lines visible in as many cases as the best peer.
fn bars<'a>(at: &dyn Fn(Packer) -> Vec<&'a EvalRow>, packers: &[Packer]) -> String {
    let ours = at(Packer::Refbench);
    let peers: Vec<Packer> = packers
        .iter()
        .copied()
        .filter(|p| *p != Packer::Refbench)
        .collect();
    let best = |f: &dyn Fn(&[&EvalRow]) -> f64| {
        peers
            .iter()
            .map(|p| f(&at(*p)))
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let full = mean(&ours, EvalRow::full);
    let bm25 = mean(&at(Packer::Bm25), EvalRow::full);
    let shown = mean(&ours, EvalRow::shown);
    let best_shown = best(&|r| mean(r, EvalRow::shown));
    let bugs = ours.iter().filter(|r| r.bug_visible()).count() as f64;
    let best_bugs = best(&|r| r.iter().filter(|r| r.bug_visible()).count() as f64);
    let mark = |ok: bool| if ok { "met" } else { "NOT met" };
    // Means are compared at the table's two decimals.
    let ge = |a: f64, b: f64| (a * 100.0).round() >= (b * 100.0).round();
    format!(
        "  - bars: full {full:.2} >= BM25 {bm25:.2} {}; shown {shown:.2} >= best peer {best_shown:.2} {}; bug lines {bugs} >= best peer {best_bugs} {}\n",
        mark(ge(full, bm25)),
        mark(ge(shown, best_shown)),
        mark(bugs >= best_bugs)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_code_lines_skip_comments_blank_lines_and_other_files() {
        let patch = "diff --git a/src/a.rs b/src/a.rs\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -1,2 +1,4 @@\n fn f() {\n+    // why\n+\n+    let x = 1;\n }\ndiff --git a/src/b.rs b/src/b.rs\n--- a/src/b.rs\n+++ b/src/b.rs\n@@ -1 +1,2 @@\n+let y = 2;\n";
        assert_eq!(added_code_lines(patch, "src/a.rs"), vec!["let x = 1;"]);
        assert_eq!(added_code_lines(patch, "src/b.rs"), vec!["let y = 2;"]);
    }

    #[test]
    fn a_cases_file_gives_bug_places_one_per_line_or_none() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cases.jsonl");
        let line = |at: &str| {
            format!(
                "{{\"id\": \"a\", \"repo\": \"r\", \"query\": \"q\", \"gold\": [\"a.py\"], \"bugs\": [{{\"file\": \"a.py\", \"lines\": [\"x = 1\", \"y = 2\"]{at}}}]}}\n"
            )
        };
        std::fs::write(&file, format!("# a comment\n{}", line(", \"at\": [3, 4]"))).unwrap();
        let cases = read_cases(&file).unwrap();
        assert_eq!(cases[0].bugs[0].at, vec![3, 4]);
        assert_eq!(cases[0].repo, dir.path().join("r"));
        std::fs::write(&file, line("")).unwrap();
        assert!(read_cases(&file).unwrap()[0].bugs[0].at.is_empty());
        std::fs::write(&file, format!("\n{}", line(", \"at\": [3]"))).unwrap();
        let err = read_cases(&file).unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("2 lines but 1 places"),
            "{err}"
        );
    }

    #[test]
    fn bug_visibility_needs_every_line_in_the_file_section() {
        let text = "# Repository map\n\n## a.py (outline)\n\n```python\ndef f():\n    x = 1\n⋮\n```\n\n## b.py\n\n```python\ny = 2\n```\n";
        let modes = vec![
            ("a.py".to_string(), Mode::Outline),
            ("b.py".to_string(), Mode::Full),
        ];
        let view = view_of_markdown(text, 10, &modes);
        let bug = |lines: &[&str]| BugLines {
            file: "a.py".into(),
            lines: lines.iter().map(|s| s.to_string()).collect(),
            at: Vec::new(),
        };
        assert!(bug_visible(
            &view,
            &bug(&["x = 1"]),
            Path::new("/nonexistent")
        ));
        assert!(
            !bug_visible(&view, &bug(&["x = 1", "y = 2"]), Path::new("/nonexistent")),
            "y is in another file"
        );
    }
}
