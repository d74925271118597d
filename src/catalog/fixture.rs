//! A fixture's tree: its committed `repo/`, or for an upstream fixture the pinned registry
//! archive plus overlay that `repos-fixtures/NAME/fixture.toml` describes.
//!
//! In: a fixture folder and the [`Upstream`] (cache and registries). Out: the folder every
//! stage reads as the fixture's code, or a [`FileError`] on fixture.toml naming the fixture,
//! the key, what was expected and what to do.
//!
//! fixture.toml is optional for hand-made fixtures (`language` alone is allowed there). With
//! an `[upstream]` table the fixture commits no code: the tree is built in the cache on first
//! use (see the `upstream` module). Resolving happens here, while the catalog loads, because
//! the catalog checks each bug's file and each task's gold patch against the tree; stages
//! after it read `Task::repo_dir` and never ask where the tree came from.
//!
//! An upstream fixture that also has a `repo/` folder uses `repo/`, with a warning: that is
//! how an overlay is developed (build the tree into `repo/`, change it, diff it), and failing
//! there would stop the author's every command. The warning says to delete `repo/` before
//! committing; `repo/` must never be committed for an upstream fixture.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{check_relative_path, file_name, is_template, toml_file, FileError, Language};
use crate::upstream::{unpack::check_excludes, Upstream, UpstreamError, UpstreamSpec};

/// fixture.toml as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureFile {
    /// The fixture's language.
    pub language: Language,
    /// Where the code comes from, for an upstream fixture.
    #[serde(default)]
    pub upstream: Option<UpstreamSpec>,
}

/// Reads and checks `fixture_dir/fixture.toml`, if there is one.
pub fn read_fixture_file(fixture_dir: &Path) -> Result<Option<(FixtureFile, String)>, FileError> {
    let path = fixture_dir.join("fixture.toml");
    if !path.exists() {
        return Ok(None);
    }
    let (file, text): (FixtureFile, String) = toml_file::load(&path)?;
    if let Some(spec) = &file.upstream {
        check_spec(spec, fixture_dir, &path, &text)?;
    }
    Ok(Some((file, text)))
}

