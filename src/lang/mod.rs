//! Lang: everything refbench knows about one programming language, behind one trait.
//!
//! In: a [`Language`] (from a task, or a source path's extension). Out: the
//! [`LanguageSupport`] of that language: data and pure functions only, which the stages
//! above execute. The code graph takes the tree-sitter grammar and extraction queries; the
//! toolchain the test environment; materialize the dependency fetch; score the test suite's
//! commands ([`SuitePlan`]) and the parsers of their reports; the catalog (through
//! [`load_catalog`]) the test-id syntax; scaffold the templates of a new fixture, task and bug.
//! Nothing here runs a process or touches the network.
//!
//! Adding a language: a folder beside `rust/` and `python/` implementing [`LanguageSupport`],
//! its variant in [`Language`], and one arm in [`support`]. (The code graph's single-pass
//! extractor and import resolution stay per language in `codegraph`, and the score stage runs
//! one of the two suite shapes of [`SuitePlan`].)
//!
//! It sits above the catalog (it uses [`Language`], [`TestIdError`] and the catalog's
//! loader) and below the code graph and every stage.

pub mod python;
pub mod refusal;
pub mod rust;
mod status;
mod suite;
#[cfg(test)]
pub(crate) mod testing;

use std::path::{Path, PathBuf};

use clap::ValueEnum;

pub use crate::catalog::Language;
pub use crate::catalog::TestIdError;
use crate::catalog::{Catalog, FileError};
pub use refusal::{PathChange, RefusalReason};
pub(crate) use status::record as record_status;
pub use status::{StatusMap, TestStatus};
pub use suite::{
    BinaryOutput, BuildReport, BuildStep, ChannelReport, CompiledDetector, CompiledSuite,
    OneCommand, ReportError, ResultsChannel, SuitePlan, TestExecutable,
};

/// What a language contributes to each stage. Implementations are unit structs in
/// `lang/<name>/`; [`support`] picks one.
pub trait LanguageSupport: Send + Sync {
    /// The language this describes.
    fn language(&self) -> Language;

    // The code graph.

    /// Extensions (without the dot) of the sources the code graph parses as this language.
    fn source_extensions(&self) -> &'static [&'static str];
    /// The tree-sitter grammar. Call only once tree-sitter's allocator is set up (the code
    /// graph's arena does that first).
    fn grammar(&self) -> tree_sitter::Language;
    /// The extraction queries: the specification of what the code graph takes from a file.
    fn queries(&self) -> ExtractionQueries;
    /// A byte that tells this language apart in parse-cache keys (never reused, so cached
    /// facts of one language are never read as another's).
    fn cache_tag(&self) -> u8;
    /// What starts a line comment.
    fn line_comment(&self) -> &'static str;
    /// The query `refbench seed` finds mutation sites with (see docs/seeding.md).
    fn seed_queries(&self) -> SeedQueries;

    // The catalog.

    /// Whether `id` names a test as this language's runner does; if not, the form expected.
    fn check_test_id(&self, id: &str) -> Result<(), TestIdError>;

    // The toolchain.

    /// Environment entries the test and detector commands of this language get (besides the
    /// sandbox's allow-list).
    fn test_env(&self, inputs: &EnvInputs<'_>) -> Vec<(String, String)>;

    // Materialize.

    /// The command fetching a base's dependencies once, outside the sandbox, so that builds
    /// inside it run offline; `None` when the language or this tree needs none.
    fn dependency_fetch(&self, repo: &Path) -> Option<Vec<String>>;

    // Score.

    /// The test suite's commands and how their output is read; `scratch` is the scratch
    /// folder of the command that runs the tests (a report file goes there).
    fn test_suite(&self, scratch: &Path) -> SuitePlan;
    /// A detector command `argv` that builds test targets and then runs them, as a build and
    /// a run of each executable; `None` runs the command as it is, in one phase.
    fn compiled_detector(&self, argv: &[String]) -> Option<CompiledDetector>;
    /// The build time the language's build tool printed in a command's output, if any.
    fn build_ms(&self, output: &str) -> Option<u64>;
    /// Why the clean room must not take an edit's `change` of `path` (relative,
    /// `/`-separated) from the model: this language's test-runner and build configuration,
    /// toolchain files, modules that shadow the grader's (see [`refusal`]). `has_file` says
    /// whether the edited tree has a regular file at a path. `None`: the change is the model's
    /// to make, as far as the language goes.
    fn refused_change(
        &self,
        path: &str,
        change: PathChange,
        has_file: &dyn Fn(&str) -> bool,
    ) -> Option<RefusalReason>;

    // Scaffold.

    /// The file whose presence in a fixture's `repo/` marks it as this language (`None`:
    /// none does; such a language is the fallback of [`fixture_language`]).
    fn manifest_file(&self) -> Option<&'static str>;
    /// The templates `refbench new` writes.
    fn templates(&self) -> &'static dyn Templates;
}

