//! The agent's edit: its final tree diffed against the base, as a git patch.
//!
//! In: a fresh checkout of the task's base (its `.git` names the base commit, whatever the
//! agent did to the `.git` of its own tree) and the agent's final tree. Out: the unified diff
//! of every change (added, deleted and modified files, untracked ones included), which the
//! run then applies to a clean copy of the base and grades exactly like a single-shot reply.
//!
//! Files the tools of the task leave behind (`__pycache__/`, `.pytest_cache/`, `*.pyc`, a
//! `target/` folder) are not the agent's edit and are left out, as are paths the work tree's
//! `.gitignore` ignores.

use std::path::Path;

use git2::{DiffOptions, Patch, Repository};

/// Folder or file names never part of the edit.
const GENERATED: &[&str] = &["__pycache__", ".pytest_cache", "target", ".mypy_cache"];

/// The diff of `tree` against the base checked out at `base_checkout`.
pub fn tree_diff(base_checkout: &Path, tree: &Path) -> Result<String, git2::Error> {
    let repo = Repository::open(base_checkout)?;
    let base = repo.head()?.peel_to_tree()?;
    repo.set_workdir(tree, false)?;
    let mut options = DiffOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .show_untracked_content(true)
        .show_binary(true);
    let diff = repo.diff_tree_to_workdir(Some(&base), Some(&mut options))?;
    let mut out = String::new();
    for index in 0..diff.deltas().len() {
        let delta = diff.get_delta(index).expect("index in range");
        let path = delta
            .new_file()
            .path()
            .or_else(|| delta.old_file().path())
            .unwrap_or(Path::new(""));
        let generated = path.components().any(|c| {
            let name = c.as_os_str().to_string_lossy();
            GENERATED.contains(&name.as_ref()) || name.ends_with(".pyc")
        });
        if generated {
            continue;
        }
        if let Some(mut patch) = Patch::from_diff(&diff, index)? {
            out.push_str(&String::from_utf8_lossy(&patch.to_buf()?));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_additions_and_deletions_are_diffed_and_caches_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("a.py"), "x = 1\n").unwrap();
        std::fs::write(base.join("gone.py"), "y = 2\n").unwrap();
        let repo = Repository::init(&base).unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@t").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "base", &tree, &[])
            .unwrap();

        let work = dir.path().join("work");
        crate::materialize::copy_tree(&base, &work).unwrap();
        std::fs::write(work.join("a.py"), "x = 3\n").unwrap();
        std::fs::remove_file(work.join("gone.py")).unwrap();
        std::fs::create_dir_all(work.join("pkg/__pycache__")).unwrap();
        std::fs::write(work.join("pkg/new.py"), "z = 4\n").unwrap();
        std::fs::write(work.join("pkg/__pycache__/new.cpython-311.pyc"), "junk").unwrap();
        // The agent's own commits do not hide its changes: the base's HEAD is the reference.
        std::fs::remove_dir_all(work.join(".git")).unwrap();

        let patch = tree_diff(&base, &work).unwrap();
        assert!(patch.contains("-x = 1\n+x = 3\n"), "{patch}");
        assert!(patch.contains("+++ /dev/null"), "{patch}");
        assert!(patch.contains("+++ b/pkg/new.py"), "{patch}");
        assert!(!patch.contains("__pycache__"), "{patch}");
    }
}
