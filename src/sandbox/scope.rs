//! What a sandboxed command may read: the allow-list Landlock enforces.
//!
//! In: the places the caller names, each with its [`ReadRole`] (the toolchain, the Python
//! environment, the harness, a build cache), on top of the system directories every command
//! needs ([`ReadScope::system`]). Out: a [`ReadScope`], the paths below which the command
//! may read and execute. The command's working directory, its scratch directory and its
//! writable paths ([`super::CommandSpec`]) are readable as well; everything else (the runs
//! folder, other attempts, the cache's other bases and build slots, the fixtures with their
//! gold patches and hidden tests, the seeded bugs, the project checkout) is not: opening a
//! file there fails with EACCES. Names stay visible (`stat` and path walks are not
//! restricted by Landlock), contents do not.
//!
//! The scope is a value the caller builds (the scorer through
//! the toolchain stage's `Toolchain::read_scope`), so that anything else that runs graded code
//! (agent mode's shell) can grant exactly the same.

use std::path::{Path, PathBuf};

/// Why a path is readable: shown when a scope is described, and kept so that a reader of the
/// allow-list knows what each entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadRole {
    /// The operating system: programs, libraries, `/etc`, `/proc`, `/dev`, `/sys`.
    System,
    /// A language toolchain (rustup's toolchains, cargo's binaries and registry).
    Toolchain,
    /// The Python environment tests run in (the virtual environment and its base
    /// interpreter).
    PythonEnv,
    /// refbench's harness code (`harness/`), imported by tests and detectors.
    Harness,
    /// A build cache the command builds against (the slot's cargo target dir).
    BuildCache,
}

impl std::fmt::Display for ReadRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReadRole::System => "system",
            ReadRole::Toolchain => "toolchain",
            ReadRole::PythonEnv => "python environment",
            ReadRole::Harness => "harness",
            ReadRole::BuildCache => "build cache",
        })
    }
}

/// One readable place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readable {
    /// What it is for.
    pub role: ReadRole,
    /// A folder (everything below it is readable) or a single file.
    pub path: PathBuf,
}

/// The paths a sandboxed command may read below, besides its own tree, scratch and writable
/// paths. Build it with [`ReadScope::system`] and [`ReadScope::with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadScope {
    entries: Vec<Readable>,
}

/// System folders every command may read (those missing on a host are skipped). `/tmp`,
/// `/home`, `/root`, `/var`, `/opt`, `/srv`, `/mnt` and `/work`-like checkouts are not among
/// them: what a command needs there is named by role.
const SYSTEM: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/proc", "/dev", "/sys",
];

impl ReadScope {
    /// The system folders only: enough for `sh`, coreutils and the system's interpreters.
    pub fn system() -> ReadScope {
        ReadScope {
            entries: SYSTEM
                .iter()
                .map(|p| Readable {
                    role: ReadRole::System,
                    path: PathBuf::from(p),
                })
                .collect(),
        }
    }

    /// Adds `path` (a folder or a file) for `role`. Relative paths are made absolute against
    /// the current directory; a path that does not exist is kept and skipped when the rules
    /// are made.
    pub fn with(mut self, role: ReadRole, path: impl Into<PathBuf>) -> ReadScope {
        self.add(role, path);
        self
    }

    /// Adds `path` for `role` (see [`ReadScope::with`]).
    pub fn add(&mut self, role: ReadRole, path: impl Into<PathBuf>) {
        let path = path.into();
        let path = std::path::absolute(&path).unwrap_or(path);
        if !self.entries.iter().any(|e| e.path == path) {
            self.entries.push(Readable { role, path });
        }
    }

    /// Every readable place, in the order added.
    pub fn entries(&self) -> &[Readable] {
        &self.entries
    }

    /// The paths alone.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.entries.iter().map(|e| e.path.as_path())
    }

    /// Whether `path` is readable by this scope alone (below one of its entries). Lexical:
    /// links are not resolved (Landlock resolves them when the rules are made).
    pub fn covers(&self, path: &Path) -> bool {
        self.paths().any(|p| path.starts_with(p))
    }
}

impl Default for ReadScope {
    fn default() -> Self {
        ReadScope::system()
    }
}