/// The extraction queries of a language, as `.scm` text (the files stay under
/// `src/codegraph/queries/`, next to the extractor that implements them).
#[derive(Debug, Clone, Copy)]
pub struct ExtractionQueries {
    /// Definitions: each pattern captures the item as `@def.KIND` and its name as `@name`.
    pub defs: &'static str,
    /// References and imports.
    pub refs: &'static str,
    /// The files they come from, for error messages.
    pub defs_file: &'static str,
    /// See `defs_file`.
    pub refs_file: &'static str,
}

/// The bug seeder's site query of a language: `.scm` text kept in `lang/<language>/`,
/// whose capture names (`@lock.scope`, `@rmw.call`, ...) src/seed/sites.rs reads.
#[derive(Debug, Clone, Copy)]
pub struct SeedQueries {
    /// The query.
    pub sites: &'static str,
    /// The file it comes from, for error messages.
    pub sites_file: &'static str,
}

/// What the per-language environment is made from: the toolchain's places and the host's
/// variables (looked up through `host`, so the functions stay pure and testable).
pub struct EnvInputs<'a> {
    /// The refbench project root (its `harness/` holds the languages' support code).
    pub project_root: &'a Path,
    /// `bin` of the private Python environment, when one was prepared.
    pub python_bin: Option<&'a Path>,
    /// The build slot's target dir, when the language builds into one.
    pub target_dir: Option<&'a Path>,
    /// The host's environment variables.
    pub host: &'a dyn Fn(&str) -> Option<String>,
}

/// One file a template makes: its path relative to the folder being created, and its text.
pub type TemplateFile = (String, String);

/// The templates `refbench new` writes for a language.
pub trait Templates: Send + Sync {
    /// The files of a new fixture `name` (`module`: the name as an identifier), under its
    /// folder (`repo/...`).
    fn fixture_files(&self, name: &str, module: &str) -> Vec<TemplateFile>;
    /// Example ids shown in a new task.toml: (a FAIL_TO_PASS test, a PASS_TO_PASS test of the
    /// fixture template).
    fn task_test_examples(&self) -> (&'static str, &'static str);
    /// The `protected` globs of a new task, as a TOML array.
    fn task_protected(&self) -> &'static str;
    /// A new bug's detector: its command (a TOML array), and one file (path relative to the
    /// bug folder, text). `stem` is the bug id as an identifier.
    fn bug_detector(&self, fixture: &str, id: &str, stem: &str) -> (String, TemplateFile);
}

/// The support of `language`.
pub fn support(language: Language) -> &'static dyn LanguageSupport {
    match language {
        Language::Python => &python::Python,
        Language::Rust => &rust::Rust,
    }
}

/// Every language, in [`Language`]'s order.
pub fn all() -> impl Iterator<Item = &'static dyn LanguageSupport> {
    Language::value_variants().iter().map(|l| support(*l))
}

/// The language a source path is parsed as, by its extension.
pub fn language_of_path(path: &str) -> Option<Language> {
    let (_, ext) = path.rsplit_once('.')?;
    all()
        .find(|l| l.source_extensions().contains(&ext))
        .map(|l| l.language())
}

/// The language of the fixture whose code is in `repo`: the first whose manifest file is
/// there, else the one that has none.
pub fn fixture_language(repo: &Path) -> Language {
    let marked = all().find(|l| l.manifest_file().is_some_and(|m| repo.join(m).is_file()));
    marked
        .or_else(|| all().find(|l| l.manifest_file().is_none()))
        .map_or(Language::Python, |l| l.language())
}

