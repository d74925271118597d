//! `refbench new`: scaffolds a fixture, a task or a seeded bug with commented templates.
//!
//! In: the project root, what to create and its name. Out: the folders and files, never
//! overwriting anything that exists. What a fixture's files and a detector look like in each
//! language comes from [`crate::lang::Templates`]; this module places them. The templates are deliberately incomplete where only the
//! author can fill them in (test ids, patches): `refbench validate` then names each missing piece
//! with its file and key, which is the guided path docs/adding-a-bug.md walks through.

use std::path::{Path, PathBuf};

use crate::catalog::{BugKind, Language};

pub mod upstream;

/// Scaffolding failures.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// The name is not usable as a folder name.
    #[error("`{0}` is not a valid name: use lowercase letters, digits, - and _ (and FIXTURE/NAME for tasks and bugs)")]
    Name(String),
    /// The fixture does not exist.
    #[error(
        "no fixture `{0}` under repos-fixtures/; create it first with `refbench new fixture {0}`"
    )]
    NoFixture(String),
    /// `--from-pypi` / `--from-crate` was not NAME==VERSION / NAME@VERSION.
    #[error("{0}")]
    PackageSpec(String),
    /// The registry lookup, download or check of an upstream fixture failed.
    #[error("{0}")]
    Upstream(#[from] crate::upstream::UpstreamError),
    /// Something is already there.
    #[error("{0} already exists; refbench new never overwrites")]
    Exists(PathBuf),
    /// Filesystem trouble.
    #[error("writing {path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn valid(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
}

fn split_qualified(name: &str) -> Result<(&str, &str), ScaffoldError> {
    match name.split_once('/') {
        Some((fixture, item)) if valid(fixture) && valid(item) => Ok((fixture, item)),
        _ => Err(ScaffoldError::Name(name.to_string())),
    }
}

fn write_new(path: &Path, content: &str) -> Result<(), ScaffoldError> {
    if path.exists() {
        return Err(ScaffoldError::Exists(path.to_path_buf()));
    }
    let io = |source| ScaffoldError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    std::fs::write(path, content).map_err(io)
}

fn fixture_language(root: &Path, fixture: &str) -> Result<Language, ScaffoldError> {
    let dir = root.join("repos-fixtures").join(fixture);
    // An upstream fixture has no repo/; its fixture.toml says the language.
    if let Ok(Some((file, _))) = crate::catalog::read_fixture_file(&dir) {
        return Ok(file.language);
    }
    let repo = dir.join("repo");
    if !repo.is_dir() {
        return Err(ScaffoldError::NoFixture(fixture.to_string()));
    }
    Ok(crate::lang::fixture_language(&repo))
}

/// Creates `repos-fixtures/NAME/` with a minimal repo for `language`. Returns the files made.
pub fn new_fixture(
    root: &Path,
    name: &str,
    language: Language,
) -> Result<Vec<PathBuf>, ScaffoldError> {
    if !valid(name) {
        return Err(ScaffoldError::Name(name.to_string()));
    }
    let dir = root.join("repos-fixtures").join(name);
    if dir.exists() {
        return Err(ScaffoldError::Exists(dir));
    }
    let module = name.replace('-', "_");
    let files = crate::lang::support(language)
        .templates()
        .fixture_files(name, &module);
    write_fixture_files(&dir, files)
}

/// Writes a new fixture folder's files (refusing to overwrite any) and its empty `tasks/`;
/// returns the files written. Hand-made and upstream fixtures both start here.
fn write_fixture_files(
    dir: &Path,
    files: impl IntoIterator<Item = (impl AsRef<Path>, String)>,
) -> Result<Vec<PathBuf>, ScaffoldError> {
    let mut made = Vec::new();
    for (rel, content) in files {
        let path = dir.join(rel);
        write_new(&path, &content)?;
        made.push(path);
    }
    let tasks = dir.join("tasks");
    std::fs::create_dir_all(&tasks).map_err(|source| ScaffoldError::Io {
        path: tasks.clone(),
        source,
    })?;
    Ok(made)
}

