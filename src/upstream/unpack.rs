//! Unpacking a verified archive into a fixture tree, safely.
//!
//! In: the bytes of a gzip'd tar (an sdist or a `.crate`; already checked against its pinned
//! sha256), the spec's `root` and `exclude`, and the folder to create. Out: that folder holding
//! the archive's top folder (or `root`) without the excluded paths, or
//! [`UpstreamError::Unpack`] naming the entry that was refused and why.
//!
//! Refused: absolute paths, `..`, entries written through a link, symbolic links whose target
//! leaves the tree, hard links to outside the archive, device files and FIFOs. Modes are
//! normalised (0644, or 0755 for executables and folders): the tree belongs to the user.
//!
//! Excludes are globs relative to the tree where `*` also matches `/` (as Python's `fnmatch`
//! does, so that the fixture authors' helper and refbench build the same tree); a path is
//! removed when a glob matches it, or it followed by `/`.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::{UpstreamError, UpstreamSpec};

/// Unpacks `archive` into the new folder `tree` as `spec` says (root, exclude).
pub fn unpack_tree(archive: &[u8], spec: &UpstreamSpec, tree: &Path) -> Result<(), UpstreamError> {
    let fail = |reason: String| UpstreamError::Unpack {
        package: spec.package.clone(),
        version: spec.version.clone(),
        reason,
    };
    let excludes = exclude_set(&spec.exclude).map_err(fail)?;
    let parent = tree.parent().unwrap_or(Path::new("."));
    let staging = tempfile::Builder::new()
        .prefix(".unpacking-")
        .tempdir_in(parent)
        .map_err(|e| fail(format!("making a folder in {}: {e}", parent.display())))?;
    extract(archive, staging.path()).map_err(fail)?;
    let top = match &spec.root {
        Some(root) => {
            let rel = safe_relative(Path::new(root))
                .filter(|r| !r.as_os_str().is_empty())
                .ok_or_else(|| {
                    fail(format!(
                        "`root` = \"{root}\": expected a folder of the archive, relative, without `..`"
                    ))
                })?;
            let dir = staging.path().join(rel);
            if !dir.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                return Err(fail(format!(
                    "`root` = \"{root}\", but the archive has no such folder; its top level: {}",
                    top_level(staging.path()).join(", ")
                )));
            }
            dir
        }
        None => {
            let tops = top_level(staging.path());
            let dir = staging.path().join(tops.first().map_or("", String::as_str));
            if tops.len() != 1 || !dir.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                return Err(fail(format!(
                    "expected one top-level folder in the archive, found [{}]; set `root` in [upstream] to the folder that is the tree",
                    tops.join(", ")
                )));
            }
            dir
        }
    };
    std::fs::rename(&top, tree)
        .map_err(|e| fail(format!("moving the tree to {}: {e}", tree.display())))?;
    if let Some(set) = excludes {
        remove_excluded(tree, tree, &set).map_err(fail)?;
    }
    check_links(tree).map_err(fail)
}

fn exclude_set(globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for g in globs {
        let glob = GlobBuilder::new(g)
            .literal_separator(false)
            .build()
            .map_err(|e| format!("exclude glob \"{g}\": {e}"))?;
        set.add(glob);
    }
    set.build().map(Some).map_err(|e| e.to_string())
}

/// Checks the globs of `exclude` (for the catalog, which reports them against fixture.toml).
pub fn check_excludes(globs: &[String]) -> Result<(), String> {
    exclude_set(globs).map(|_| ())
}

fn top_level(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `path` without `.` components, or `None` when it is absolute or climbs with `..`.
fn safe_relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// Fails when any folder above `rel` under `base` is a link (a write there would land
/// wherever the link points).
fn no_link_above(base: &Path, rel: &Path) -> Result<(), String> {
    let mut at = base.to_path_buf();
    let parts: Vec<_> = rel.components().collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        at.push(part);
        if at
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(format!(
                "entry {} would be written through the link {}",
                rel.display(),
                at.strip_prefix(base).unwrap_or(&at).display()
            ));
        }
    }
    Ok(())
}

