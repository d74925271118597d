//! Upstream fixtures: a fixture whose code is a real open-source package pinned by registry,
//! version and sha256, fetched into the cache on first use and never committed.
//!
//! In: an [`UpstreamSpec`] (the `[upstream]` table of `repos-fixtures/NAME/fixture.toml`), the
//! fixture's folder (for its overlay patch) and an [`Upstream`] (the [`CacheLayout`] and the
//! registries' base URLs). Out: the folder of the fixture's tree ([`Upstream::tree`]), which
//! the catalog then hands every stage exactly like a hand-made fixture's `repo/`; or an
//! [`UpstreamError`] saying what was expected and what to do.
//!
//! Building a tree, once per archive and recipe:
//! 1. the archive (`NAME-VERSION.tar.gz` sdist from PyPI's simple JSON index, or the `.crate`
//!    from static.crates.io) is downloaded ([`registry`]) and its sha256 compared with the
//!    pinned one BEFORE anything is unpacked; it is kept in the cache as
//!    `upstream/REGISTRY-NAME-VERSION-SHA8/archive` and hashed again whenever it is unpacked;
//! 2. [`unpack`] extracts it, refusing absolute paths, `..`, links that leave the tree, device
//!    files and writes through links, takes the archive's top folder (or `root`) as the tree,
//!    and removes the `exclude` globs;
//! 3. `overlay` applies the fixture's overlay patch (git2);
//! 4. the result lands, with a marker naming the archive's sha256 and the recipe (root,
//!    excludes, overlay), in `upstream/REGISTRY-NAME-VERSION-SHA8/trees/RECIPE/` by one atomic
//!    rename: two processes building the same tree each build their own and one rename wins; a
//!    reader never sees half a tree. A tree whose marker does not match is refused.
//!
//! A changed overlay makes a new recipe and so a new tree folder: trees are never rewritten in
//! place under a run that may be reading them.
//!
//! This module sits beside `cache` (layer 1) so that the catalog (layer 2) can resolve a
//! fixture's tree while it loads: it checks bug files and gold patches against the tree, and
//! every later stage reads `Task::repo_dir` without knowing where the tree came from.

pub mod registry;
pub mod unpack;

mod overlay;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache::CacheLayout;

pub use registry::{ArchiveLocation, Registries};

/// The package registry an upstream fixture comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Registry {
    /// The Python Package Index: the sdist `NAME-VERSION.tar.gz`.
    Pypi,
    /// The Rust registry crates.io: `NAME-VERSION.crate`.
    Crates,
}

impl Registry {
    /// The name written in fixture.toml and in cache folder names.
    pub fn name(self) -> &'static str {
        match self {
            Registry::Pypi => "pypi",
            Registry::Crates => "crates",
        }
    }
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A sha256 digest as 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256Hex {
        Sha256Hex(crate::fsutil::hex(&Sha256::digest(bytes)))
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 8 digits, for folder names.
    pub fn short(&self) -> &str {
        &self.0[..8]
    }
}

impl TryFrom<String> for Sha256Hex {
    type Error = String;
    fn try_from(s: String) -> Result<Sha256Hex, String> {
        let s = s.trim().to_ascii_lowercase();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Sha256Hex(s))
        } else {
            Err(format!(
                "expected a sha256 as 64 hex digits, found \"{s}\" ({} characters)",
                s.len()
            ))
        }
    }
}

impl From<Sha256Hex> for String {
    fn from(h: Sha256Hex) -> String {
        h.0
    }
}

impl std::fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `[upstream]` table of fixture.toml: which archive, and what refbench does to it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSpec {
    /// Where the archive comes from.
    pub registry: Registry,
    /// The package (PyPI project or crate) name.
    pub package: String,
    /// The exact version.
    pub version: String,
    /// sha256 of the archive (sdist or .crate) as downloaded.
    pub sha256: Sha256Hex,
    /// SPDX licence expression, from the package's metadata.
    pub license: String,
    /// The folder of the archive that is the tree (default: its one top-level folder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// Globs, relative to the tree, removed before the overlay is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// A unified git diff, relative to the fixture folder, applied after unpacking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlay: Option<String>,
}

impl UpstreamSpec {
    /// `REGISTRY-NAME-VERSION-SHA8`: the archive's folder under the cache's `upstream/`.
    pub fn cache_key(&self) -> String {
        format!(
            "{}-{}-{}-{}",
            self.registry,
            self.package,
            self.version,
            self.sha256.short()
        )
    }

