//! What an edit may not add or change: the files grading takes from the task, the base and the
//! harness, never from the model.
//!
//! In: one path an edit added, changed or deleted ([`PathChange`]), relative to the repository
//! with `/` separators, and a view of the edited tree (whether it has a file at a path). Out: the
//! [`RefusalReason`] when the clean room (`score::room`) must grade the base's version of the
//! path instead (or no file, when the edit added it), `None` when the change is the model's to
//! make.
//!
//! Rules every language shares are here ([`refused_anywhere`]: git metadata, names the harness
//! reserves); each language adds its own through
//! [`LanguageSupport::refused_change`](super::LanguageSupport::refused_change) (test-runner and
//! build configuration, toolchain files, modules that shadow the grader's). The task's own
//! rules (its `protected` globs, hidden tests, detectors) are applied by the clean room, which
//! knows the task.

use serde::{Deserialize, Serialize};

/// Why the clean room refused a file the edit added or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusalReason {
    /// Test-runner configuration (`conftest.py`, `pytest.ini`, `tox.ini`, `setup.cfg`,
    /// `pyproject.toml`).
    TestConfig,
    /// A module that would shadow one the grader imports (`pytest/`, `threading.py`,
    /// `refbench_race*`) or code the interpreter runs at start-up (`sitecustomize.py`,
    /// `usercustomize.py`, `*.pth`).
    ShadowingModule,
    /// Build configuration (`build.rs`, `.cargo/`, a `Cargo.toml` change).
    BuildConfig,
    /// A toolchain file (`rust-toolchain`, `rust-toolchain.toml`, `.python-version`).
    Toolchain,
    /// A file the task protects (its `protected` globs: visible tests, fixtures).
    Protected,
    /// A hidden test's path (the hidden test is copied in from the task).
    HiddenTest,
    /// A detector's path (the detector is copied in from the bug).
    Detector,
    /// A harness file.
    Harness,
    /// A symbolic link the edit added (or a file it turned into one): graded code would read
    /// through it whatever it points at.
    Symlink,
    /// Git's metadata (`.git`, in any folder).
    GitMetadata,
}

impl RefusalReason {
    /// A short phrase for reports: `test configuration`, `build configuration`, ...
    pub fn phrase(self) -> &'static str {
        match self {
            RefusalReason::TestConfig => "test configuration",
            RefusalReason::ShadowingModule => "a module that shadows the grader's",
            RefusalReason::BuildConfig => "build configuration",
            RefusalReason::Toolchain => "a toolchain file",
            RefusalReason::Protected => "a protected file",
            RefusalReason::HiddenTest => "a hidden test's path",
            RefusalReason::Detector => "a detector's path",
            RefusalReason::Harness => "a harness file",
            RefusalReason::Symlink => "a symbolic link",
            RefusalReason::GitMetadata => "git metadata",
        }
    }
}

/// What an edit did to one path, compared with the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathChange {
    /// The base has no such file.
    Added,
    /// The base has it; the edit changed its content or mode.
    Modified,
    /// The edit removed it.
    Deleted,
}

/// Names starting with this are the harness's (its Python package `refbench_race`, the
/// canaries it adds): no edit may add or change one, in any folder.
pub const HARNESS_PREFIX: &str = "refbench";

/// The rules of every language: git metadata in any folder, and any path whose file or folder
/// name the harness reserves ([`HARNESS_PREFIX`]).
pub fn refused_anywhere(path: &str) -> Option<RefusalReason> {
    let mut parts = path.split('/');
    if parts.clone().any(|p| p == ".git") {
        return Some(RefusalReason::GitMetadata);
    }
    parts
        .any(|p| p.starts_with(HARNESS_PREFIX))
        .then_some(RefusalReason::Harness)
}

/// The last component of `path`.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_metadata_and_harness_names_are_refused_in_any_folder() {
        assert_eq!(
            refused_anywhere(".git/config"),
            Some(RefusalReason::GitMetadata)
        );
        assert_eq!(
            refused_anywhere("pkg/sub/.git/HEAD"),
            Some(RefusalReason::GitMetadata)
        );
        assert_eq!(
            refused_anywhere("refbench_race/__init__.py"),
            Some(RefusalReason::Harness)
        );
        assert_eq!(
            refused_anywhere("tests/refbench_canary.rs"),
            Some(RefusalReason::Harness)
        );
        assert_eq!(refused_anywhere("src/lib.rs"), None);
        assert_eq!(refused_anywhere(".gitignore"), None);
        assert_eq!(refused_anywhere("docs/git/notes.md"), None);
    }

    #[test]
    fn reasons_keep_their_stored_names() {
        let json =
            serde_json::to_string(&[RefusalReason::Symlink, RefusalReason::GitMetadata]).unwrap();
        assert_eq!(json, r#"["symlink","git-metadata"]"#);
        assert_eq!(
            serde_json::to_string(&RefusalReason::TestConfig).unwrap(),
            r#""test-config""#
        );
    }
}
