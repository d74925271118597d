//! The manifest of a build slot's dependency artifacts: what later attempts build against,
//! checked before every reuse.
//!
//! In: a cargo target dir, the names of the fixture's own packages (from the fixture's
//! manifest in the project, never from the attempt's tree), the manifest file kept beside the
//! target dir (in the cache's `cargo-target/`, which no sandboxed command may write). Out:
//! [`verify`] (before a slot is reused: every dependency artifact is the one recorded, and
//! there is none the manifest does not know) and [`record`] (when an attempt that did not
//! taint the slot ends: artifacts built for the first time are added; one that changed is
//! refused).
//!
//! Dependency artifacts are the files of the target dir's `debug/deps/`, `debug/build/` and
//! `debug/.fingerprint/` whose cargo unit is not one of the fixture's packages: a unit is
//! known by the 16-hex-digit hash in its names, shared by `.fingerprint/PKG-HASH/`, its
//! outputs in `deps/` and its build script folder in `build/`; the fixture's units are those
//! of its packages' fingerprint folders, and everything else counts as a dependency (a file
//! without a unit hash included). The fixture's own units are rebuilt for every attempt from
//! its fresh copy of the tree.
//!
//! Each entry holds the file's size and SHA-256, and the inode number and inode change time
//! it had when hashed. Verifying compares those first (a `stat` per file, about 2 ms for
//! shuttle's tree of a few hundred files) and hashes a file again only when they differ: a
//! write, a rename over it or a replacement changes the inode's change time, which the
//! kernel sets to its current clock and no sandboxed command can set back (that needs
//! CAP_SYS_TIME, which every command has dropped). So a file whose pin matches has the
//! recorded content; one whose pin differs is trusted only if its content hashes to the
//! recorded digest (and is then pinned anew).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The folders of a profile that hold unit artifacts.
const UNIT_DIRS: &[&str] = &["deps", "build", ".fingerprint"];

/// One recorded artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    size: u64,
    sha256: String,
    ino: u64,
    ctime_ns: i128,
}

/// The recorded artifacts, by path relative to the target dir.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepsManifest {
    files: BTreeMap<String, Entry>,
}

/// Where the manifest of the slot with target dir `target` is kept: beside it, in the
/// cache's `cargo-target/`.
pub fn manifest_path(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".deps.json");
    PathBuf::from(name)
}

/// The package names of the fixture whose manifest is `cargo_toml` (its `[package]` and its
/// workspace members'); empty when it cannot be read.
pub fn local_packages(cargo_toml: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let read = |p: &Path| -> Option<toml::Value> {
        toml::from_str(&std::fs::read_to_string(p).ok()?).ok()
    };
    let Some(root) = read(cargo_toml) else {
        return names;
    };
    let name_of = |v: &toml::Value| {
        v.get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .map(str::to_string)
    };
    names.extend(name_of(&root));
    let dir = cargo_toml.parent().unwrap_or(Path::new("."));
    let members = root
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .cloned()
        .unwrap_or_default();
    for member in members.iter().filter_map(|m| m.as_str()) {
        if let Some(v) = read(&dir.join(member).join("Cargo.toml")) {
            names.extend(name_of(&v));
        }
    }
    names
}

/// The unit hash in an artifact's name (`libshuttle-76b11c9223a86556.rlib`,
/// `shuttle-76b11c9223a86556`), if it has one.
fn unit_hash(name: &str) -> Option<&str> {
    let stem = name.split('.').next().unwrap_or(name);
    let (_, hash) = stem.rsplit_once('-')?;
    (hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hash)
}

/// The dependency artifacts of `target` (see the module doc), relative to it, sorted.
fn dependency_files(target: &Path, local: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(profiles) = std::fs::read_dir(target) else {
        return out;
    };
    for profile in profiles.flatten() {
        let profile_dir = profile.path();
        let fingerprints = profile_dir.join(".fingerprint");
        if !fingerprints.is_dir() {
            continue;
        }
        // The fixture's units, by hash.
        let local_hashes: BTreeSet<String> = std::fs::read_dir(&fingerprints)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let hash = unit_hash(&name)?.to_string();
                let package = name.strip_suffix(&format!("-{hash}"))?;
                local.contains(package).then_some(hash)
            })
            .collect();
        for unit_dir in UNIT_DIRS {
            let Ok(entries) = std::fs::read_dir(profile_dir.join(unit_dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if unit_hash(&name).is_some_and(|h| local_hashes.contains(h)) {
                    continue;
                }
                files_below(target, &entry.path(), &mut out);
            }
        }
    }
    out.sort();
    out
}

