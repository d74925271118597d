//! Tasks, seeded bugs and the catalog that finds them on disk.
//!
//! In: the project root, holding `repos-fixtures/NAME/{repo,tasks/ID/}` (or, for an upstream
//! fixture, `fixture.toml` and an overlay instead of `repo/`) and `seeded-bugs/NAME/BUG/`;
//! the [`Upstream`] that builds upstream fixtures' trees in the cache. Out: a [`Catalog`] of validated [`Task`]s and [`SeededBug`]s, or
//! every problem found, each naming the file, the line and key, what was expected and what was
//! found ([`FileError`]).
//!
//! Layout: `ids` holds the names and enums every stage shares, `task` and `bug` read and
//! validate one task.toml or bug.toml, [`arch`] the architectural rules a task declares,
//! `variant` a task's impossible variant (`impossible/`, loaded as a task of its own marked
//! [`TaskVariant::Impossible`]); this file walks the folders and keeps the [`Catalog`].
//!
//! The file formats are documented for users in `docs/task-format.md`. Validation happens here,
//! once, on load: the rest of the pipeline trusts a `Task` (its fixture exists, its gold patch
//! parses, its globs compile, its statement does not name a seeded bug's file).

pub mod arch;
mod bug;
mod fixture;
mod ids;
mod task;
mod test_ids;
pub mod toml_file;
mod variant;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::Glob;

use crate::upstream::Upstream;

pub use arch::{ArchRule, RuleId, RuleKind};
pub use bug::{BugOrigin, DetectorSpec, MutationOperator, SeedRecord, SeededBug};
pub use fixture::{read_fixture_file, FixtureFile};
pub use ids::{BugId, BugKind, Language, SymbolKind, TaskId, TestId};
pub use task::{names_file, Task, TaskLimits, Timeouts};
pub use test_ids::{TestIdCheck, TestIdError};
pub use toml_file::FileError;
pub use variant::{
    ImpossibleSelection, ImpossibleVariant, TaskVariant, IMPOSSIBLE_DIR, IMPOSSIBLE_SUFFIX,
};

use bug::load_bug;
use task::load_task;

/// Every task and seeded bug under a project root.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Project root.
    pub root: PathBuf,
    /// Tasks by id (sorted, so every listing is stable).
    pub tasks: BTreeMap<TaskId, Task>,
    /// Seeded bugs by id.
    pub bugs: BTreeMap<BugId, SeededBug>,
    /// Each fixture's tree by fixture name: its `repo/`, or an upstream fixture's tree in the
    /// cache.
    pub fixtures: BTreeMap<String, PathBuf>,
}

/// Folder names refbench accepts for fixtures, tasks and bugs.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
}

