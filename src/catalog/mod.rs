//! Tasks, seeded bugs and the catalog that finds them on disk.
//!
//! In: the project root, holding `repos-fixtures/NAME/{repo,tasks/ID/}` and
//! `seeded-bugs/NAME/BUG/`. Out: a [`Catalog`] of validated [`Task`]s and [`SeededBug`]s, or
//! every problem found, each naming the file, the line and key, what was expected and what was
//! found ([`FileError`]).
//!
//! The file formats are documented for users in `docs/task-format.md`. Validation happens here,
//! once, on load: the rest of the pipeline trusts a `Task` (its fixture exists, its gold patch
//! parses, its globs compile, its statement does not name a seeded bug's file).

pub mod arch;
mod test_ids;
pub mod toml_file;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

pub use arch::{ArchRule, RuleId, RuleKind};
pub use test_ids::{TestIdCheck, TestIdError};
pub use toml_file::FileError;

/// Qualified task id: `FIXTURE/TASK`, unique in a project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(pub String);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Qualified seeded-bug id: `FIXTURE/BUG`, the folder under `seeded-bugs/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BugId(pub String);

impl fmt::Display for BugId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A test id as the language's runner names it (`tests/test_x.py::test_y`,
/// `tests/flow.rs::login_then_logout`, `src/lib.rs::session::tests::ttl`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TestId(pub String);

impl fmt::Display for TestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Language of a fixture; decides the test command and the result parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// pytest suites.
    Python,
    /// cargo test suites.
    Rust,
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Language::Python => "python",
            Language::Rust => "rust",
        })
    }
}

/// What a definition is: the kinds the code graph extracts and architectural rules name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SymbolKind {
    /// A free function.
    Function,
    /// A function inside a class, impl or trait.
    Method,
    /// A Python class.
    Class,
    /// A Rust struct or union.
    Struct,
    /// A Rust enum.
    Enum,
    /// A Rust trait.
    Trait,
    /// A Rust impl block (named by its self type).
    Impl,
    /// A Rust `mod`.
    Module,
    /// A constant, static or module-level assignment.
    Constant,
    /// A Rust type alias.
    Type,
    /// A `macro_rules!`.
    Macro,
}

/// Kind of a seeded concurrency bug (ConMAn-style mutation operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BugKind {
    /// A check and the act that depends on it are not atomic.
    CheckThenAct,
    /// A read-modify-write split into a load and a store.
    LostUpdate,
    /// Two locks taken in opposite orders on two paths.
    LockOrderDeadlock,
    /// Lazy initialisation without synchronisation.
    LazyInit,
    /// A critical section split or shrunk so an invariant spanning two fields breaks.
    AtomicityViolation,
    /// A condition-variable notify removed.
    MissingNotify,
}

impl fmt::Display for BugKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BugKind::CheckThenAct => "check-then-act",
            BugKind::LostUpdate => "lost-update",
            BugKind::LockOrderDeadlock => "lock-order-deadlock",
            BugKind::LazyInit => "lazy-init",
            BugKind::AtomicityViolation => "atomicity-violation",
            BugKind::MissingNotify => "missing-notify",
        })
    }
}

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
    /// `repos-fixtures/NAME/tasks/ID/`.
    pub dir: PathBuf,
    /// `repos-fixtures/NAME/repo/`.
    pub repo_dir: PathBuf,
    /// The task.toml path.
    pub file: PathBuf,
    /// The task.toml text, kept for line numbers in later checks.
    pub text: String,
}

impl Task {
    /// Folder whose files are copied over the repo before grading.
    pub fn hidden_dir(&self) -> PathBuf {
        self.dir.join("hidden")
    }

    /// Is `path` (relative to the repo root) protected?
    pub fn is_protected(&self, path: &str) -> bool {
        self.protected_set.is_match(path)
    }
}

