//! A fixture's detector pool: `repos-fixtures/FIXTURE/race-detectors/pool.toml` in, the
//! [`PoolDetector`]s the seeder may choose for a mutant out, or a [`FileError`] naming the
//! file, the key and what was expected.
//!
//! ```toml
//! # One [[detector]] per detector.
//! [[detector]]
//! name = "stock-ledger"                     # folder race-detectors/stock-ledger/detector/
//! covers = ["pyshop/inventory/ledger.py"]   # globs of the files whose mutants it can notice
//! command = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "detectors/test_x.py"]
//! timeout = 180
//!
//! [[detector]]
//! name = "cache-regions"
//! covers = ["pyshop/cache/*.py"]
//! bug = "cache-region-lazy-init"            # reuse a hand-written bug's detector (command,
//!                                           # timeout and detector/ from seeded-bugs/)
//! ```
//!
//! A detector's files (its `detector/` folder) are copied over the mutated repo before its
//! command runs, exactly as a seeded bug's are; a bug the seeder writes gets a copy of them.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::catalog::{toml_file, Catalog, DetectorSpec, FileError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolFile {
    detector: Vec<EntryFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    name: String,
    covers: Vec<String>,
    bug: Option<String>,
    command: Option<Vec<String>>,
    timeout: Option<u64>,
}

/// One detector of a fixture's pool.
#[derive(Debug, Clone)]
pub struct PoolDetector {
    /// Its name in pool.toml.
    pub name: String,
    /// The globs it covers, as written.
    pub covers: Vec<String>,
    covers_set: GlobSet,
    /// Command and time limit.
    pub spec: DetectorSpec,
    /// The folder whose `detector/` holds its files (a race-detectors/NAME/ folder, or the
    /// hand-written bug's folder it reuses).
    pub dir: PathBuf,
}

impl PoolDetector {
    /// Whether a mutant of `file` (relative to the repo) is one this detector may notice.
    pub fn covers(&self, file: &str) -> bool {
        self.covers_set.is_match(file)
    }

    /// The folder of files copied over the repo before the command runs.
    pub fn files_dir(&self) -> PathBuf {
        self.dir.join("detector")
    }
}

/// Where a fixture's pool file is.
pub fn pool_path(root: &Path, fixture: &str) -> PathBuf {
    root.join("repos-fixtures")
        .join(fixture)
        .join("race-detectors")
        .join("pool.toml")
}

/// Loads the pool of `fixture`; its hand-written bugs come from `catalog`.
pub fn load_pool(catalog: &Catalog, fixture: &str) -> Result<Vec<PoolDetector>, FileError> {
    let path = pool_path(&catalog.root, fixture);
    if !path.is_file() {
        return Err(FileError::invalid(
            &path,
            None,
            "",
            format!("expected the detector pool of {fixture} here (see docs/seeding.md): without detectors no mutant can be checked"),
        ));
    }
    let (raw, text): (PoolFile, String) = toml_file::load(&path)?;
    let invalid = |key: &str, msg: String| FileError::invalid(&path, Some(&text), key, msg);
    let folder = path.parent().expect("pool.toml is in a folder");
    let mut out: Vec<PoolDetector> = Vec::new();
    for entry in raw.detector {
        let key = |k: &str| format!("detector.{k}");
        if out.iter().any(|d| d.name == entry.name) {
            return Err(invalid(
                &key("name"),
                format!("two detectors are called \"{}\"", entry.name),
            ));
        }
        if entry.covers.is_empty() {
            return Err(invalid(&key("covers"), format!("detector \"{}\": expected at least one glob of the files whose mutants it can notice", entry.name)));
        }
        let mut set = GlobSetBuilder::new();
        for glob in &entry.covers {
            set.add(Glob::new(glob).map_err(|e| {
                invalid(
                    &key("covers"),
                    format!("detector \"{}\": \"{glob}\" is not a glob: {e}", entry.name),
                )
            })?);
        }
        let covers_set = set
            .build()
            .map_err(|e| invalid(&key("covers"), e.to_string()))?;
        let (spec, dir) = match (&entry.bug, entry.command, entry.timeout) {
            (Some(bug), None, None) => {
                let id = crate::catalog::BugId(format!("{fixture}/{bug}"));
                let Some(b) = catalog.bugs.get(&id) else {
                    return Err(invalid(&key("bug"), format!("detector \"{}\": no seeded bug {id} in seeded-bugs/", entry.name)));
                };
                (b.detector.clone(), b.dir.clone())
            }
            (None, Some(command), Some(timeout)) if !command.is_empty() && timeout > 0 => {
                let dir = folder.join(&entry.name);
                if !dir.join("detector").is_dir() {
                    return Err(invalid(&key("name"), format!("detector \"{}\": expected its files in {}", entry.name, dir.join("detector").display())));
                }
                (DetectorSpec { command, timeout }, dir)
            }
            _ => {
                return Err(invalid(&key("command"), format!("detector \"{}\": expected either `bug = \"BUG\"` (a hand-written bug's detector) or a non-empty `command` and a positive `timeout`, not both", entry.name)))
            }
        };
        out.push(PoolDetector {
            name: entry.name,
            covers: entry.covers,
            covers_set,
            spec,
            dir,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool_in(text: &str) -> (tempfile::TempDir, Result<Vec<PoolDetector>, FileError>) {
        let root = tempfile::tempdir().unwrap();
        let path = pool_path(root.path(), "fx");
        std::fs::create_dir_all(path.parent().unwrap().join("own/detector")).unwrap();
        std::fs::write(&path, text).unwrap();
        let catalog = Catalog {
            root: root.path().to_path_buf(),
            ..Default::default()
        };
        let pool = load_pool(&catalog, "fx");
        (root, pool)
    }

    #[test]
    fn a_pool_lists_detectors_with_the_files_they_cover() {
        let (_root, pool) = pool_in(
            "[[detector]]\nname = \"own\"\ncovers = [\"src/*.rs\"]\ncommand = [\"cargo\", \"test\"]\ntimeout = 60\n",
        );
        let pool = pool.unwrap();
        assert_eq!(pool.len(), 1);
        assert!(pool[0].covers("src/ids.rs"));
        assert!(!pool[0].covers("tests/ids.rs"));
        assert!(pool[0].files_dir().ends_with("race-detectors/own/detector"));
    }

    #[test]
    fn pool_errors_name_the_key_and_the_detector() {
        let (_root, both) = pool_in(
            "[[detector]]\nname = \"own\"\ncovers = [\"a\"]\nbug = \"b\"\ncommand = [\"x\"]\ntimeout = 1\n",
        );
        let e = both.unwrap_err();
        assert_eq!(e.key, "detector.command");
        assert!(e.message.contains("either `bug"), "{e}");
        let (_root, unknown) =
            pool_in("[[detector]]\nname = \"own\"\ncovers = [\"a\"]\nbug = \"nope\"\n");
        let e = unknown.unwrap_err().to_string();
        assert!(e.contains("no seeded bug fx/nope"), "{e}");
        let (_root, missing) = pool_in(
            "[[detector]]\nname = \"gone\"\ncovers = [\"a\"]\ncommand = [\"x\"]\ntimeout = 1\n",
        );
        assert!(missing
            .unwrap_err()
            .message
            .contains("expected its files in"));
        let (_root, typo) = pool_in("[[detector]]\nname = \"own\"\ncover = [\"a\"]\n");
        assert!(typo.unwrap_err().to_string().contains("cover"));
    }
}
