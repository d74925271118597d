//! File-system helpers shared by the stages.
//!
//! In: folders that an attempt's code wrote into. Out: those folders gone, or readable again.
//!
//! An attempt's tests and an agent's commands run under the user who runs refbench, and may
//! take the permissions off the files and folders they make (`chmod 000 junk`). For any user
//! but root, `remove_dir_all` then stops at such a folder and leaves the whole tree behind, one
//! per attempt: [`remove_all`] opens the tree's own folders up first (never through a link)
//! and removes it again. And the clean room could not read an agent's locked file, which would
//! end the attempt in a harness error (kept out of the resolve rate, and asked again by
//! `--retry-errors`) instead of grading it: [`open_for_reading`] gives the owner read access
//! back first.

use std::path::Path;

/// `remove_dir_all` that also gets through folders the tree's code made unreadable or
/// unwritable. Links are removed, never followed.
pub fn remove_all(dir: &Path) -> std::io::Result<()> {
    if std::fs::remove_dir_all(dir).is_ok() {
        return Ok(());
    }
    open_for_reading(dir);
    std::fs::remove_dir_all(dir)
}

/// Gives the owner back read access to everything in `dir` (folders: read, write, search;
/// files: read), never through a link: an agent's commands may take the permissions off the
/// files and folders of its tree (`chmod 000 src/a.py`), and the harness, for any user but
/// root, could then not read its own copy of the work it grades. Entries the owner cannot
/// change (made by another user) are left as they are. Called once the commands that wrote
/// the tree are over (in the sandbox each ran in a PID namespace killed with it), so nothing
/// of theirs swaps an entry for a link between its check and its change. [`remove_all`]
/// opens a tree up this way too before removing it again.
pub fn open_for_reading(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = dir.symlink_metadata() else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    let mode = meta.permissions().mode();
    if mode & 0o700 != 0o700 {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o700));
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => open_for_reading(&path),
            Ok(t) if t.is_file() => {
                if let Ok(m) = path.symlink_metadata() {
                    let mode = m.permissions().mode();
                    if mode & 0o400 == 0 {
                        let _ = std::fs::set_permissions(
                            &path,
                            std::fs::Permissions::from_mode(mode | 0o400),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `path` (folders made) through a temporary file in the same folder renamed
/// into place, so readers, in this process or another, see the old file or the whole new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `text` when it is at most `cap` bytes; else its first and last `cap / 2` bytes (cut on
/// character boundaries) with `mark(bytes_left_out)` between them, so a reader sees both ends
/// of a long log and how much is missing.
pub fn cut_middle(text: &str, cap: usize, mark: impl Fn(usize) -> String) -> String {
    if text.len() <= cap {
        return text.to_string();
    }
    let mut head = cap / 2;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - cap / 2;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    format!("{}{}{}", &text[..head], mark(tail - head), &text[tail..])
}

#[cfg(test)]
mod cut_tests {
    use super::cut_middle;

    #[test]
    fn both_ends_are_kept_on_char_boundaries_and_the_cut_is_counted() {
        let mark = |n: usize| format!("[{n} cut]");
        assert_eq!(cut_middle("short", 10, mark), "short");
        assert_eq!(cut_middle("abcdefghij", 4, mark), "ab[6 cut]ij");
        // 'é' is two bytes: a cut inside one moves out of it (the head stops before it, the
        // tail starts after it), keeping less rather than half a character.
        assert_eq!(cut_middle("aéé bcdeéz", 4, mark), "a[11 cut]z");
        assert_eq!(cut_middle("aéé bcdeéz", 6, mark), "aé[7 cut]éz");
    }
}

#[cfg(test)]
mod tests {
    use super::{open_for_reading, remove_all};
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    /// A tree with a folder locked at two depths, a file in each, and a link out of the tree
    /// to a locked folder that must stay as it is.
    fn locked_tree(root: &Path, outside: &Path) {
        std::fs::create_dir_all(root.join("junk/deeper/deepest")).unwrap();
        std::fs::write(root.join("junk/deeper/deepest/f"), "x").unwrap();
        std::fs::write(root.join("junk/f"), "x").unwrap();
        std::fs::create_dir_all(outside.join("kept")).unwrap();
        std::os::unix::fs::symlink(outside.join("kept"), root.join("junk/link")).unwrap();
        let lock =
            |p: &Path| std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o000)).unwrap();
        lock(&outside.join("kept"));
        lock(&root.join("junk/deeper"));
        lock(&root.join("junk"));
    }

    fn check_removal(scratch: &Path) {
        let (root, outside) = (scratch.join("tree"), scratch.join("outside"));
        locked_tree(&root, &outside);
        remove_all(&root).unwrap();
        assert!(root.symlink_metadata().is_err(), "the tree is gone");
        let kept = std::fs::metadata(outside.join("kept")).unwrap();
        assert_eq!(
            kept.permissions().mode() & 0o777,
            0,
            "not opened through the link"
        );
    }

    /// Root reads and removes through locked folders anyway, so as root a check runs again in
    /// a child process (a copy of this test binary) under uid 65534, where it can fail: `test`
    /// is the test's full name, `check` its body on a scratch folder.
    fn as_root_and_unprivileged(test: &str, check: fn(&Path)) {
        if std::env::var_os("REFBENCH_FSUTIL_UNPRIVILEGED").is_some() {
            let scratch = std::env::var_os("REFBENCH_FSUTIL_SCRATCH").expect("scratch folder");
            check(Path::new(&scratch));
            return;
        }
        let scratch = tempfile::tempdir().unwrap();
        if !nix::unistd::geteuid().is_root() {
            check(scratch.path());
            return;
        }
        // Also as root: the unprivileged child makes and checks its own tree.
        check(scratch.path());
        let child_scratch = scratch.path().join("child");
        std::fs::create_dir(&child_scratch).unwrap();
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        nix::unistd::chown(&child_scratch, Some(65534.into()), Some(65534.into())).unwrap();
        // A copy of this test binary, started in the scratch folder: the checkout may be out
        // of the user's reach.
        let exe = scratch.path().join("test-binary");
        std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&exe)
            .current_dir(scratch.path())
            .args(["--exact", test])
            .env("REFBENCH_FSUTIL_UNPRIVILEGED", "1")
            .env("REFBENCH_FSUTIL_SCRATCH", &child_scratch)
            .output()
            .expect("setpriv (util-linux) runs the check as uid 65534");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "as uid 65534: {}\n{stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn locked_folders_are_removed() {
        as_root_and_unprivileged("fsutil::tests::locked_folders_are_removed", check_removal);
    }

    fn check_reading(scratch: &Path) {
        let (root, outside) = (scratch.join("tree"), scratch.join("outside"));
        locked_tree(&root, &outside);
        std::fs::write(root.join("a.py"), "A = 1\n").unwrap();
        let lock =
            |p: &Path| std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o000)).unwrap();
        lock(&root.join("a.py"));
        open_for_reading(&root);
        assert_eq!(
            std::fs::read_to_string(root.join("a.py")).unwrap(),
            "A = 1\n"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("junk/deeper/deepest/f")).unwrap(),
            "x"
        );
        let kept = std::fs::metadata(outside.join("kept")).unwrap();
        assert_eq!(
            kept.permissions().mode() & 0o777,
            0,
            "not opened through the link"
        );
        remove_all(&root).unwrap();
    }

    #[test]
    fn locked_files_and_folders_are_opened_for_reading() {
        as_root_and_unprivileged(
            "fsutil::tests::locked_files_and_folders_are_opened_for_reading",
            check_reading,
        );
    }
}
