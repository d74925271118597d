//! Impossible variants of a task (the ImpossibleBench idea): hidden tests that contradict the
//! statement, so any pass means the model gamed the grading.
//!
//! In: a loaded [`Task`] whose folder holds `impossible/` (an `impossible.toml` with `why` and
//! its own `fail_to_pass`, and `impossible/hidden/`, whose files are copied over the task's
//! hidden files). Out: the variant as a [`Task`] of its own, id `FIXTURE/ID~impossible`,
//! marked by [`TaskVariant::Impossible`], or a [`FileError`] naming `impossible.toml` (or the
//! folder) and the key at fault.
//!
//! The variant shares everything else with its task: statement, requirements, interface,
//! seeded bugs, PASS_TO_PASS, protected globs, rules and the gold patch (gold follows the
//! statement, so gold must *fail* the variant's tests; `validate` checks that). Which runs
//! include variants is an [`ImpossibleSelection`]; the format is documented for users in
//! `docs/task-format.md`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{is_template, toml_file, Catalog, FileError, Task, TaskId, TestIdCheck};

/// The folder, under a task's folder, that holds its impossible variant.
pub const IMPOSSIBLE_DIR: &str = "impossible";
/// The suffix of an impossible variant's id: `FIXTURE/ID~impossible`.
pub const IMPOSSIBLE_SUFFIX: &str = "~impossible";

/// Whether a task is the one its task.toml describes or a variant of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TaskVariant {
    /// The task as written: passing its hidden tests is the goal.
    #[default]
    Standard,
    /// An impossible variant: its hidden tests contradict the statement.
    Impossible(Box<ImpossibleVariant>),
}

/// What makes a variant impossible, as `impossible.toml` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpossibleVariant {
    /// The task it is a variant of.
    pub of: TaskId,
    /// Which requirement the hidden tests contradict, and how.
    pub why: String,
    /// `tasks/ID/impossible/`.
    pub dir: PathBuf,
    /// The impossible.toml path.
    pub file: PathBuf,
    /// The impossible.toml text (in the task's fingerprint).
    pub text: String,
}

impl ImpossibleVariant {
    /// The folder whose files replace the task's hidden files of the same path.
    pub fn hidden_dir(&self) -> PathBuf {
        self.dir.join("hidden")
    }
}

/// Which tasks a run or a validation takes, as to impossible variants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ImpossibleSelection {
    /// Only the tasks as written; a variant is taken only when a `--task` pattern is its
    /// exact id.
    #[default]
    Exclude,
    /// Tasks and their impossible variants.
    Include,
    /// Only the impossible variants (a cheating-rate run).
    Only,
}

impl ImpossibleSelection {
    /// Whether `task`, selected by `patterns`, stays in.
    fn keeps(self, task: &Task, patterns: &[String]) -> bool {
        match (self, task.is_impossible()) {
            (ImpossibleSelection::Only, impossible) => impossible,
            (ImpossibleSelection::Include, _) | (ImpossibleSelection::Exclude, false) => true,
            (ImpossibleSelection::Exclude, true) => patterns.iter().any(|p| p == &task.id.0),
        }
    }
}

/// impossible.toml as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImpossibleFile {
    why: String,
    fail_to_pass: Vec<String>,
}

impl Task {
    /// Whether this is an impossible variant.
    pub fn is_impossible(&self) -> bool {
        matches!(self.variant, TaskVariant::Impossible(_))
    }

    /// The folders whose files are copied over the repo before grading, in order (a later
    /// folder's file replaces an earlier one's): the task's hidden/, then, for an impossible
    /// variant, its own.
    pub fn hidden_dirs(&self) -> Vec<PathBuf> {
        let mut dirs = vec![self.dir.join("hidden")];
        if let TaskVariant::Impossible(v) = &self.variant {
            dirs.push(v.hidden_dir());
        }
        dirs
    }
}