/// Where a link at `rel` pointing at `target` lands, relative to the base, if it stays inside.
fn link_inside(rel: &Path, target: &Path) -> Option<PathBuf> {
    if target.is_absolute() {
        return None;
    }
    let mut out: Vec<Component> = rel.parent()?.components().collect();
    for c in target.components() {
        match c {
            Component::Normal(_) => out.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out.iter().collect())
}

fn extract(archive: &[u8], base: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    use tar::EntryType;
    let gz = flate2::read::GzDecoder::new(archive);
    let mut tar = tar::Archive::new(gz);
    let entries = tar
        .entries()
        .map_err(|e| format!("not a gzip'd tar archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("reading the archive: {e}"))?;
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader | EntryType::XHeader) {
            continue;
        }
        let raw = entry
            .path()
            .map_err(|e| format!("an entry's path: {e}"))?
            .into_owned();
        let rel = safe_relative(&raw).ok_or_else(|| {
            format!(
                "entry {} is absolute or climbs with `..`; refusing the archive",
                raw.display()
            )
        })?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        no_link_above(base, &rel)?;
        let dest = base.join(&rel);
        let io = |e: std::io::Error| format!("writing {}: {e}", rel.display());
        if dest
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(format!(
                "entry {} would replace the link of the same name; refusing the archive",
                rel.display()
            ));
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        match kind {
            EntryType::Directory => std::fs::create_dir_all(&dest).map_err(io)?,
            EntryType::Regular | EntryType::Continuous => {
                let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).map_err(io)?;
                std::fs::write(&dest, &bytes).map_err(io)?;
                let mode = if executable { 0o755 } else { 0o644 };
                std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode))
                    .map_err(io)?;
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .map_err(io)?
                    .ok_or_else(|| format!("link {} has no target", rel.display()))?
                    .into_owned();
                if link_inside(&rel, &target).is_none() {
                    return Err(format!(
                        "link {} points at {}, outside the tree; refusing the archive",
                        rel.display(),
                        target.display()
                    ));
                }
                std::os::unix::fs::symlink(&target, &dest).map_err(io)?;
            }
            EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(io)?
                    .ok_or_else(|| format!("hard link {} has no target", rel.display()))?;
                let from = safe_relative(&target)
                    .filter(|t| !t.as_os_str().is_empty())
                    .ok_or_else(|| {
                        format!(
                            "hard link {} points at {}, outside the archive; refusing it",
                            rel.display(),
                            target.display()
                        )
                    })?;
                no_link_above(base, &from)?;
                let source = base.join(&from);
                if !source.symlink_metadata().is_ok_and(|m| m.is_file()) {
                    return Err(format!(
                        "hard link {} points at {}, which is no file unpacked before it",
                        rel.display(),
                        from.display()
                    ));
                }
                std::fs::copy(&source, &dest).map_err(io)?;
            }
            other => {
                return Err(format!(
                    "entry {} is a {other:?} (device file, FIFO or other special entry); a fixture holds only files, folders and links",
                    rel.display()
                ))
            }
        }
    }
    Ok(())
}

fn remove_excluded(tree: &Path, dir: &Path, set: &GlobSet) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let rel = path
            .strip_prefix(tree)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let io = |e: std::io::Error| format!("removing excluded {rel}: {e}");
        if set.is_match(&rel) || set.is_match(format!("{rel}/")) {
            if is_dir {
                crate::fsutil::remove_all(&path).map_err(io)?;
            } else {
                std::fs::remove_file(&path).map_err(io)?;
            }
        } else if is_dir {
            remove_excluded(tree, &path, set)?;
        }
    }
    Ok(())
}

/// Fails when a link in `tree`, followed through every link on its way, lands outside it.
fn check_links(tree: &Path) -> Result<(), String> {
    let root = tree
        .canonicalize()
        .map_err(|e| format!("{}: {e}", tree.display()))?;
    let mut todo = vec![tree.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let entries =
            std::fs::read_dir(&dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                todo.push(path);
            } else if kind.is_symlink() {
                // A dangling link was checked by its text when unpacked.
                if let Ok(real) = path.canonicalize() {
                    if !real.starts_with(&root) {
                        return Err(format!(
                            "link {} leads outside the tree (through other links); refusing the archive",
                            path.strip_prefix(tree).unwrap_or(&path).display()
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}
