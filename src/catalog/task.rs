//! task.toml: the task file as written and the validated [`Task`].
//!
//! In: a task folder (`repos-fixtures/NAME/tasks/ID/`) and the seeded bugs already loaded.
//! Out: a [`Task`] whose every field was checked (names, fixture, lists, globs, rules, gold
//! patch, time limits, and a statement that does not name a seeded bug's file), or the first
//! problem as a [`FileError`] naming the file, the line and key, what was expected.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use super::{arch, toml_file, ArchRule, BugId, FileError, Language, SeededBug, TaskId, TestId};
use super::{check_relative_path, file_name, is_template, patch_paths, read_patch, valid_name};

/// Time limits of a task, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Wall-clock limit of the whole test command (build included).
    #[serde(default = "default_tests_timeout")]
    pub tests: u64,
    /// Upper bound for any one detector of this task (a bug's own limit applies if lower).
    #[serde(default = "default_detector_timeout")]
    pub detector: u64,
}

fn default_tests_timeout() -> u64 {
    600
}
fn default_detector_timeout() -> u64 {
    300
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tests: default_tests_timeout(),
            detector: default_detector_timeout(),
        }
    }
}

/// Resource limits of a task's commands besides time (`[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskLimits {
    /// Disk quota of the attempt's test and detector commands, in MiB: what they may leave in
    /// the tree and the build cache (together, from the attempt's start) and in a command's
    /// scratch folder (default 2048).
    #[serde(default = "default_disk_mb")]
    pub disk_mb: u64,
}

fn default_disk_mb() -> u64 {
    2048
}

impl Default for TaskLimits {
    fn default() -> Self {
        TaskLimits {
            disk_mb: default_disk_mb(),
        }
    }
}

impl TaskLimits {
    /// The disk quota in bytes.
    pub fn disk_bytes(&self) -> u64 {
        self.disk_mb.saturating_mul(1 << 20)
    }
}

/// task.toml as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFile {
    id: String,
    fixture: String,
    language: Language,
    title: String,
    statement: String,
    requirements: Vec<String>,
    interface: String,
    seeded_bugs: Vec<String>,
    fail_to_pass: Vec<String>,
    pass_to_pass: Vec<String>,
    protected: Vec<String>,
    #[serde(default)]
    arch_rules: Vec<arch::RuleFile>,
    #[serde(default = "default_gold")]
    gold: String,
    #[serde(default)]
    timeouts: Timeouts,
    #[serde(default)]
    limits: TaskLimits,
}

fn default_gold() -> String {
    "gold.patch".to_string()
}

/// A validated task.
#[derive(Debug, Clone)]
pub struct Task {
    /// `FIXTURE/ID`.
    pub id: TaskId,
    /// Fixture folder name under `repos-fixtures/`.
    pub fixture: String,
    /// Language of the fixture.
    pub language: Language,
    /// One-line title.
    pub title: String,
    /// What the model is told.
    pub statement: String,
    /// Requirements, one per bullet.
    pub requirements: Vec<String>,
    /// Signatures the hidden tests call.
    pub interface: String,
    /// Bugs injected into the base.
    pub seeded_bugs: Vec<BugId>,
    /// Hidden tests that must go from failing to passing.
    pub fail_to_pass: Vec<TestId>,
    /// Visible tests that must keep passing.
    pub pass_to_pass: Vec<TestId>,
    /// Globs (relative to the repo root) reset to the base before grading.
    pub protected: Vec<String>,
    /// Compiled `protected`.
    pub protected_set: GlobSet,
    /// Architectural rules checked on the patched tree's dependency graph.
    pub arch_rules: Vec<ArchRule>,
    /// The gold patch text.
    pub gold_patch: String,
    /// Time limits.
    pub timeouts: Timeouts,
    /// Other limits (the disk quota).
    pub limits: TaskLimits,
    /// `repos-fixtures/NAME/tasks/ID/`.
    pub dir: PathBuf,
    /// The fixture's code: `repos-fixtures/NAME/repo/`, or an upstream fixture's tree in the
    /// cache.
    pub repo_dir: PathBuf,
    /// The task.toml path.
    pub file: PathBuf,
    /// The task.toml text, kept for line numbers in later checks.
    pub text: String,
    /// The task as written, or an impossible variant of it.
    pub variant: super::TaskVariant,
}