/// The detector section of bug.toml.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorSpec {
    /// argv run from the repo root.
    pub command: Vec<String>,
    /// Wall-clock limit in seconds; running out counts as detection.
    pub timeout: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BugFile {
    id: String,
    fixture: String,
    kind: BugKind,
    file: String,
    description: String,
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
    /// The inject.patch text.
    pub inject_patch: String,
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

/// Every task and seeded bug under a project root.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Project root.
    pub root: PathBuf,
    /// Tasks by id (sorted, so every listing is stable).
    pub tasks: BTreeMap<TaskId, Task>,
    /// Seeded bugs by id.
    pub bugs: BTreeMap<BugId, SeededBug>,
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
    /// Loads every task and bug under `root`, checking test ids with `check_test_id` (the
    /// languages' syntax: `lang::load_catalog` passes it). Returns all problems found, not just
    /// the first.
    pub fn load(root: &Path, check_test_id: TestIdCheck) -> Result<Catalog, Vec<FileError>> {
        let (catalog, errors) = Catalog::load_partial(root, check_test_id);
        if errors.is_empty() {
            Ok(catalog)
        } else {
            Err(errors)
        }
    }

    /// Loads what loads: the valid tasks and bugs, and every problem found (for listings that
    /// should still show the rest while one file is being written).
    pub fn load_partial(root: &Path, check_test_id: TestIdCheck) -> (Catalog, Vec<FileError>) {
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
        for bug_fixture in sorted_subdirs(&root.join("seeded-bugs")) {
            for bug_dir in sorted_subdirs(&bug_fixture) {
                match load_bug(root, &bug_dir) {
                    Ok(bug) => {
                        catalog.bugs.insert(bug.id.clone(), bug);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        for fixture in sorted_subdirs(&fixtures_dir) {
            for task_dir in sorted_subdirs(&fixture.join("tasks")) {
                match load_task(&task_dir, &catalog.bugs, check_test_id) {
                    Ok(task) => {
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
    pub fn select(&self, patterns: &[String]) -> Result<Vec<&Task>, String> {
        if patterns.is_empty() {
            return Ok(self.tasks.values().collect());
        }
        let mut chosen = BTreeMap::new();
        for pattern in patterns {
            let glob = Glob::new(pattern)
                .map_err(|e| format!("--task {pattern}: not a valid glob: {e}"))?
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
                let known: Vec<&str> = self.tasks.keys().map(|t| t.0.as_str()).collect();
                return Err(format!(
                    "--task {pattern}: no task matches; known tasks: {}",
                    known.join(", ")
                ));
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

fn load_bug(root: &Path, dir: &Path) -> Result<SeededBug, FileError> {
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
    let repo = root.join("repos-fixtures").join(&raw.fixture).join("repo");
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
    Ok(SeededBug {
        id: BugId(format!("{}/{}", raw.fixture, raw.id)),
        fixture: raw.fixture,
        kind: raw.kind,
        file: raw.file,
        description: raw.description,
        detector: raw.detector,
        inject_patch,
        dir: dir.to_path_buf(),
        file_path: path,
    })
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
pub fn patch_paths(patch: &str) -> Result<Vec<String>, String> {
    let diff = git2::Diff::from_buffer(patch.as_bytes()).map_err(|e| e.message().to_string())?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        let file = delta.new_file().path().or_else(|| delta.old_file().path());
        if let Some(p) = file {
            out.push(p.to_string_lossy().into_owned());
        }
    }
    if out.is_empty() {
        return Err("it changes no file".into());
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

fn load_task(
    dir: &Path,
    bugs: &BTreeMap<BugId, SeededBug>,
    check_test_id: TestIdCheck,
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
    let repo_dir = fixture_dir.join("repo");
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
    let fail_to_pass = test_ids::test_ids(
        &raw.fail_to_pass,
        raw.language,
        "fail_to_pass",
        check_test_id,
    )
    .map_err(|(k, m)| invalid(&k, m))?;
    let pass_to_pass = test_ids::test_ids(
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
        dir: dir.to_path_buf(),
        repo_dir,
        file: path,
        text,
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
