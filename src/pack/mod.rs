//! Pack: decides what of a repository the model sees.
//!
//! In: an attempt's base repository and its task. Out: a [`Context`], the files the prompt
//! will carry, each with its language and size.
//!
//! This version inventories the repository (honouring `.gitignore`, skipping binary files and
//! files over [`MAX_FILE_BYTES`]) in path order. The built-in references (`gold`, `empty`) need
//! no context, so the run loop does not call it for them. Tree-sitter parsing, the
//! definition/reference graph, task-aware ranking and the exact token budget are the packer
//! work still to come; until then no provider model can be asked, so nothing is ever scored on
//! an unranked context.

use std::path::{Path, PathBuf};

use crate::task::Language;

/// Files larger than this are left out of a context.
pub const MAX_FILE_BYTES: u64 = 512 * 1024;

/// One file of a context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFile {
    /// Path relative to the repo root.
    pub path: PathBuf,
    /// Its language, when refbench parses it.
    pub language: Option<Language>,
    /// Size in bytes.
    pub bytes: u64,
}

/// What the model will see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Files, in path order.
    pub files: Vec<ContextFile>,
}

/// The language refbench parses a path as.
pub fn language_of(path: &Path) -> Option<Language> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("py") => Some(Language::Python),
        Some("rs") => Some(Language::Rust),
        _ => None,
    }
}

/// Inventories `repo`: text files under the size limit, `.gitignore` honoured, `.git` skipped.
pub fn inventory(repo: &Path) -> std::io::Result<Context> {
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(repo)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| std::io::Error::other(e.to_string()))?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let bytes = entry
            .metadata()
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .len();
        if bytes > MAX_FILE_BYTES || looks_binary(entry.path())? {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(repo)
            .expect("walk stays under its root")
            .to_path_buf();
        files.push(ContextFile {
            language: language_of(&rel),
            path: rel,
            bytes,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Context { files })
}

fn looks_binary(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut buf = [0u8; 4096];
    let n = std::fs::File::open(path)?.read(&mut buf)?;
    Ok(buf[..n].contains(&0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_honours_gitignore_and_skips_binaries() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join(".gitignore"), "target/\n").unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        std::fs::write(root.join("target/out.rs"), "fn x() {}").unwrap();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/lib.rs"), "pub fn f() {}").unwrap();
        std::fs::write(root.join("app.py"), "x = 1").unwrap();
        std::fs::write(root.join("blob.bin"), [0u8, 1, 2]).unwrap();
        let ctx = inventory(root).unwrap();
        let paths: Vec<String> = ctx
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        assert_eq!(paths, vec![".gitignore", "app.py", "src/lib.rs"]);
        assert_eq!(ctx.files[1].language, Some(Language::Python));
    }
}
