//! bug.toml: the seeded-bug file as written and the validated [`SeededBug`].
//!
//! In: a bug folder (`seeded-bugs/NAME/BUG/` holding bug.toml, inject.patch and detector/) and
//! the project root (to find the fixture's repo). Out: a [`SeededBug`] whose file exists in the
//! fixture, whose inject.patch parses and changes that file, and whose detector is runnable, or
//! the first problem as a [`FileError`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{check_relative_path, file_name, is_template, patch_paths, read_patch};
use super::{toml_file, BugId, BugKind, FileError};

/// The detector section of bug.toml.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// argv run from the repo root.
    pub command: Vec<String>,
    /// Wall-clock limit in seconds; running out counts as detection.
    pub timeout: u64,
}

/// Who wrote a seeded bug (bug.toml's `origin`, `hand` when absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BugOrigin {
    /// Written by a person.
    #[default]
    Hand,
    /// Written by `refbench seed` after its checks (with a `[seed]` table).
    Seeder,
}

/// A mutation operator of `refbench seed` (docs/seeding.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MutationOperator {
    /// A critical section's lock is no longer taken.
    RemoveCriticalSection,
    /// A critical section is split in two acquisitions.
    SplitCriticalSection,
    /// Two nested or consecutive lock acquisitions swap places.
    SwapLockOrder,
    /// An atomic read-modify-write becomes a load and a separate store.
    AtomicToLoadStore,
    /// A condition notify is removed.
    DropNotify,
    /// A lazy initialisation no longer holds the lock (or the once-cell) around check and set.
    UnsyncLazyInit,
}

impl MutationOperator {
    /// Every operator, in the order the seeder applies them.
    pub const ALL: [MutationOperator; 6] = [
        MutationOperator::RemoveCriticalSection,
        MutationOperator::SplitCriticalSection,
        MutationOperator::SwapLockOrder,
        MutationOperator::AtomicToLoadStore,
        MutationOperator::DropNotify,
        MutationOperator::UnsyncLazyInit,
    ];

    /// The name written in bug.toml and accepted by `--operator`.
    pub fn name(self) -> &'static str {
        match self {
            MutationOperator::RemoveCriticalSection => "remove-critical-section",
            MutationOperator::SplitCriticalSection => "split-critical-section",
            MutationOperator::SwapLockOrder => "swap-lock-order",
            MutationOperator::AtomicToLoadStore => "atomic-to-load-store",
            MutationOperator::DropNotify => "drop-notify",
            MutationOperator::UnsyncLazyInit => "unsync-lazy-init",
        }
    }
}

impl std::fmt::Display for MutationOperator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// bug.toml's `[seed]` table: how `refbench seed` made the bug.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRecord {
    /// The operator applied.
    pub operator: MutationOperator,
    /// Where: `FILE:LINE (Owner.function)`.
    pub site: String,
    /// The pool detector that found the mutant (from the fixture's race-detectors/pool.toml).
    pub detector: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BugFile {
    id: String,
    fixture: String,
    kind: BugKind,
    file: String,
    description: String,
    #[serde(default)]
    origin: BugOrigin,
    seed: Option<SeedRecord>,
    detector: DetectorSpec,
}

/// A validated seeded bug.
#[derive(Debug, Clone)]
pub struct SeededBug {
    /// `FIXTURE/BUG`.
    pub id: BugId,
    /// Fixture it is injected into.
    pub fixture: String,
    /// Mutation kind.
    pub kind: BugKind,
    /// The file the bug lives in, relative to the repo root.
    pub file: String,
    /// What the mutation does.
    pub description: String,
    /// How to detect it.
    pub detector: DetectorSpec,
    /// Who wrote it.
    pub origin: BugOrigin,
    /// How the seeder made it (`Some` exactly when `origin` is [`BugOrigin::Seeder`]).
    pub seed: Option<SeedRecord>,
    /// The inject.patch text.
    pub inject_patch: String,
    /// Patches that put the bug back into a task's gold tree where inject.patch no longer
    /// applies (gold moved the code): `gold_inject/TASK.patch`, by the task's folder name.
    /// `validate`'s mutation check uses them.
    pub gold_inject: BTreeMap<String, String>,
    /// `seeded-bugs/NAME/BUG/`.
    pub dir: PathBuf,
    /// The bug.toml path.
    pub file_path: PathBuf,
}

impl SeededBug {
    /// Folder whose files are copied over the repo before the detector runs.
    pub fn detector_dir(&self) -> PathBuf {
        self.dir.join("detector")
    }
}

