//! Materialize: the base repository a model sees, and each attempt's private copy of it.
//!
//! In: a validated [`Task`] and its [`SeededBug`]s. Out: a [`Base`], a directory holding the
//! fixture's `repo/` with every inject.patch applied, committed as the only commit of a fresh git
//! repository (one branch, no remotes, no tags, no other history: the model cannot read the
//! answer or the bug's origin from git). Bases are cached under the cache directory by a
//! fingerprint of the fixture files and inject patches, so editing a fixture invalidates its
//! bases and nothing else. [`Base::checkout`] copies the base into an attempt's own directory.
//!
//! Where the language has one ([`crate::lang::LanguageSupport::dependency_fetch`]: `cargo
//! fetch` for Rust), the base's dependencies are fetched once here, outside any sandbox, so
//! that builds inside the sandbox can run offline.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::cache::CacheLayout;
use crate::catalog::{SeededBug, Task};

/// Errors while building a base or an attempt copy.
#[derive(Debug, thiserror::Error)]
pub enum MaterializeError {
    /// Filesystem trouble.
    #[error("{action} {path}: {source}")]
    Io {
        /// What refbench was doing.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A git operation failed.
    #[error("git: {context}: {source}")]
    Git {
        /// What refbench was doing.
        context: String,
        /// The cause.
        source: git2::Error,
    },
    /// A seeded bug's inject.patch did not apply to the fixture.
    #[error("seeded bug {bug}: inject.patch does not apply to the fixture repo: {message}")]
    InjectFailed {
        /// The bug.
        bug: String,
        /// libgit2's reason.
        message: String,
    },
    /// Fetching dependencies failed.
    #[error("fetching dependencies for {task} failed ({command}): {stderr}")]
    Fetch {
        /// The task.
        task: String,
        /// The command run.
        command: String,
        /// Its stderr tail.
        stderr: String,
    },
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> MaterializeError {
    let path = path.to_path_buf();
    move |source| MaterializeError::Io {
        action,
        path,
        source,
    }
}

fn git(context: impl Into<String>) -> impl FnOnce(git2::Error) -> MaterializeError {
    let context = context.into();
    move |source| MaterializeError::Git { context, source }
}

/// A materialized, committed base repository.
#[derive(Debug, Clone)]
pub struct Base {
    /// The directory (a git work tree).
    pub dir: PathBuf,
    /// Fingerprint of the inputs (fixture files, inject patches).
    pub fingerprint: String,
}

/// Files of a fixture repo, relative and sorted, honouring its .gitignore (build output never
/// reaches a base).
pub fn fixture_files(repo_dir: &Path) -> Result<Vec<PathBuf>, MaterializeError> {
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(repo_dir)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(false)
        .git_global(false)
        .require_git(false)
        .parents(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| MaterializeError::Io {
            action: "walking",
            path: repo_dir.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        if entry.file_type().is_some_and(|t| t.is_file()) {
            let rel = entry
                .path()
                .strip_prefix(repo_dir)
                .expect("walk stays under its root")
                .to_path_buf();
            files.push(rel);
        }
    }
    files.sort();
    Ok(files)
}

/// Fingerprint of everything a task's base is made of.
pub fn base_fingerprint(task: &Task, bugs: &[&SeededBug]) -> Result<String, MaterializeError> {
    let mut hasher = Sha256::new();
    hasher.update(b"refbench-base-v1\0");
    for rel in fixture_files(&task.repo_dir)? {
        let path = task.repo_dir.join(&rel);
        let bytes = std::fs::read(&path).map_err(io("reading", &path))?;
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update(b"\0");
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    for bug in bugs {
        hasher.update(bug.id.0.as_bytes());
        hasher.update(b"\0");
        hasher.update(bug.inject_patch.as_bytes());
    }
    Ok(crate::fsutil::hex(&hasher.finalize()))
}

/// Returns the cached base of `task`, building it if needed.
pub fn materialize_base(
    task: &Task,
    bugs: &[&SeededBug],
    cache: &CacheLayout,
) -> Result<Base, MaterializeError> {
    let fingerprint = base_fingerprint(task, bugs)?;
    let bases = cache.bases();
    let name = format!("{}-{}", task.id.0.replace('/', "__"), &fingerprint[..16]);
    let dir = bases.join(&name);
    if dir.join(".git").is_dir() && dir.join(".refbench-base-ok").is_file() {
        return Ok(Base { dir, fingerprint });
    }
    std::fs::create_dir_all(&bases).map_err(io("creating", &bases))?;
    let staging = tempfile::Builder::new()
        .prefix(&format!(".{name}-"))
        .tempdir_in(&bases)
        .map_err(io("creating a staging dir in", &bases))?;
    build_base(task, bugs, staging.path())?;
    std::fs::write(
        staging.path().join(".git").join("refbench-fingerprint"),
        &fingerprint,
    )
    .map_err(io("writing", staging.path()))?;
    let staged = staging.keep();
    // Another process may have finished the same base first; its copy is as good as ours.
    match std::fs::rename(&staged, &dir) {
        Ok(()) => {}
        Err(_) if dir.join(".refbench-base-ok").is_file() => {
            let _ = std::fs::remove_dir_all(&staged);
            return Ok(Base { dir, fingerprint });
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(MaterializeError::Io {
                action: "moving the base into place at",
                path: dir,
                source: e,
            });
        }
    }
    // The marker sits outside the commit (it is written after it) and is excluded below.
    std::fs::write(dir.join(".refbench-base-ok"), "").map_err(io("writing", &dir))?;
    Ok(Base { dir, fingerprint })
}

fn build_base(task: &Task, bugs: &[&SeededBug], dir: &Path) -> Result<(), MaterializeError> {
    for rel in fixture_files(&task.repo_dir)? {
        let from = task.repo_dir.join(&rel);
        let to = dir.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
        }
        std::fs::copy(&from, &to).map_err(io("copying", &from))?;
    }
    let repo = git2::Repository::init(dir).map_err(git("initialising the base repository"))?;
    for bug in bugs {
        let diff = git2::Diff::from_buffer(bug.inject_patch.as_bytes()).map_err(|e| {
            MaterializeError::InjectFailed {
                bug: bug.id.0.clone(),
                message: e.message().to_string(),
            }
        })?;
        repo.apply(&diff, git2::ApplyLocation::WorkDir, None)
            .map_err(|e| MaterializeError::InjectFailed {
                bug: bug.id.0.clone(),
                message: e.message().to_string(),
            })?;
    }
    if let Some(argv) = crate::lang::support(task.language).dependency_fetch(dir) {
        fetch_dependencies(task, dir, &argv)?;
    }
    let exclude = dir.join(".git").join("info").join("exclude");
    if let Some(parent) = exclude.parent() {
        std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
    }
    std::fs::write(&exclude, ".refbench-base-ok\n").map_err(io("writing", &exclude))?;
    let commit = commit_all(&repo, "base")?;
    pack_objects(&repo, commit)?;
    Ok(())
}

/// Moves the objects of `commit` into one pack and removes the loose ones: every attempt
/// copies the base, and a few files of history copy in a fraction of the time of one file per
/// object (a Python fixture's checkout: about 70 ms to 20 ms).
fn pack_objects(repo: &git2::Repository, commit: git2::Oid) -> Result<(), MaterializeError> {
    use std::io::Write;
    let mut builder = repo.packbuilder().map_err(git("packing the objects"))?;
    builder
        .insert_commit(commit)
        .map_err(git("packing the objects"))?;
    let odb = repo.odb().map_err(git("opening the object database"))?;
    let mut writer = odb.packwriter().map_err(git("writing a pack"))?;
    let mut written = Ok(());
    builder
        .foreach(|chunk| {
            written = writer.write_all(chunk);
            written.is_ok()
        })
        .map_err(git("writing a pack"))?;
    written.map_err(io("writing a pack in", repo.path()))?;
    writer.commit().map_err(git("writing a pack"))?;
    let objects = repo.path().join("objects");
    for entry in std::fs::read_dir(&objects).map_err(io("reading", &objects))? {
        let entry = entry.map_err(io("reading", &objects))?;
        let name = entry.file_name();
        let loose = name.len() == 2
            && name
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_hexdigit()));
        if loose {
            std::fs::remove_dir_all(entry.path()).map_err(io("removing", &entry.path()))?;
        }
    }
    Ok(())
}

/// Stages every file of the work tree and commits it with a fixed author and date, so a base's
/// commit id depends only on its content.
pub fn commit_all(repo: &git2::Repository, message: &str) -> Result<git2::Oid, MaterializeError> {
    let mut index = repo.index().map_err(git("opening the index"))?;
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .map_err(git("staging files"))?;
    index.write().map_err(git("writing the index"))?;
    let tree_id = index.write_tree().map_err(git("writing the tree"))?;
    let tree = repo.find_tree(tree_id).map_err(git("reading the tree"))?;
    let sig = git2::Signature::new("refbench", "refbench@localhost", &git2::Time::new(0, 0))
        .map_err(git("making a signature"))?;
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[])
        .map_err(git("committing"))
}