/// The entries of `cargo_home` a build needs (binaries, registry, git checkouts, settings),
/// each a path of its own: everything but `credentials` and `credentials.toml`, which hold
/// registry tokens. A missing folder gives nothing.
pub fn cargo_home_entries(cargo_home: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(cargo_home) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with("credentials"))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// The prefix of the interpreter a virtual environment was made from (the parent of the
/// `home` folder in its `pyvenv.cfg`), which holds the standard library; `None` when `venv`
/// has no readable `pyvenv.cfg`.
pub fn venv_base_prefix(venv: &Path) -> Option<PathBuf> {
    let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).ok()?;
    cfg.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "home").then(|| {
            let home = PathBuf::from(value.trim());
            // `home` is the interpreter's bin folder; the prefix above it holds lib/.
            home.parent().map(Path::to_path_buf).unwrap_or(home)
        })
    })
}

/// What of the tree `cwd` a command may change when `read_only` (relative to `cwd`) must stay
/// as it is: `cwd` itself when nothing is read-only; otherwise, walking down from `cwd`
/// through the folders that hold a read-only path, every other entry of those folders (a
/// file, or a whole folder), never a read-only path, a folder holding one, or a symbolic link
/// (its target may lie outside the tree). Landlock's rights on a folder cover everything below
/// it, so a folder holding a read-only path gets none: nothing can be added to it, removed from
/// it or renamed in it (which also stops a read-only file being replaced or linked elsewhere),
/// while its other files stay writable one by one. Paths that do not exist are ignored.
pub fn writable_except(cwd: &Path, read_only: &[PathBuf]) -> Vec<PathBuf> {
    let kept: Vec<&Path> = read_only
        .iter()
        .map(PathBuf::as_path)
        .filter(|p| !p.as_os_str().is_empty() && cwd.join(p).symlink_metadata().is_ok())
        .collect();
    if kept.is_empty() {
        return vec![cwd.to_path_buf()];
    }
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(cwd.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let child = rel.join(entry.file_name());
            if kept.iter().any(|p| *p == child) {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_symlink() {
                continue;
            }
            if kind.is_dir() && kept.iter().any(|p| p.starts_with(&child)) {
                stack.push(child);
            } else {
                out.push(cwd.join(child));
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writable_part_of_a_tree_leaves_out_read_only_paths_and_their_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in [
            "pkg/a.py",
            "pkg/sub/b.py",
            "tests/test_a.py",
            "tests/test_hidden.py",
            "tests/data/x.json",
            "pytest.ini",
            "README",
        ] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), "").unwrap();
        }
        std::os::unix::fs::symlink("/etc", root.join("link")).unwrap();
        assert_eq!(writable_except(root, &[]), vec![root.to_path_buf()]);
        let read_only = [
            PathBuf::from("tests/test_hidden.py"),
            PathBuf::from("pytest.ini"),
            PathBuf::from("gone.py"),
        ];
        let rel: Vec<PathBuf> = writable_except(root, &read_only)
            .into_iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            rel,
            ["README", "pkg", "tests/data", "tests/test_a.py"]
                .map(PathBuf::from)
                .to_vec()
        );
        // Only paths that do not exist: the whole tree.
        assert_eq!(
            writable_except(root, &[PathBuf::from("gone.py")]),
            vec![root.to_path_buf()]
        );
    }

    #[test]
    fn system_scope_leaves_out_home_tmp_and_checkouts() {
        let scope = ReadScope::system();
        assert!(scope.covers(Path::new("/usr/bin/sh")));
        assert!(scope.covers(Path::new("/etc/passwd")));
        for hidden in ["/tmp/x", "/root/.cargo", "/home/u", "/work/main", "/var/x"] {
            assert!(!scope.covers(Path::new(hidden)), "{hidden}");
        }
        let scope = scope.with(ReadRole::Harness, "/work/main/harness");
        assert!(scope.covers(Path::new("/work/main/harness/python/x.py")));
        assert!(!scope.covers(Path::new("/work/main/repos-fixtures")));
        assert_eq!(scope.entries().last().unwrap().role, ReadRole::Harness);
    }

    #[test]
    fn cargo_home_without_credentials() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["bin", "registry", "git"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        for name in ["credentials.toml", "credentials", "config.toml"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let names: Vec<String> = cargo_home_entries(dir.path())
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["bin", "config.toml", "git", "registry"]);
        assert!(cargo_home_entries(&dir.path().join("missing")).is_empty());
    }

    #[test]
    fn venv_prefix_from_pyvenv_cfg() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyvenv.cfg"),
            "home = /opt/py/3.11/bin\ninclude-system-site-packages = false\n",
        )
        .unwrap();
        assert_eq!(
            venv_base_prefix(dir.path()),
            Some(PathBuf::from("/opt/py/3.11"))
        );
        assert_eq!(venv_base_prefix(&dir.path().join("none")), None);
    }
}