impl Catalog {
    /// [`Catalog::select`], then impossible variants kept or dropped as `which` says. Errs when
    /// a pattern matched only variants that `which` drops, saying how to take them.
    pub fn select_tasks(
        &self,
        patterns: &[String],
        which: ImpossibleSelection,
    ) -> Result<Vec<&Task>, super::SelectError> {
        let matched = self.select(patterns)?;
        let any = !matched.is_empty();
        let kept: Vec<&Task> = matched
            .into_iter()
            .filter(|t| which.keeps(t, patterns))
            .collect();
        if any && kept.is_empty() {
            return Err(match which {
                ImpossibleSelection::Only => super::SelectError::NoVariant {
                    patterns: patterns.to_vec(),
                },
                _ => super::SelectError::OnlyVariants,
            });
        }
        Ok(kept)
    }
}

/// Loads the impossible variant of `task` when its folder has `impossible/`.
pub(super) fn load_impossible(
    task: &Task,
    check_test_id: TestIdCheck,
) -> Option<Result<Task, FileError>> {
    let dir = task.dir.join(IMPOSSIBLE_DIR);
    dir.is_dir()
        .then(|| load_variant(task, &dir, check_test_id))
}

fn load_variant(task: &Task, dir: &Path, check_test_id: TestIdCheck) -> Result<Task, FileError> {
    let path = dir.join("impossible.toml");
    if !path.is_file() {
        return Err(FileError::invalid(
            dir,
            None,
            "",
            "expected impossible.toml here (with `why` and `fail_to_pass`), beside hidden/; remove the folder if the task has no impossible variant",
        ));
    }
    let (raw, text): (ImpossibleFile, String) = toml_file::load(&path)?;
    let invalid = |key: &str, msg: String| FileError::invalid(&path, Some(&text), key, msg);
    if raw.why.trim().is_empty() || is_template(&raw.why) {
        return Err(invalid(
            "why",
            "expected the requirement the hidden tests contradict and how (a sentence or two), found an empty or TODO text".into(),
        ));
    }
    let fail_to_pass = super::test_ids::test_ids(
        &raw.fail_to_pass,
        task.language,
        "fail_to_pass",
        check_test_id,
    )
    .map_err(|(k, m)| invalid(&k, m))?;
    if fail_to_pass.is_empty() {
        return Err(invalid(
            "fail_to_pass",
            "expected at least one hidden test id (among them the one that contradicts the statement), found an empty list".into(),
        ));
    }
    if let Some(both) = fail_to_pass.iter().find(|t| task.pass_to_pass.contains(t)) {
        return Err(invalid(
            "fail_to_pass",
            format!("\"{both}\" is a PASS_TO_PASS test of the task; a test belongs to one list"),
        ));
    }
    let hidden = dir.join("hidden");
    let replaced = hidden_files(&hidden);
    if replaced.is_empty() {
        return Err(FileError::invalid(
            &hidden,
            None,
            "",
            "expected the hidden test files the variant replaces (at least one, at the same path as in the task's hidden/)",
        ));
    }
    // Every listed test lives in a hidden file the variant grades with: its own or the task's.
    let mut known = hidden_files(&task.dir.join("hidden"));
    known.extend(replaced);
    known.sort();
    known.dedup();
    for (i, id) in fail_to_pass.iter().enumerate() {
        let file = id.0.split("::").next().unwrap_or(&id.0);
        if !known.iter().any(|k| k == file) {
            return Err(invalid(
                &format!("fail_to_pass[{i}]"),
                format!(
                    "expected a test in one of the hidden files ({}), found \"{id}\"",
                    known.join(", ")
                ),
            ));
        }
    }
    let mut variant = task.clone();
    variant.id = TaskId(format!("{}{IMPOSSIBLE_SUFFIX}", task.id));
    variant.fail_to_pass = fail_to_pass;
    variant.variant = TaskVariant::Impossible(Box::new(ImpossibleVariant {
        of: task.id.clone(),
        why: raw.why.trim().to_string(),
        dir: dir.to_path_buf(),
        file: path,
        text,
    }));
    Ok(variant)
}

/// Files under `dir`, relative to it, sorted; none when it is missing.
fn hidden_files(dir: &Path) -> Vec<String> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut out: Vec<String> = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter_map(|e| {
            e.path()
                .strip_prefix(dir)
                .ok()
                .map(|r| r.to_string_lossy().into_owned())
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests;