/// Runs the language's dependency fetch (`argv`, never empty) in the base `dir`.
fn fetch_dependencies(task: &Task, dir: &Path, argv: &[String]) -> Result<(), MaterializeError> {
    let out = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .output()
        .map_err(io("running the dependency fetch in", dir))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String = stderr
            .lines()
            .rev()
            .take(10)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        return Err(MaterializeError::Fetch {
            task: task.id.0.clone(),
            command: argv.join(" "),
            stderr: tail,
        });
    }
    Ok(())
}

impl Base {
    /// Copies the base (work tree and `.git`) into `dest`, which must not exist yet; what
    /// neither libgit2 nor an agent's git needs is left out (hook samples, reflogs, the
    /// description, the base's marker): every file copied costs an attempt time.
    pub fn checkout(&self, dest: &Path) -> Result<(), MaterializeError> {
        let left_out = [
            Path::new(".refbench-base-ok"),
            Path::new(".git/hooks"),
            Path::new(".git/logs"),
            Path::new(".git/description"),
        ];
        copy_tree_filtered(&self.dir, dest, &|rel| !left_out.contains(&rel))
    }
}

/// Recursive copy keeping symlinks as symlinks and file modes.
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), MaterializeError> {
    copy_tree_filtered(from, to, &|_| true)
}