pub(super) fn load_bug(
    root: &Path,
    trees: &BTreeMap<String, PathBuf>,
    dir: &Path,
) -> Result<SeededBug, FileError> {
    let path = dir.join("bug.toml");
    let (raw, text): (BugFile, String) = toml_file::load(&path)?;
    let invalid = |key: &str, msg: String| FileError::invalid(&path, Some(&text), key, msg);
    let folder = file_name(dir);
    let fixture_folder = dir.parent().map(file_name).unwrap_or_default();
    if raw.id != folder {
        return Err(invalid(
            "id",
            format!(
                "expected the bug's folder name \"{folder}\", found \"{}\"",
                raw.id
            ),
        ));
    }
    if raw.fixture != fixture_folder {
        return Err(invalid(
            "fixture",
            format!(
                "expected \"{fixture_folder}\" (the folder above the bug's), found \"{}\"",
                raw.fixture
            ),
        ));
    }
    let repo = trees
        .get(&raw.fixture)
        .cloned()
        .unwrap_or_else(|| root.join("repos-fixtures").join(&raw.fixture).join("repo"));
    if !repo.is_dir() {
        return Err(invalid(
            "fixture",
            format!(
                "expected a fixture with a repo/ folder at {}",
                repo.display()
            ),
        ));
    }
    check_relative_path(&raw.file).map_err(|m| invalid("file", m))?;
    if !repo.join(&raw.file).is_file() {
        return Err(invalid(
            "file",
            format!(
                "expected a file of the fixture repo, found no {} under {}",
                raw.file,
                repo.display()
            ),
        ));
    }
    if is_template(&raw.description) {
        return Err(invalid(
            "description",
            "still holds the template's TODO; say what the mutation does and what goes wrong"
                .into(),
        ));
    }
    if raw.description.trim().is_empty() {
        return Err(invalid(
            "description",
            "expected a sentence saying what the mutation does, found an empty string".into(),
        ));
    }
    match (raw.origin, &raw.seed) {
        (BugOrigin::Seeder, None) => {
            return Err(invalid(
                "seed",
                "expected a [seed] table (operator, site, detector) for origin = \"seeder\"".into(),
            ))
        }
        (BugOrigin::Hand, Some(_)) => {
            return Err(invalid(
                "origin",
                "a [seed] table is only for bugs `refbench seed` wrote: set origin = \"seeder\" or remove [seed]".into(),
            ))
        }
        _ => {}
    }
    if raw.detector.command.is_empty() {
        return Err(invalid(
            "detector.command",
            "expected a non-empty argv list such as [\"cargo\", \"test\", ...]".into(),
        ));
    }
    if raw.detector.timeout == 0 {
        return Err(invalid(
            "detector.timeout",
            "expected a positive number of seconds, found 0".into(),
        ));
    }
    let inject_path = dir.join("inject.patch");
    let inject_patch = read_patch(&inject_path)?;
    let touched = patch_paths(&inject_patch).map_err(|m| {
        FileError::invalid(&inject_path, None, "", format!("not a valid patch: {m}"))
    })?;
    if !touched.iter().any(|p| p == &raw.file) {
        return Err(invalid(
            "file",
            format!(
                "expected the file inject.patch changes, but the patch changes only {}",
                touched.join(", ")
            ),
        ));
    }
    if !dir.join("detector").is_dir() {
        return Err(FileError::invalid(
            &dir.join("detector"),
            None,
            "",
            "expected a folder holding the detector's files (copied over the repo before it runs)",
        ));
    }
    let gold_inject = load_gold_inject(dir)?;
    Ok(SeededBug {
        id: BugId(format!("{}/{}", raw.fixture, raw.id)),
        fixture: raw.fixture,
        kind: raw.kind,
        file: raw.file,
        description: raw.description,
        detector: raw.detector,
        origin: raw.origin,
        seed: raw.seed,
        inject_patch,
        gold_inject,
        dir: dir.to_path_buf(),
        file_path: path,
    })
}

/// The bug's `gold_inject/TASK.patch` files, each a valid patch, by task folder name.
fn load_gold_inject(dir: &Path) -> Result<BTreeMap<String, String>, FileError> {
    let folder = dir.join("gold_inject");
    let mut out = BTreeMap::new();
    if !folder.exists() {
        return Ok(out);
    }
    let entries = std::fs::read_dir(&folder).map_err(|e| {
        FileError::invalid(&folder, None, "", format!("cannot list the folder: {e}"))
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = file_name(&path);
        let Some(task) = name.strip_suffix(".patch").filter(|t| super::valid_name(t)) else {
            return Err(FileError::invalid(
                &path,
                None,
                "",
                "expected TASK.patch, named after the folder of a task that seeds this bug (the patch that puts the bug back into that task's gold tree)",
            ));
        };
        let text = read_patch(&path)?;
        patch_paths(&text)
            .map_err(|m| FileError::invalid(&path, None, "", format!("not a valid patch: {m}")))?;
        out.insert(task.to_string(), text);
    }
    Ok(out)
}