/// Every file (links included, not followed) at or below `path`, relative to `target`.
fn files_below(target: &Path, path: &Path, out: &mut Vec<String>) {
    let Ok(meta) = path.symlink_metadata() else {
        return;
    };
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
            files_below(target, &entry.path(), out);
        }
    } else if let Ok(rel) = path.strip_prefix(target) {
        out.push(rel.to_string_lossy().into_owned());
    }
}

/// `(inode, change time in ns, size)` of `path`, links not followed.
fn pin(path: &Path) -> Option<(u64, i128, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = path.symlink_metadata().ok()?;
    let ctime = m.ctime() as i128 * 1_000_000_000 + m.ctime_nsec() as i128;
    Some((m.ino(), ctime, m.len()))
}

/// SHA-256 of a file's content, or of a link's target path.
fn digest(path: &Path) -> std::io::Result<String> {
    let meta = path.symlink_metadata()?;
    let mut hasher = Sha256::new();
    if meta.file_type().is_symlink() {
        use std::os::unix::ffi::OsStrExt;
        hasher.update(b"link:");
        hasher.update(std::fs::read_link(path)?.as_os_str().as_bytes());
    } else {
        let mut file = std::fs::File::open(path)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    Ok(crate::fsutil::hex(&hasher.finalize()))
}

fn entry_for(path: &Path) -> std::io::Result<Entry> {
    let (ino, ctime_ns, size) = pin(path).ok_or_else(|| std::io::Error::other("vanished"))?;
    let sha256 = digest(path)?;
    // Pinned as it was before hashing: a change during the hash shows at the next check.
    Ok(Entry {
        size,
        sha256,
        ino,
        ctime_ns,
    })
}

fn load(manifest: &Path) -> Option<DepsManifest> {
    serde_json::from_str(&std::fs::read_to_string(manifest).ok()?).ok()
}

fn save(manifest: &Path, m: &DepsManifest) -> std::io::Result<()> {
    let text = serde_json::to_string(m).map_err(std::io::Error::other)?;
    crate::fsutil::write_atomic(manifest, text.as_bytes())
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// No manifest yet (a new slot, or one discarded): nothing to check.
    NoManifest,
    /// Every dependency artifact is the recorded one; `rehashed` of them were hashed again
    /// because their pins had changed.
    Intact {
        /// Artifacts checked.
        files: usize,
        /// Of them, hashed again.
        rehashed: usize,
    },
    /// The artifacts are not the recorded ones: the slot must be rebuilt.
    Changed(String),
}

/// Checks the dependency artifacts of `target` against the manifest at `manifest`, pinning
/// anew the files whose content is unchanged but whose inode was touched.
pub fn verify(target: &Path, manifest: &Path, local: &BTreeSet<String>) -> Verified {
    let Some(mut recorded) = load(manifest) else {
        return Verified::NoManifest;
    };
    let found = dependency_files(target, local);
    let mut rehashed = 0;
    for rel in &found {
        let path = target.join(rel);
        let Some(entry) = recorded.files.get_mut(rel) else {
            return Verified::Changed(format!("{rel} is not a recorded dependency artifact"));
        };
        match pin(&path) {
            Some((ino, ctime_ns, size))
                if ino == entry.ino && ctime_ns == entry.ctime_ns && size == entry.size => {}
            _ => {
                rehashed += 1;
                match entry_for(&path) {
                    Ok(now) if now.sha256 == entry.sha256 && now.size == entry.size => {
                        *entry = now;
                    }
                    Ok(_) => return Verified::Changed(format!("{rel} changed")),
                    Err(e) => return Verified::Changed(format!("{rel}: {e}")),
                }
            }
        }
    }
    if found.len() != recorded.files.len() {
        let found: BTreeSet<&String> = found.iter().collect();
        let missing = recorded
            .files
            .keys()
            .find(|k| !found.contains(k))
            .cloned()
            .unwrap_or_default();
        return Verified::Changed(format!("{missing} is missing"));
    }
    if rehashed > 0 {
        // Failing to save the new pins costs a rehash next time, nothing more.
        let _ = save(manifest, &recorded);
    }
    Verified::Intact {
        files: found.len(),
        rehashed,
    }
}

/// Writes the manifest of `copy`, a copy of the slot whose manifest is `source` made by
/// refbench itself (`cp -a`, both slots locked, the original verified just before): the same
/// files and digests, pinned to the copy's inodes. A file of the manifest missing from the copy
/// is an error (and no manifest is written, so the copy will be rebuilt).
pub fn repin_copy(source: &Path, copy: &Path, manifest: &Path) -> std::io::Result<()> {
    let mut m = load(source).ok_or_else(|| {
        std::io::Error::other(format!("no dependency manifest at {}", source.display()))
    })?;
    for (rel, entry) in m.files.iter_mut() {
        let (ino, ctime_ns, size) = pin(&copy.join(rel))
            .filter(|p| p.2 == entry.size)
            .ok_or_else(|| std::io::Error::other(format!("{rel} did not copy")))?;
        entry.ino = ino;
        entry.ctime_ns = ctime_ns;
        entry.size = size;
    }
    save(manifest, &m)
}

/// After an attempt that did not taint the slot: adds the dependency artifacts built for
/// the first time to the manifest (creating it). A recorded artifact whose content changed
/// is an error: the slot must then be discarded.
pub fn record(target: &Path, manifest: &Path, local: &BTreeSet<String>) -> Result<usize, String> {
    let loaded = load(manifest);
    let mut changed = loaded.is_none();
    let mut recorded = loaded.unwrap_or_default();
    let mut added = 0;
    let found = dependency_files(target, local);
    for rel in &found {
        let path = target.join(rel);
        match recorded.files.get(rel) {
            Some(entry) => {
                let same_pin = pin(&path).is_some_and(|(ino, ctime_ns, size)| {
                    ino == entry.ino && ctime_ns == entry.ctime_ns && size == entry.size
                });
                if !same_pin {
                    let now = entry_for(&path).map_err(|e| format!("{rel}: {e}"))?;
                    if now.sha256 != entry.sha256 {
                        return Err(format!("{rel} changed"));
                    }
                    recorded.files.insert(rel.clone(), now);
                    changed = true;
                }
            }
            None => {
                let entry = entry_for(&path).map_err(|e| format!("{rel}: {e}"))?;
                recorded.files.insert(rel.clone(), entry);
                added += 1;
            }
        }
    }
    // Artifacts cargo removed (it replaces outdated ones) leave the manifest too.
    let found: BTreeSet<&String> = found.iter().collect();
    let before = recorded.files.len();
    recorded.files.retain(|k, _| found.contains(k));
    // Rewritten only when something changed: most attempts build no new dependency.
    if changed || added > 0 || recorded.files.len() != before {
        save(manifest, &recorded).map_err(|e| format!("writing {}: {e}", manifest.display()))?;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEP: &str = "0123456789abcdef";
    const MINE: &str = "fedcba9876543210";

    /// A target dir with one dependency unit (`dep`) and one of the fixture (`fx`).
    fn target() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("debug");
        for (rel, text) in [
            (format!(".fingerprint/dep-{DEP}/lib-dep.json"), "{}"),
            (format!(".fingerprint/fx-{MINE}/lib-fx.json"), "{}"),
            (format!("deps/libdep-{DEP}.rlib"), "real dependency"),
            (format!("deps/libdep-{DEP}.rmeta"), "real metadata"),
            (format!("build/dep-{DEP}/output"), "cargo:rustc-cfg=x"),
            (format!("deps/libfx-{MINE}.rlib"), "the fixture"),
            (format!("deps/fx-{MINE}"), "a test binary"),
        ] {
            let p = d.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn fixture_units_are_left_out_and_dependencies_checked() {
        let t = target();
        let manifest = t.path().with_extension("deps.json");
        let local = BTreeSet::from(["fx".to_string()]);
        assert_eq!(verify(t.path(), &manifest, &local), Verified::NoManifest);
        assert_eq!(record(t.path(), &manifest, &local), Ok(4));
        assert_eq!(
            verify(t.path(), &manifest, &local),
            Verified::Intact {
                files: 4,
                rehashed: 0
            }
        );
        // The fixture's own artifacts change with every attempt.
        std::fs::write(
            t.path().join(format!("debug/deps/libfx-{MINE}.rlib")),
            "new",
        )
        .unwrap();
        assert!(matches!(
            verify(t.path(), &manifest, &local),
            Verified::Intact { .. }
        ));
        // Touched but unchanged: rehashed, accepted, pinned anew.
        let rlib = t.path().join(format!("debug/deps/libdep-{DEP}.rlib"));
        std::fs::write(&rlib, "real dependency").unwrap();
        assert_eq!(
            verify(t.path(), &manifest, &local),
            Verified::Intact {
                files: 4,
                rehashed: 1
            }
        );
        // A planted one, even with the old size and modification time.
        let mtime = rlib.metadata().unwrap().modified().unwrap();
        std::fs::write(&rlib, "fake dependenc!").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&rlib)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let Verified::Changed(why) = verify(t.path(), &manifest, &local) else {
            panic!("a planted dependency went unnoticed");
        };
        assert!(why.contains("libdep-"), "{why}");
        assert!(record(t.path(), &manifest, &local).is_err());
    }

    #[test]
    fn extra_and_missing_dependency_files_are_changes() {
        let t = target();
        let manifest = t.path().with_extension("deps.json");
        let local = BTreeSet::from(["fx".to_string()]);
        record(t.path(), &manifest, &local).unwrap();
        let extra = t.path().join("debug/deps/libshuttle-aaaaaaaaaaaaaaaa.rlib");
        std::fs::write(&extra, "fake shuttle").unwrap();
        assert!(matches!(
            verify(t.path(), &manifest, &local),
            Verified::Changed(why) if why.contains("libshuttle")
        ));
        std::fs::remove_file(&extra).unwrap();
        std::fs::remove_file(t.path().join(format!("debug/build/dep-{DEP}/output"))).unwrap();
        assert!(matches!(
            verify(t.path(), &manifest, &local),
            Verified::Changed(why) if why.contains("missing")
        ));
    }

    #[test]
    fn a_copy_gets_the_manifest_pinned_to_its_own_files() {
        let t = target();
        let manifest = t.path().with_extension("deps.json");
        let local = BTreeSet::from(["fx".to_string()]);
        record(t.path(), &manifest, &local).unwrap();
        let copies = tempfile::tempdir().unwrap();
        let copy = copies.path().join("fx-w1");
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(t.path())
            .arg(&copy)
            .status()
            .unwrap();
        assert!(status.success());
        let copy_manifest = manifest_path(&copy);
        repin_copy(&manifest, &copy, &copy_manifest).unwrap();
        assert_eq!(
            verify(&copy, &copy_manifest, &local),
            Verified::Intact {
                files: 4,
                rehashed: 0
            }
        );
        std::fs::remove_file(copy.join(format!("debug/deps/libdep-{DEP}.rlib"))).unwrap();
        assert!(repin_copy(&manifest, &copy, &copy_manifest).is_err());
    }

    #[test]
    fn unit_hashes_and_package_names() {
        assert_eq!(
            unit_hash("libshuttle-76b11c9223a86556.rlib"),
            Some("76b11c9223a86556")
        );
        assert_eq!(
            unit_hash("owo-colors-afa0d87046e32396"),
            Some("afa0d87046e32396")
        );
        assert_eq!(unit_hash("libfoo.rlib"), None);
        let names = local_packages(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("repos-fixtures/rsqueue/repo/Cargo.toml"),
        );
        assert_eq!(names, BTreeSet::from(["rsqueue".to_string()]));
    }
}