/// [`copy_tree`] of the entries whose path relative to `from` passes `keep` (a folder left
/// out is left out whole). Folders and links are made in one walk; the files are then copied
/// in parallel (a copy is a handful of system calls, so a tree of a few hundred files copies
/// about as many times faster as there are cores).
pub fn copy_tree_filtered(
    from: &Path,
    to: &Path,
    keep: &dyn Fn(&Path) -> bool,
) -> Result<(), MaterializeError> {
    use rayon::prelude::*;
    fn walk(
        root: &Path,
        from: &Path,
        to: &Path,
        keep: &dyn Fn(&Path) -> bool,
        files: &mut Vec<(PathBuf, PathBuf)>,
    ) -> Result<(), MaterializeError> {
        std::fs::create_dir_all(to).map_err(io("creating", to))?;
        let entries = std::fs::read_dir(from).map_err(io("reading", from))?;
        for entry in entries {
            let entry = entry.map_err(io("reading", from))?;
            let src = entry.path();
            if !keep(src.strip_prefix(root).expect("walk stays under its root")) {
                continue;
            }
            let dst = to.join(entry.file_name());
            let kind = entry.file_type().map_err(io("inspecting", &src))?;
            if kind.is_dir() {
                walk(root, &src, &dst, keep, files)?;
            } else if kind.is_symlink() {
                let target = std::fs::read_link(&src).map_err(io("reading link", &src))?;
                std::os::unix::fs::symlink(&target, &dst).map_err(io("linking", &dst))?;
            } else {
                files.push((src, dst));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(from, from, to, keep, &mut files)?;
    files.par_iter().try_for_each(|(src, dst)| {
        std::fs::copy(src, dst)
            .map(|_| ())
            .map_err(io("copying", src))
    })
}

/// The files under `overlay` (none if it does not exist), relative to it, sorted.
pub fn overlay_paths(overlay: &Path) -> Result<Vec<String>, MaterializeError> {
    let mut paths = Vec::new();
    if !overlay.is_dir() {
        return Ok(paths);
    }
    let walker = ignore::WalkBuilder::new(overlay)
        .standard_filters(false)
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| MaterializeError::Io {
            action: "walking",
            path: overlay.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(overlay)
            .expect("walk stays under its root");
        paths.push(rel.to_string_lossy().into_owned());
    }
    paths.sort();
    Ok(paths)
}

/// Copies every file under `overlay` over `repo`, at the same relative paths. Returns the
/// relative paths written, sorted.
pub fn overlay_files(overlay: &Path, repo: &Path) -> Result<Vec<String>, MaterializeError> {
    let written = overlay_paths(overlay)?;
    for rel in &written {
        let dest = repo.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
        }
        // A model may have replaced the destination with a symlink; never write through it.
        if dest.symlink_metadata().is_ok() {
            std::fs::remove_file(&dest).map_err(io("replacing", &dest))?;
        }
        let src = overlay.join(rel);
        std::fs::copy(&src, &dest).map_err(io("copying", &src))?;
    }
    Ok(written)
}

/// Fingerprint of everything that decides a task's grading: its base, task.toml, gold patch,
/// hidden tests, and each bug's bug.toml and detector files. A resumed run refuses to continue
/// when it changed.
pub fn inputs_fingerprint(task: &Task, bugs: &[&SeededBug]) -> Result<String, MaterializeError> {
    let mut hasher = Sha256::new();
    hasher.update(base_fingerprint(task, bugs)?.as_bytes());
    hasher.update(task.text.as_bytes());
    hasher.update(task.gold_patch.as_bytes());
    if let crate::catalog::TaskVariant::Impossible(v) = &task.variant {
        hasher.update(v.text.as_bytes());
    }
    let mut dirs = task.hidden_dirs();
    for bug in bugs {
        let toml = std::fs::read(&bug.file_path).map_err(io("reading", &bug.file_path))?;
        hasher.update(&toml);
        dirs.push(bug.detector_dir());
    }
    for dir in dirs {
        if !dir.is_dir() {
            continue;
        }
        let walker = ignore::WalkBuilder::new(&dir)
            .standard_filters(false)
            .sort_by_file_name(|a, b| a.cmp(b))
            .build();
        for entry in walker.flatten() {
            if entry.file_type().is_some_and(|t| t.is_file()) {
                let bytes = std::fs::read(entry.path()).map_err(io("reading", entry.path()))?;
                hasher.update(
                    entry
                        .path()
                        .strip_prefix(&dir)
                        .unwrap_or(entry.path())
                        .to_string_lossy()
                        .as_bytes(),
                );
                hasher.update(b"\0");
                hasher.update(&bytes);
            }
        }
    }
    Ok(crate::fsutil::hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_keeps_its_history_in_one_pack_and_checks_out_clean() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let catalog = crate::lang::load_catalog(root).expect("the fixtures load");
        let task = catalog
            .tasks
            .values()
            .find(|t| t.language == crate::catalog::Language::Python)
            .expect("a Python fixture task");
        let cache = tempfile::tempdir().unwrap();
        let base = materialize_base(
            task,
            &catalog.bugs_of(task),
            &crate::cache::CacheLayout::new(cache.path()),
        )
        .unwrap();
        let objects = base.dir.join(".git/objects");
        let names: Vec<String> = std::fs::read_dir(&objects)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| n.len() != 2),
            "loose objects left: {names:?}"
        );
        let packs = std::fs::read_dir(objects.join("pack"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "pack")
            })
            .count();
        assert_eq!(packs, 1);

        let attempt = cache.path().join("attempt");
        base.checkout(&attempt).unwrap();
        let repo = git2::Repository::open(&attempt).unwrap();
        let tree = repo.head().unwrap().peel_to_tree().unwrap();
        assert!(!tree.is_empty(), "the commit holds the fixture's files");
        let statuses = repo.statuses(None).unwrap();
        assert!(statuses.is_empty(), "the checkout matches its commit");
    }
}