    /// `NAME==VERSION` or `NAME@VERSION`, as people write them for this registry.
    pub fn display_name(&self) -> String {
        match self.registry {
            Registry::Pypi => format!("{}=={}", self.package, self.version),
            Registry::Crates => format!("{}@{}", self.package, self.version),
        }
    }
}

/// What went wrong building an upstream fixture's tree. Each message says what was expected
/// and what to do; the catalog adds the fixture and its fixture.toml.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The registry could not be reached or answered with an error.
    #[error("fetching {url}: {reason}; check the network (or REFBENCH_PYPI_URL / REFBENCH_CRATES_URL / REFBENCH_CRATES_INDEX_URL) and run again")]
    Fetch {
        /// What was asked for.
        url: String,
        /// The cause.
        reason: String,
    },
    /// The registry has no such package or version.
    #[error("{package} {version} is not on {registry} ({detail}); check `package` and `version` in fixture.toml")]
    NotFound {
        /// The registry.
        registry: Registry,
        /// The package.
        package: String,
        /// The version.
        version: String,
        /// What was looked at.
        detail: String,
    },
    /// The archive is not the pinned one.
    #[error("the archive {what} has sha256 {found}, but fixture.toml pins {expected}; if the new archive is the one you mean, put its sha256 in fixture.toml, else find out why the registry or the cache serves another file")]
    HashMismatch {
        /// The archive (URL or cache path).
        what: String,
        /// The pinned digest.
        expected: Sha256Hex,
        /// The digest of what came.
        found: Sha256Hex,
    },
    /// The archive cannot be unpacked safely.
    #[error("unpacking {package} {version}: {reason}")]
    Unpack {
        /// The package.
        package: String,
        /// The version.
        version: String,
        /// What is wrong with the archive.
        reason: String,
    },
    /// The overlay patch does not apply.
    #[error("overlay {path}: {reason}; regenerate it against the upstream tree after `exclude` (see docs/upstream-fixtures.md)")]
    Overlay {
        /// The overlay file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// A cached tree was built from something else.
    #[error("{path} was built from {found}, but fixture.toml now asks for {expected}; remove it (`refbench cache clear --only upstream`) and run again")]
    Marker {
        /// The cached tree.
        path: PathBuf,
        /// What the marker says.
        found: String,
        /// What the fixture asks for.
        expected: String,
    },
    /// The cache could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl UpstreamError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> UpstreamError + '_ {
        move |source| UpstreamError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Where upstream trees are kept and where archives are fetched from.
#[derive(Debug, Clone)]
pub struct Upstream {
    cache: CacheLayout,
    registries: Registries,
}

/// What a cached tree was built from, kept beside it as `marker.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Marker {
    registry: Registry,
    package: String,
    version: String,
    archive_sha256: Sha256Hex,
    recipe: String,
}

impl Marker {
    fn describe(&self) -> String {
        format!(
            "{} {} {} (archive sha256 {}, recipe {})",
            self.registry, self.package, self.version, self.archive_sha256, self.recipe
        )
    }
}

/// Changes whenever what [`Upstream::tree`] does to an archive changes: bump it when unpacking
/// or overlaying starts to produce different trees.
const RECIPE_FORMAT: &str = "refbench-upstream-1";

impl Upstream {
    /// Trees in `cache`, archives from `registries`.
    pub fn new(cache: CacheLayout, registries: Registries) -> Upstream {
        Upstream { cache, registries }
    }

    /// The cache and registries of the environment ([`CacheLayout::from_env`],
    /// [`Registries::from_env`]).
    pub fn from_env() -> Upstream {
        Upstream::new(CacheLayout::from_env(), Registries::from_env())
    }

    /// The registries' base URLs.
    pub fn registries(&self) -> &Registries {
        &self.registries
    }

    /// The folder of `spec`'s archive and trees in the cache.
    pub fn package_dir(&self, spec: &UpstreamSpec) -> PathBuf {
        self.cache.upstream().join(spec.cache_key())
    }

