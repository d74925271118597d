//! Writing a checked mutant as a seeded bug: a [`Mutant`] and the pool detector that found it
//! in, `seeded-bugs/FIXTURE/ID/` out (bug.toml with `origin = "seeder"` and its `[seed]`
//! table, inject.patch, detector/ copied from the pool), read back through the catalog's own
//! loader so a folder `refbench validate` would refuse is never left behind.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::catalog::{BugKind, BugOrigin, DetectorSpec, SeedRecord};

use super::operators::Mutant;
use super::pool::PoolDetector;
use super::SeedError;

#[derive(Serialize)]
struct BugToml<'a> {
    id: &'a str,
    fixture: &'a str,
    kind: BugKind,
    file: &'a str,
    description: &'a str,
    origin: BugOrigin,
    seed: SeedRecord,
    detector: &'a DetectorSpec,
}

/// Where the bug folder of `mutant` goes.
pub fn bug_dir(root: &Path, fixture: &str, mutant: &Mutant) -> PathBuf {
    root.join("seeded-bugs").join(fixture).join(&mutant.id)
}

/// Writes the bug folder of `mutant` (found by `detector`) and loads it back. Errs when the
/// folder exists already or what was written does not load.
pub fn write_bug(
    root: &Path,
    fixture: &str,
    mutant: &Mutant,
    detector: &PoolDetector,
) -> Result<PathBuf, SeedError> {
    let dir = bug_dir(root, fixture, mutant);
    if dir.exists() {
        return Err(SeedError::Exists { dir });
    }
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| SeedError::Io {
            action,
            path,
            source,
        }
    };
    let toml = BugToml {
        id: &mutant.id,
        fixture,
        kind: mutant.kind,
        file: &mutant.site.file,
        description: &mutant.description,
        origin: BugOrigin::Seeder,
        seed: SeedRecord {
            operator: mutant.operator,
            site: mutant.site.label(),
            detector: detector.name.clone(),
        },
        detector: &detector.spec,
    };
    let text = format!(
        "# Written by `refbench seed {fixture}`: the visible tests pass on this mutant and the\n# pool detector \"{}\" fails on it (and passes on the unmutated fixture).\n{}",
        detector.name,
        toml::to_string(&toml).expect("a bug.toml serializes")
    );
    std::fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
    let written = (|| {
        crate::fsutil::write_atomic(&dir.join("bug.toml"), text.as_bytes())
            .map_err(io("writing", &dir.join("bug.toml")))?;
        crate::fsutil::write_atomic(&dir.join("inject.patch"), mutant.patch.as_bytes())
            .map_err(io("writing", &dir.join("inject.patch")))?;
        crate::materialize::copy_tree(&detector.files_dir(), &dir.join("detector"))
            .map_err(SeedError::Materialize)?;
        let (catalog, errors) = crate::lang::load_catalog_partial(root);
        if let Some(e) = errors.iter().find(|e| e.path.starts_with(&dir)) {
            return Err(SeedError::Unloadable(e.clone()));
        }
        let id = crate::catalog::BugId(format!("{fixture}/{}", mutant.id));
        if !catalog.bugs.contains_key(&id) {
            return Err(SeedError::Unloadable(crate::catalog::FileError::invalid(
                &dir.join("bug.toml"),
                None,
                "",
                "the catalog did not load the bug just written",
            )));
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = crate::fsutil::remove_all(&dir);
        return Err(e);
    }
    Ok(dir)
}