/// Creates `repos-fixtures/FIXTURE/tasks/ID/` (`name` = `FIXTURE/ID`).
pub fn new_task(root: &Path, name: &str) -> Result<Vec<PathBuf>, ScaffoldError> {
    let (fixture, id) = split_qualified(name)?;
    let language = fixture_language(root, fixture)?;
    let dir = root
        .join("repos-fixtures")
        .join(fixture)
        .join("tasks")
        .join(id);
    if dir.exists() {
        return Err(ScaffoldError::Exists(dir));
    }
    let templates = crate::lang::support(language).templates();
    let (f2p_example, p2p_example) = templates.task_test_examples();
    let protected = templates.task_protected();
    let toml = format!(
        r#"# A refbench task. Every key is documented in docs/task-format.md.
id = "{id}"
fixture = "{fixture}"
language = "{language}"
title = "TODO: one line"

# What the model is told. Never name a seeded bug's file (path, file name or module path).
statement = """
TODO: the issue, as a maintainer would write it.
"""

requirements = [
  "TODO: one requirement per string",
]

# Signatures the hidden tests call.
interface = """
TODO
"""

# FIXTURE/BUG folders under seeded-bugs/ (create one with `refbench new bug {fixture}/NAME`).
seeded_bugs = []

# Hidden tests (put them under hidden/, same paths as in the repo), e.g. "{f2p_example}".
fail_to_pass = []
# Visible tests that must keep passing, e.g. "{p2p_example}".
pass_to_pass = []

protected = {protected}

[timeouts]
tests = 600
detector = 300

# Architectural rules on the patched tree's dependency graph (docs/task-format.md lists the
# kinds); every rule must hold on gold. For example:
# [[arch_rules]]
# id = "callers-use-the-new-module"
# kind = "forbid-import"
# from = "src/handlers/**"
# to = "src/legacy/**"
"#
    );
    let files = [
        (dir.join("task.toml"), toml),
        // Empty on purpose: validate says what to put here.
        (dir.join("gold.patch"), String::new()),
        // Beside hidden/, not in it: every file in hidden/ is copied over the repo, and a
        // hidden/README.md would replace the fixture's own README.md.
        (
            dir.join("README.md"),
            "hidden/ holds the hidden tests: its files are copied over the repo (same relative\npaths) before grading. Put only test files there (new ones, or the FILE of a\nFAIL_TO_PASS / PASS_TO_PASS id); `refbench validate` refuses others.\n"
                .to_string(),
        ),
    ];
    std::fs::create_dir_all(dir.join("hidden")).map_err(|source| ScaffoldError::Io {
        path: dir.join("hidden"),
        source,
    })?;
    let mut made = Vec::new();
    for (path, content) in files {
        write_new(&path, &content)?;
        made.push(path);
    }
    Ok(made)
}

/// Creates `seeded-bugs/FIXTURE/BUG/` (`name` = `FIXTURE/BUG`).
pub fn new_bug(
    root: &Path,
    name: &str,
    kind: BugKind,
    file: &str,
) -> Result<Vec<PathBuf>, ScaffoldError> {
    let (fixture, id) = split_qualified(name)?;
    let language = fixture_language(root, fixture)?;
    let dir = root.join("seeded-bugs").join(fixture).join(id);
    if dir.exists() {
        return Err(ScaffoldError::Exists(dir));
    }
    let stem = id.replace('-', "_");
    let kinds: Vec<String> = <BugKind as clap::ValueEnum>::value_variants()
        .iter()
        .map(ToString::to_string)
        .collect();
    let kinds = kinds.join(" | ");
    let (command, (detector_path, detector)) = crate::lang::support(language)
        .templates()
        .bug_detector(fixture, id, &stem);
    let toml = format!(
        r#"# A seeded concurrency bug. Every key is documented in docs/task-format.md.
id = "{id}"
fixture = "{fixture}"
# {kinds}
kind = "{kind}"
# The file inject.patch changes, relative to the fixture's repo/.
file = "{file}"
description = "TODO: what the mutation does and what goes wrong."

[detector]
# Run from the repo root after detector/ is copied in; exit 0 = no race found.
command = {command}
timeout = 60
"#
    );
    let files = [
        (dir.join("bug.toml"), toml),
        // Empty on purpose: `git diff` of the mutation goes here (see docs/adding-a-bug.md).
        (dir.join("inject.patch"), String::new()),
        (dir.join(detector_path), detector),
    ];
    let mut made = Vec::new();
    for (path, content) in files {
        write_new(&path, &content)?;
        made.push(path);
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaffolds_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        new_fixture(root, "shop", Language::Python).unwrap();
        assert!(root.join("repos-fixtures/shop/repo/pytest.ini").is_file());
        assert!(matches!(
            new_fixture(root, "shop", Language::Python),
            Err(ScaffoldError::Exists(_))
        ));
        new_task(root, "shop/split-cart").unwrap();
        let toml =
            std::fs::read_to_string(root.join("repos-fixtures/shop/tasks/split-cart/task.toml"))
                .unwrap();
        assert!(toml.contains("id = \"split-cart\"") && toml.contains("language = \"python\""));
        new_bug(
            root,
            "shop/cart-lost-update",
            BugKind::LostUpdate,
            "shop/cart.py",
        )
        .unwrap();
        assert!(root.join("seeded-bugs/shop/cart-lost-update/detector/detectors/test_race_cart_lost_update.py").is_file());
        assert!(matches!(
            new_task(root, "nope/x"),
            Err(ScaffoldError::NoFixture(_))
        ));
        assert!(matches!(
            new_task(root, "Bad Name"),
            Err(ScaffoldError::Name(_))
        ));
    }

    #[test]
    fn rust_fixture_has_the_sync_shim() {
        let dir = tempfile::tempdir().unwrap();
        new_fixture(dir.path(), "svc", Language::Rust).unwrap();
        let sync = std::fs::read_to_string(dir.path().join("repos-fixtures/svc/repo/src/sync.rs"))
            .unwrap();
        assert!(sync.contains("shuttle::sync"));
        new_bug(
            dir.path(),
            "svc/b",
            BugKind::LockOrderDeadlock,
            "src/lib.rs",
        )
        .unwrap();
        let toml = std::fs::read_to_string(dir.path().join("seeded-bugs/svc/b/bug.toml")).unwrap();
        assert!(toml.contains("\"--test\", \"race_b\""));
    }
}