fn sorted_subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Catalog {
    /// Loads every task and bug under `root`, upstream fixtures built in the cache of the
    /// environment ([`Upstream::from_env`]). Returns all problems found, not just the first.
    pub fn load(root: &Path, check_test_id: TestIdCheck) -> Result<Catalog, Vec<FileError>> {
        Catalog::load_with(root, check_test_id, &Upstream::from_env())
    }

    /// [`Catalog::load`] with upstream fixtures' trees from `upstream`.
    pub fn load_with(
        root: &Path,
        check_test_id: TestIdCheck,
        upstream: &Upstream,
    ) -> Result<Catalog, Vec<FileError>> {
        let (catalog, errors) = Catalog::load_partial_with(root, check_test_id, upstream);
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(errors)
        }
    }

    /// Loads what loads: the valid tasks and bugs, and every problem found (for listings that
    /// should still show the rest while one file is being written).
    pub fn load_partial(root: &Path, check_test_id: TestIdCheck) -> (Catalog, Vec<FileError>) {
        Catalog::load_partial_with(root, check_test_id, &Upstream::from_env())
    }

    /// [`Catalog::load_partial`] with upstream fixtures' trees from `upstream`. The tasks and
    /// bugs of a fixture whose tree cannot be had are left out; the fixture's error says why.
    pub fn load_partial_with(
        root: &Path,
        check_test_id: TestIdCheck,
        upstream: &Upstream,
    ) -> (Catalog, Vec<FileError>) {
        let mut errors = Vec::new();
        let mut catalog = Catalog {
            root: root.to_path_buf(),
            ..Default::default()
        };
        let fixtures_dir = root.join("repos-fixtures");
        if !fixtures_dir.is_dir() {
            errors.push(FileError::invalid(
                &fixtures_dir,
                None,
                "",
                "expected a folder of fixtures here; run refbench from the project root or pass --root",
            ));
            return (catalog, errors);
        }
        let mut broken = std::collections::BTreeSet::new();
        for fixture in sorted_subdirs(&fixtures_dir) {
            match fixture::fixture_tree(&fixture, upstream) {
                Ok(tree) => {
                    catalog.fixtures.insert(file_name(&fixture), tree);
                }
                Err(e) => {
                    broken.insert(file_name(&fixture));
                    errors.push(e);
                }
            }
        }
        for bug_fixture in sorted_subdirs(&root.join("seeded-bugs")) {
            if broken.contains(&file_name(&bug_fixture)) {
                continue;
            }
            for bug_dir in sorted_subdirs(&bug_fixture) {
                match load_bug(root, &catalog.fixtures, &bug_dir) {
                    Ok(bug) => {
                        catalog.bugs.insert(bug.id.clone(), bug);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        for fixture in sorted_subdirs(&fixtures_dir) {
            let Some(tree) = catalog.fixtures.get(&file_name(&fixture)).cloned() else {
                continue;
            };
            for task_dir in sorted_subdirs(&fixture.join("tasks")) {
                match load_task(&task_dir, &tree, &catalog.bugs, check_test_id) {
                    Ok(task) => {
                        match variant::load_impossible(&task, check_test_id) {
                            Some(Ok(v)) => {
                                catalog.tasks.insert(v.id.clone(), v);
                            }
                            Some(Err(e)) => errors.push(e),
                            None => {}
                        }
                        catalog.tasks.insert(task.id.clone(), task);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        (catalog, errors)
    }

    /// Tasks whose id matches any of `patterns` (globs over `FIXTURE/ID`, or a bare fixture or
    /// task name); all tasks when `patterns` is empty. Errors name a pattern matching nothing.
    pub fn select(&self, patterns: &[String]) -> Result<Vec<&Task>, SelectError> {
        if patterns.is_empty() {
            return Ok(self.tasks.values().collect());
        }
        let mut chosen = BTreeMap::new();
        for pattern in patterns {
            let glob = Glob::new(pattern)
                .map_err(|e| SelectError::BadGlob {
                    pattern: pattern.clone(),
                    reason: e.to_string(),
                })?
                .compile_matcher();
            let mut hit = false;
            for (id, task) in &self.tasks {
                let (fixture, name) = id.0.split_once('/').unwrap_or(("", &id.0));
                if glob.is_match(&id.0) || pattern == fixture || pattern == name {
                    chosen.insert(id.clone(), task);
                    hit = true;
                }
            }
            if !hit {
                return Err(SelectError::NoMatch {
                    pattern: pattern.clone(),
                    known: self.tasks.keys().map(|t| t.0.clone()).collect(),
                });
            }
        }
        Ok(chosen.into_values().collect())
    }

    /// The seeded bugs of `task`, in the task's order.
    pub fn bugs_of<'a>(&'a self, task: &Task) -> Vec<&'a SeededBug> {
        task.seeded_bugs
            .iter()
            .filter_map(|b| self.bugs.get(b))
            .collect()
    }
}

/// Why `--task` patterns select no tasks.
#[derive(Debug, thiserror::Error)]
pub enum SelectError {
    /// The pattern is not a glob.
    #[error("--task {pattern}: not a valid glob: {reason}")]
    BadGlob {
        /// The pattern as given.
        pattern: String,
        /// globset's reason.
        reason: String,
    },
    /// The pattern matches no task.
    #[error("--task {pattern}: no task matches; known tasks: {}", known.join(", "))]
    NoMatch {
        /// The pattern as given.
        pattern: String,
        /// Every task id of the catalog.
        known: Vec<String>,
    },
    /// `--impossible only`, but no selected task has an impossible variant.
    #[error("no impossible variant among the tasks selected ({}); tasks get one with an impossible/ folder (docs/task-format.md)", patterns.join(", "))]
    NoVariant {
        /// The patterns as given.
        patterns: Vec<String>,
    },
    /// Only impossible variants match, and the selection leaves them out.
    #[error("only impossible variants match; pass --impossible include (or only) to run them")]
    OnlyVariants,
}

/// Why a patch names no file (see [`patch_paths`]).
#[derive(Debug, thiserror::Error)]
pub enum PatchPathsError {
    /// libgit2 cannot parse the text as a diff.
    #[error("{0}")]
    Unparsable(String),
    /// The diff parses but changes no file.
    #[error("it changes no file")]
    Empty,
}

/// Text left as `refbench new` wrote it.
fn is_template(text: &str) -> bool {
    text.trim_start().starts_with("TODO")
}

fn read_patch(path: &Path) -> Result<String, FileError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| FileError::invalid(path, None, "", format!("cannot read the patch: {e}")))?;
    if text.trim().is_empty() {
        return Err(FileError::invalid(
            path,
            None,
            "",
            "expected a unified diff, found an empty file",
        ));
    }
    Ok(text)
}

/// The new-side paths a unified diff touches, parsed by libgit2.
pub fn patch_paths(patch: &str) -> Result<Vec<String>, PatchPathsError> {
    let diff = git2::Diff::from_buffer(patch.as_bytes())
        .map_err(|e| PatchPathsError::Unparsable(e.message().to_string()))?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        let file = delta.new_file().path().or_else(|| delta.old_file().path());
        if let Some(p) = file {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    if out.is_empty() {
        return Err(PatchPathsError::Empty);
    }
    Ok(out)
}

fn check_relative_path(p: &str) -> Result<(), String> {
    let path = Path::new(p);
    if p.is_empty() || path.is_absolute() || path.components().any(|c| c.as_os_str() == "..") {
        return Err(format!(
            "expected a path relative to the fixture's repo/ without `..`, found \"{p}\""
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_file_finds_paths_names_and_modules() {
        let f = "app/sessions/store.py";
        assert_eq!(
            names_file("see app/sessions/store.py", f).as_deref(),
            Some(f)
        );
        assert_eq!(
            names_file("the store.py module", f).as_deref(),
            Some("store.py")
        );
        assert_eq!(
            names_file("use app.sessions.store here", f).as_deref(),
            Some("app.sessions.store")
        );
        assert_eq!(names_file("a session store is injected", f), None);
        let r = "src/session_store.rs";
        assert_eq!(
            names_file("in session_store we", r).as_deref(),
            Some("session_store")
        );
        assert_eq!(names_file("session_stores are many", r), None);
    }

    #[test]
    fn valid_names() {
        assert!(valid_name("consolidate-auth_2"));
        assert!(!valid_name("Auth"));
        assert!(!valid_name("-x"));
        assert!(!valid_name(""));
    }
}