    /// The tree of the upstream fixture in `fixture_dir` described by `spec`: from the cache
    /// when it was built before (and its marker matches), else fetched, verified, unpacked,
    /// trimmed and overlaid now.
    pub fn tree(&self, spec: &UpstreamSpec, fixture_dir: &Path) -> Result<PathBuf, UpstreamError> {
        let overlay = match &spec.overlay {
            Some(rel) => {
                let path = fixture_dir.join(rel);
                let bytes = std::fs::read(&path).map_err(|e| UpstreamError::Overlay {
                    path: path.clone(),
                    reason: format!("cannot read it: {e}"),
                })?;
                Some((path, bytes))
            }
            None => None,
        };
        let expected = Marker {
            registry: spec.registry,
            package: spec.package.clone(),
            version: spec.version.clone(),
            archive_sha256: spec.sha256.clone(),
            recipe: recipe(spec, overlay.as_ref().map(|(_, b)| b.as_slice())),
        };
        let trees = self.package_dir(spec).join("trees");
        let done = trees.join(&expected.recipe);
        if done.is_dir() {
            check_marker(&done, &expected)?;
            return Ok(done.join("tree"));
        }
        let archive = self.archive(spec)?;
        std::fs::create_dir_all(&trees).map_err(UpstreamError::io(&trees))?;
        let work = tempfile::Builder::new()
            .prefix(".building-")
            .tempdir_in(&trees)
            .map_err(UpstreamError::io(&trees))?;
        let tree = work.path().join("tree");
        unpack::unpack_tree(&archive, spec, &tree)?;
        if let Some((path, bytes)) = &overlay {
            overlay::apply(&tree, path, bytes)?;
        }
        let marker = serde_json::to_vec_pretty(&expected).expect("a marker serializes");
        let marker_path = work.path().join("marker.json");
        std::fs::write(&marker_path, marker).map_err(UpstreamError::io(&marker_path))?;
        let built = work.keep();
        if let Err(e) = std::fs::rename(&built, &done) {
            // Another process put the same tree in place first: use theirs.
            let _ = crate::fsutil::remove_all(&built);
            if !done.is_dir() {
                return Err(UpstreamError::io(&done)(e));
            }
        }
        check_marker(&done, &expected)?;
        Ok(done.join("tree"))
    }

    /// The verified bytes of `spec`'s archive: from the cache (hashed again) or downloaded,
    /// verified, then kept.
    pub fn archive(&self, spec: &UpstreamSpec) -> Result<Vec<u8>, UpstreamError> {
        let path = self.package_dir(spec).join("archive");
        if let Ok(bytes) = std::fs::read(&path) {
            verify(&bytes, &spec.sha256, &path.display().to_string())?;
            return Ok(bytes);
        }
        let location = self
            .registries
            .locate(spec.registry, &spec.package, &spec.version)?;
        let bytes = self.registries.download(&location)?;
        verify(&bytes, &spec.sha256, &location.url)?;
        self.keep_archive(spec, &bytes)?;
        Ok(bytes)
    }

    /// Keeps already verified archive bytes for `spec` in the cache (for `new fixture
    /// --from-...`, which downloads before fixture.toml exists).
    pub fn keep_archive(&self, spec: &UpstreamSpec, bytes: &[u8]) -> Result<(), UpstreamError> {
        let path = self.package_dir(spec).join("archive");
        crate::fsutil::write_atomic(&path, bytes).map_err(UpstreamError::io(&path))
    }
}

/// Fails unless `bytes` hash to `expected`.
pub fn verify(bytes: &[u8], expected: &Sha256Hex, what: &str) -> Result<(), UpstreamError> {
    let found = Sha256Hex::of(bytes);
    if &found == expected {
        Ok(())
    } else {
        Err(UpstreamError::HashMismatch {
            what: what.to_string(),
            expected: expected.clone(),
            found,
        })
    }
}

/// A digest of everything besides the archive that shapes the tree.
fn recipe(spec: &UpstreamSpec, overlay: Option<&[u8]>) -> String {
    let mut h = Sha256::new();
    h.update(RECIPE_FORMAT.as_bytes());
    h.update([0]);
    h.update(spec.root.as_deref().unwrap_or("").as_bytes());
    for glob in &spec.exclude {
        h.update([0]);
        h.update(glob.as_bytes());
    }
    h.update([1]);
    if let Some(bytes) = overlay {
        h.update(bytes);
    }
    crate::fsutil::hex(&h.finalize()[..8])
}

fn check_marker(done: &Path, expected: &Marker) -> Result<(), UpstreamError> {
    let path = done.join("marker.json");
    let found: Option<Marker> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    match found {
        Some(m) if &m == expected => Ok(()),
        other => Err(UpstreamError::Marker {
            path: done.to_path_buf(),
            found: other.map_or_else(
                || "an unreadable or missing marker.json".into(),
                |m| m.describe(),
            ),
            expected: expected.describe(),
        }),
    }
}

#[cfg(test)]
mod tests;