fn check_spec(
    spec: &UpstreamSpec,
    fixture_dir: &Path,
    path: &Path,
    text: &str,
) -> Result<(), FileError> {
    let invalid = |key: &str, msg: String| FileError::invalid(path, Some(text), key, msg);
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !name_ok(&spec.package) {
        return Err(invalid(
            "upstream.package",
            format!(
                "expected a registry package name (letters, digits, - _ .), found \"{}\"",
                spec.package
            ),
        ));
    }
    if !name_ok(&spec.version.replace('+', "")) {
        return Err(invalid(
            "upstream.version",
            format!(
                "expected an exact version such as \"1.26.20\", found \"{}\"",
                spec.version
            ),
        ));
    }
    if spec.license.trim().is_empty() || is_template(&spec.license) {
        return Err(invalid(
            "upstream.license",
            format!(
                "expected the package's SPDX licence (from PKG-INFO or Cargo.toml), found \"{}\"",
                spec.license
            ),
        ));
    }
    check_excludes(&spec.exclude).map_err(|m| invalid("upstream.exclude", m))?;
    if let Some(root) = &spec.root {
        check_relative_path(root).map_err(|m| invalid("upstream.root", m))?;
    }
    if let Some(overlay) = &spec.overlay {
        check_relative_path(overlay).map_err(|m| invalid("upstream.overlay", m))?;
        if !fixture_dir.join(overlay).is_file() {
            return Err(invalid(
                "upstream.overlay",
                format!(
                    "expected a patch file {overlay} in {}; write it (see docs/upstream-fixtures.md) or remove the key",
                    fixture_dir.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The folder holding `fixture_dir`'s code: `repo/` for a hand-made fixture (whether or not it
/// exists: the tasks and bugs report a missing one), the cached upstream tree for an upstream
/// fixture (built now if needed).
pub fn fixture_tree(fixture_dir: &Path, upstream: &Upstream) -> Result<PathBuf, FileError> {
    let repo = fixture_dir.join("repo");
    let Some((file, text)) = read_fixture_file(fixture_dir)? else {
        return Ok(repo);
    };
    let Some(spec) = file.upstream else {
        return Ok(repo);
    };
    let name = file_name(fixture_dir);
    if repo.is_dir() {
        tracing::warn!(
            "fixture `{name}`: using {} instead of the upstream tree of {} (fixture development); delete repo/ to use the pinned upstream code, and never commit it",
            repo.display(),
            spec.display_name()
        );
        return Ok(repo);
    }
    let path = fixture_dir.join("fixture.toml");
    upstream.tree(&spec, fixture_dir).map_err(|e| {
        let key = match e {
            UpstreamError::HashMismatch { .. } => "upstream.sha256",
            UpstreamError::NotFound { .. } => "upstream.version",
            UpstreamError::Overlay { .. } => "upstream.overlay",
            _ => "upstream",
        };
        FileError::invalid(
            &path,
            Some(&text),
            key,
            format!(
                "fixture `{name}` ({} from {}): {e}",
                spec.display_name(),
                spec.registry
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheLayout;
    use crate::upstream::Registries;

    const PIN: &str = "language = \"python\"\n\n[upstream]\nregistry = \"pypi\"\npackage = \"demo\"\nversion = \"1.0\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\nlicense = \"MIT\"\n";

    /// A fixture folder holding `toml` as fixture.toml, and an `Upstream` whose registries
    /// do not answer (nothing here may be fetched).
    fn fixture(toml: &str) -> (tempfile::TempDir, Upstream) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fixture.toml"), toml).unwrap();
        let nowhere = "http://127.0.0.1:9".to_string();
        let up = Upstream::new(
            CacheLayout::new(dir.path().join("cache")),
            Registries {
                pypi: nowhere.clone(),
                crates: nowhere.clone(),
                crates_index: nowhere,
            },
        );
        (dir, up)
    }

    fn error(toml: &str) -> FileError {
        let (dir, up) = fixture(toml);
        fixture_tree(dir.path(), &up).unwrap_err()
    }

    #[test]
    fn fixture_toml_keys_are_checked_with_their_line() {
        let e = error(&PIN.replace("license = \"MIT\"", "license = \"TODO: the licence\""));
        assert_eq!(
            (e.key.as_str(), e.line),
            ("upstream.license", Some(8)),
            "{e}"
        );
        let e = error(&format!("{PIN}overlay = \"overlay.patch\"\n"));
        assert_eq!(e.key, "upstream.overlay", "{e}");
        assert!(
            e.message.contains("expected a patch file overlay.patch"),
            "{e}"
        );
        let e = error(&format!("{PIN}exclude = [\"docs/[\"]\n"));
        assert_eq!(e.key, "upstream.exclude", "{e}");
        let e = error(&PIN.replace("sha256 = \"0", "sha256 = \"x"));
        assert_eq!(e.key, "upstream.sha256", "{e}");
        assert!(e.message.contains("64 hex digits"), "{e}");
        let e = error(&format!("{PIN}mirror = \"x\"\n"));
        assert!(e.message.contains("unknown key `mirror`"), "{e}");
        let e = error(&PIN.replace("\"pypi\"", "\"npm\""));
        assert_eq!(e.key, "upstream.registry", "{e}");
    }

    #[test]
    fn a_fetch_that_fails_names_the_fixture() {
        let e = error(PIN);
        assert!(e.path.ends_with("fixture.toml"), "{e}");
        assert!(e.message.starts_with("fixture `"), "{e}");
        assert!(
            e.message
                .contains("(demo==1.0 from pypi): fetching http://127.0.0.1:9/simple/demo/"),
            "{e}"
        );
    }

    #[test]
    fn repo_beside_upstream_wins_and_hand_made_fixtures_need_no_toml() {
        let (dir, up) = fixture(PIN);
        std::fs::create_dir(dir.path().join("repo")).unwrap();
        assert_eq!(
            fixture_tree(dir.path(), &up).unwrap(),
            dir.path().join("repo")
        );
        let (dir, up) = fixture("language = \"rust\"\n");
        assert_eq!(
            fixture_tree(dir.path(), &up).unwrap(),
            dir.path().join("repo")
        );
        std::fs::remove_file(dir.path().join("fixture.toml")).unwrap();
        assert_eq!(
            fixture_tree(dir.path(), &up).unwrap(),
            dir.path().join("repo")
        );
    }
}