impl Task {
    /// Is `path` (relative to the repo root) protected?
    pub fn is_protected(&self, path: &str) -> bool {
        self.protected_set.is_match(path)
    }
}

pub(super) fn load_task(
    dir: &Path,
    repo_dir: &Path,
    bugs: &BTreeMap<BugId, SeededBug>,
    check_test_id: super::TestIdCheck,
) -> Result<Task, FileError> {
    let path = dir.join("task.toml");
    let (raw, text): (TaskFile, String) = toml_file::load(&path)?;
    let invalid = |key: &str, msg: String| FileError::invalid(&path, Some(&text), key, msg);
    let folder = file_name(dir);
    let fixture_dir = dir.parent().and_then(Path::parent).unwrap_or(dir);
    let fixture_folder = file_name(fixture_dir);
    if !valid_name(&raw.id) {
        return Err(invalid(
            "id",
            format!(
                "expected lowercase letters, digits, - and _, found \"{}\"",
                raw.id
            ),
        ));
    }
    if raw.id != folder {
        return Err(invalid(
            "id",
            format!(
                "expected the task's folder name \"{folder}\", found \"{}\"",
                raw.id
            ),
        ));
    }
    if raw.fixture != fixture_folder {
        return Err(invalid(
            "fixture",
            format!(
                "expected \"{fixture_folder}\" (the fixture folder holding this task), found \"{}\"",
                raw.fixture
            ),
        ));
    }
    let repo_dir = repo_dir.to_path_buf();
    if !repo_dir.is_dir() {
        return Err(invalid(
            "fixture",
            format!("expected a repo/ folder at {}", repo_dir.display()),
        ));
    }
    for (key, value) in [
        ("title", &raw.title),
        ("statement", &raw.statement),
        ("interface", &raw.interface),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(
                key,
                "expected non-empty text, found an empty string".into(),
            ));
        }
    }
    for (key, value) in [
        ("title", &raw.title),
        ("statement", &raw.statement),
        ("interface", &raw.interface),
    ] {
        if is_template(value) {
            return Err(invalid(
                key,
                "still holds the template's TODO; write the real text".into(),
            ));
        }
    }
    if let Some(i) = raw.requirements.iter().position(|r| is_template(r)) {
        return Err(invalid(
            &format!("requirements[{i}]"),
            "still holds the template's TODO; write the real requirement".into(),
        ));
    }
    if raw.requirements.is_empty() || raw.requirements.iter().any(|r| r.trim().is_empty()) {
        return Err(invalid(
            "requirements",
            "expected a list of non-empty strings with at least one requirement".into(),
        ));
    }
    let mut seeded = Vec::new();
    for (i, b) in raw.seeded_bugs.iter().enumerate() {
        let id = BugId(b.clone());
        let Some(bug) = bugs.get(&id) else {
            return Err(invalid(
                &format!("seeded_bugs[{i}]"),
                format!(
                    "expected FIXTURE/BUG naming a folder under seeded-bugs/ with a valid bug.toml, found \"{b}\""
                ),
            ));
        };
        if bug.fixture != raw.fixture {
            return Err(invalid(
                &format!("seeded_bugs[{i}]"),
                format!(
                    "expected a bug of fixture \"{}\", found one of \"{}\"",
                    raw.fixture, bug.fixture
                ),
            ));
        }
        if seeded.contains(&id) {
            return Err(invalid(
                &format!("seeded_bugs[{i}]"),
                format!("\"{b}\" is listed twice"),
            ));
        }
        seeded.push(id);
    }
    let fail_to_pass = super::test_ids::test_ids(
        &raw.fail_to_pass,
        raw.language,
        "fail_to_pass",
        check_test_id,
    )
    .map_err(|(k, m)| invalid(&k, m))?;
    let pass_to_pass = super::test_ids::test_ids(
        &raw.pass_to_pass,
        raw.language,
        "pass_to_pass",
        check_test_id,
    )
    .map_err(|(k, m)| invalid(&k, m))?;
    if fail_to_pass.is_empty() {
        return Err(invalid(
            "fail_to_pass",
            "expected at least one hidden test id, found an empty list".into(),
        ));
    }
    if let Some(both) = fail_to_pass.iter().find(|t| pass_to_pass.contains(t)) {
        return Err(invalid(
            "pass_to_pass",
            format!("\"{both}\" is also in fail_to_pass; a test belongs to one list"),
        ));
    }
    let mut globs = GlobSetBuilder::new();
    for (i, g) in raw.protected.iter().enumerate() {
        let glob = Glob::new(g).map_err(|e| {
            invalid(
                &format!("protected[{i}]"),
                format!("expected a glob, found \"{g}\": {e}"),
            )
        })?;
        globs.add(glob);
    }
    let protected_set = globs
        .build()
        .map_err(|e| invalid("protected", e.to_string()))?;
    let arch_rules = arch::validate(raw.arch_rules).map_err(|(k, m)| invalid(&k, m))?;
    check_relative_path(&raw.gold).map_err(|m| invalid("gold", m))?;
    let gold_path = dir.join(&raw.gold);
    let gold_patch = read_patch(&gold_path)?;
    patch_paths(&gold_patch)
        .map_err(|m| FileError::invalid(&gold_path, None, "", format!("not a valid patch: {m}")))?;
    if raw.timeouts.tests == 0 || raw.timeouts.detector == 0 {
        let key = if raw.timeouts.tests == 0 {
            "timeouts.tests"
        } else {
            "timeouts.detector"
        };
        return Err(invalid(
            key,
            "expected a positive number of seconds, found 0".into(),
        ));
    }
    if raw.limits.disk_mb == 0 {
        return Err(invalid(
            "limits.disk_mb",
            "expected a positive number of MiB, found 0".into(),
        ));
    }
    // The statement must not point at the race: the model has to find it by reading code.
    for id in &seeded {
        let bug = &bugs[id];
        for (key, value) in [
            ("title", &raw.title),
            ("statement", &raw.statement),
            ("interface", &raw.interface),
        ] {
            if let Some(hint) = names_file(value, &bug.file) {
                return Err(invalid(
                    key,
                    format!(
                        "must not name the seeded bug's file ({}), but mentions \"{hint}\"",
                        bug.file
                    ),
                ));
            }
        }
        for (i, r) in raw.requirements.iter().enumerate() {
            if let Some(hint) = names_file(r, &bug.file) {
                return Err(invalid(
                    &format!("requirements[{i}]"),
                    format!(
                        "must not name the seeded bug's file ({}), but mentions \"{hint}\"",
                        bug.file
                    ),
                ));
            }
        }
    }
    Ok(Task {
        id: TaskId(format!("{}/{}", raw.fixture, raw.id)),
        fixture: raw.fixture,
        language: raw.language,
        title: raw.title,
        statement: raw.statement,
        requirements: raw.requirements,
        interface: raw.interface,
        seeded_bugs: seeded,
        fail_to_pass,
        pass_to_pass,
        protected: raw.protected,
        protected_set,
        arch_rules,
        gold_patch,
        timeouts: raw.timeouts,
        limits: raw.limits,
        dir: dir.to_path_buf(),
        repo_dir,
        file: path,
        text,
        variant: super::TaskVariant::Standard,
    })
}

/// Does `text` name `file`: its path, its file name, or its module path? Returns the mention.
pub fn names_file(text: &str, file: &str) -> Option<String> {
    let path = Path::new(file);
    let name = file_name(path);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut needles = vec![file.to_string(), name.clone()];
    // Module paths: app/sessions/store.py -> app.sessions.store; src/session/store.rs ->
    // session::store. A package's __init__.py / mod.rs is named by its folder.
    let without_ext = file.trim_end_matches(".py").trim_end_matches(".rs");
    let module = without_ext
        .trim_end_matches("/__init__")
        .trim_end_matches("/mod")
        .trim_start_matches("src/");
    if module.contains('/') {
        needles.push(module.replace('/', "."));
        needles.push(module.replace('/', "::"));
    }
    // A distinctive stem (session_store) is a mention on its own; a plain word (store) is not.
    if stem.contains('_') {
        needles.push(stem);
    }
    needles
        .into_iter()
        .filter(|n| !n.is_empty())
        .find(|n| contains_word(text, n))
}

fn contains_word(text: &str, needle: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut start = 0;
    while let Some(pos) = text[start..].find(needle) {
        let at = start + pos;
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return true;
        }
        start = at + needle.len();
    }
    false
}