/// A test id `FILE::NAME` whose file ends with `extension` (and has a name after it); else
/// the error naming `form`.
fn file_test_id(
    id: &str,
    extension: &str,
    form: &'static str,
    language: Language,
) -> Result<(), TestIdError> {
    let ok = id
        .split_once("::")
        .is_some_and(|(file, name)| file.ends_with(extension) && !name.is_empty());
    if ok {
        Ok(())
    } else {
        Err(TestIdError {
            form,
            language,
            found: id.to_string(),
        })
    }
}

/// Checks a test id of a task in `language` (the catalog's [`crate::catalog::TestIdCheck`]).
pub fn check_test_id(language: Language, id: &str) -> Result<(), TestIdError> {
    support(language).check_test_id(id)
}

/// Loads every task and bug under `root`, checking test ids in each task's language.
pub fn load_catalog(root: &Path) -> Result<Catalog, Vec<FileError>> {
    Catalog::load(root, check_test_id)
}

/// [`load_catalog`], keeping what loads (see [`Catalog::load_partial`]).
pub fn load_catalog_partial(root: &Path) -> (Catalog, Vec<FileError>) {
    Catalog::load_partial(root, check_test_id)
}

/// [`load_catalog`] with upstream fixtures' trees from `upstream` (the cache of `--cache-dir`).
pub fn load_catalog_with(
    root: &Path,
    upstream: &crate::upstream::Upstream,
) -> Result<Catalog, Vec<FileError>> {
    Catalog::load_with(root, check_test_id, upstream)
}

/// [`load_catalog_partial`] with upstream fixtures' trees from `upstream`.
pub fn load_catalog_partial_with(
    root: &Path,
    upstream: &crate::upstream::Upstream,
) -> (Catalog, Vec<FileError>) {
    Catalog::load_partial_with(root, check_test_id, upstream)
}

/// `harness/<language>` under the project root: the support code graded commands import.
pub fn harness_dir(project_root: &Path, language: Language) -> PathBuf {
    project_root.join("harness").join(language.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_languages_by_extension() {
        assert_eq!(language_of_path("src/a.rs"), Some(Language::Rust));
        assert_eq!(language_of_path("app/x.py"), Some(Language::Python));
        assert_eq!(language_of_path("app/x.pyi"), Some(Language::Python));
        assert_eq!(language_of_path("README.md"), None);
        assert_eq!(language_of_path("Makefile"), None);
        assert_eq!(language_of_path("a.rs.bak"), None);
    }

    #[test]
    fn every_language_describes_itself_and_has_distinct_cache_tags() {
        let mut tags: Vec<u8> = all().map(|l| l.cache_tag()).collect();
        for l in all() {
            assert_eq!(support(l.language()).language(), l.language());
        }
        tags.sort();
        tags.dedup();
        assert_eq!(tags.len(), Language::value_variants().len());
        // Parse-cache keys of earlier versions: Rust 0, Python 1.
        assert_eq!(support(Language::Rust).cache_tag(), 0);
        assert_eq!(support(Language::Python).cache_tag(), 1);
    }

    #[test]
    fn a_fixture_is_rust_when_it_has_a_cargo_manifest() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(fixture_language(dir.path()), Language::Python);
        std::fs::write(dir.path().join("Cargo.toml"), "").unwrap();
        assert_eq!(fixture_language(dir.path()), Language::Rust);
    }

    #[test]
    fn test_ids_follow_the_runner_of_their_language() {
        let rust = support(Language::Rust);
        let python = support(Language::Python);
        assert!(python.check_test_id("tests/a.py::t").is_ok());
        assert!(python.check_test_id("tests/a.py::TestX::t").is_ok());
        assert!(rust.check_test_id("src/lib.rs::a::tests::b").is_ok());
        let err = python.check_test_id("tests/a.rs::t").unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a test id FILE.py::NAME (as the python runner names it), found \"tests/a.rs::t\""
        );
        assert!(rust.check_test_id("t").is_err());
        assert!(rust.check_test_id("tests/a.rs::").is_err());
    }
}
