//! Unit tests of the upstream module: safe unpacking, excludes, the overlay, the cache's
//! marker and archive checks. The registry side is driven end to end in tests/upstream.rs.

use std::io::Write;
use std::path::Path;

use super::*;

/// One entry of a test archive.
pub(crate) enum Entry<'a> {
    File(&'a str, &'a str),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Fifo(&'a str),
}

/// A gzip'd tar of `entries`, paths written raw (so `..` and absolute paths can be made).
pub(crate) fn targz(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_old();
        let (path, kind, data, link): (&str, tar::EntryType, &[u8], Option<&str>) = match e {
            Entry::File(p, d) => (p, tar::EntryType::Regular, d.as_bytes(), None),
            Entry::Dir(p) => (p, tar::EntryType::Directory, b"", None),
            Entry::Symlink(p, t) => (p, tar::EntryType::Symlink, b"", Some(t)),
            Entry::Fifo(p) => (p, tar::EntryType::Fifo, b"", None),
        };
        let name = &mut h.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        if let Some(t) = link {
            h.as_old_mut().linkname[..t.len()].copy_from_slice(t.as_bytes());
        }
        h.set_entry_type(kind);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_cksum();
        builder.append(&h, data).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn spec(archive: &[u8]) -> UpstreamSpec {
    UpstreamSpec {
        registry: Registry::Pypi,
        package: "demo".into(),
        version: "1.0".into(),
        sha256: Sha256Hex::of(archive),
        license: "MIT".into(),
        root: None,
        exclude: vec![],
        overlay: None,
    }
}

fn unpack_err(entries: &[Entry]) -> String {
    let archive = targz(entries);
    let dir = tempfile::tempdir().unwrap();
    let err = unpack::unpack_tree(&archive, &spec(&archive), &dir.path().join("tree"))
        .expect_err("the archive must be refused");
    err.to_string()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn unpacks_the_top_folder_and_removes_excludes() {
    let archive = targz(&[
        Entry::Dir("demo-1.0/"),
        Entry::File("demo-1.0/demo/__init__.py", "x = 1\n"),
        Entry::File("demo-1.0/docs/index.md", "docs\n"),
        Entry::File("demo-1.0/docs/api/a.md", "api\n"),
        Entry::File("demo-1.0/tests/test_net.py", "net\n"),
        Entry::File("demo-1.0/tests/test_ok.py", "ok\n"),
        Entry::Symlink("demo-1.0/link.py", "demo/__init__.py"),
    ]);
    let mut s = spec(&archive);
    s.exclude = vec!["docs/**".into(), "tests/*net*".into()];
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    unpack::unpack_tree(&archive, &s, &tree).unwrap();
    assert_eq!(read(&tree.join("demo/__init__.py")), "x = 1\n");
    assert!(!tree.join("docs").exists(), "docs/** removes the folder");
    assert!(!tree.join("tests/test_net.py").exists());
    assert!(tree.join("tests/test_ok.py").is_file());
    assert_eq!(read(&tree.join("link.py")), "x = 1\n");
    // Only the tree is left in the parent (the staging folder is gone).
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(left.len(), 1);
}

#[test]
fn refuses_what_would_leave_the_tree_or_is_special() {
    let e = unpack_err(&[Entry::File("/etc/evil", "x")]);
    assert!(e.contains("/etc/evil is absolute or climbs"), "{e}");
    let e = unpack_err(&[Entry::File("demo-1.0/../../evil", "x")]);
    assert!(e.contains("climbs with `..`"), "{e}");
    let e = unpack_err(&[Entry::Symlink("demo-1.0/out", "../../etc")]);
    assert!(
        e.contains("link demo-1.0/out points at ../../etc, outside the tree"),
        "{e}"
    );
    let e = unpack_err(&[Entry::Symlink("demo-1.0/abs", "/etc/passwd")]);
    assert!(e.contains("outside the tree"), "{e}");
    let e = unpack_err(&[
        Entry::Symlink("demo-1.0/here", "."),
        Entry::File("demo-1.0/here/x", "y"),
    ]);
    assert!(e.contains("written through the link demo-1.0/here"), "{e}");
    let e = unpack_err(&[Entry::Fifo("demo-1.0/pipe")]);
    assert!(e.contains("device file, FIFO"), "{e}");
    assert!(e.contains("unpacking demo 1.0"), "{e}");
}

#[test]
fn a_link_that_leaves_through_another_link_is_refused() {
    // `top/up` -> `.` (inside) and `top/sub/esc` -> `../up/..`: each text stays inside, but
    // followed for real, `esc` is the parent of the tree.
    let e = unpack_err(&[
        Entry::Dir("top/sub/"),
        Entry::Symlink("top/up", "sub/.."),
        Entry::Symlink("top/sub/esc", "../up/../.."),
    ]);
    assert!(e.contains("outside the tree"), "{e}");
}

#[test]
fn several_top_folders_need_a_root() {
    let archive = targz(&[Entry::File("a/x", "1"), Entry::File("b/y", "2")]);
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(&archive);
    let e = unpack::unpack_tree(&archive, &s, &dir.path().join("t")).unwrap_err();
    assert!(e.to_string().contains("found [a, b]; set `root`"), "{e}");
    s.root = Some("b".into());
    unpack::unpack_tree(&archive, &s, &dir.path().join("t")).unwrap();
    assert_eq!(read(&dir.path().join("t/y")), "2");
}

const OVERLAY: &str = "\
diff --git a/demo/__init__.py b/demo/__init__.py
--- a/demo/__init__.py
+++ b/demo/__init__.py
@@ -1 +1,2 @@
 x = 1
+y = 2
diff --git a/pytest.ini b/pytest.ini
new file mode 100644
--- /dev/null
+++ b/pytest.ini
@@ -0,0 +1 @@
+[pytest]
";

fn demo_archive() -> Vec<u8> {
    targz(&[Entry::File("demo-1.0/demo/__init__.py", "x = 1\n")])
}

#[test]
fn builds_a_tree_once_with_its_overlay_and_a_marker() {
    let archive = demo_archive();
    let cache = tempfile::tempdir().unwrap();
    let fixture = tempfile::tempdir().unwrap();
    std::fs::write(fixture.path().join("overlay.patch"), OVERLAY).unwrap();
    let mut s = spec(&archive);
    s.overlay = Some("overlay.patch".into());
    // Nothing listens here: the archive must come from the cache.
    let registries = Registries {
        pypi: "http://127.0.0.1:9".into(),
        crates: "http://127.0.0.1:9".into(),
        crates_index: "http://127.0.0.1:9".into(),
    };
    let up = Upstream::new(CacheLayout::new(cache.path()), registries);
    up.keep_archive(&s, &archive).unwrap();
    let tree = up.tree(&s, fixture.path()).unwrap();
    assert!(tree.starts_with(cache.path().join("upstream").join(s.cache_key())));
    assert_eq!(read(&tree.join("demo/__init__.py")), "x = 1\ny = 2\n");
    assert_eq!(read(&tree.join("pytest.ini")), "[pytest]\n");
    assert!(
        !tree.join(".git").exists(),
        "the scratch repository is removed"
    );
    // Again: the same folder, not rebuilt (a file added to it stays).
    std::fs::write(tree.join("marker-of-reuse"), "").unwrap();
    assert_eq!(up.tree(&s, fixture.path()).unwrap(), tree);
    assert!(tree.join("marker-of-reuse").exists());
    // A changed overlay is a new recipe, hence a new tree beside the old one.
    std::fs::write(
        fixture.path().join("overlay.patch"),
        OVERLAY
            .replace("+[pytest]", "+[pytest]\n+addopts = -q")
            .replace("+1 @@", "+1,2 @@"),
    )
    .unwrap();
    let other = up.tree(&s, fixture.path()).unwrap();
    assert_ne!(other, tree);
    assert_eq!(read(&other.join("pytest.ini")), "[pytest]\naddopts = -q\n");
}

#[test]
fn a_tampered_marker_or_archive_is_refused() {
    let archive = demo_archive();
    let cache = tempfile::tempdir().unwrap();
    let fixture = tempfile::tempdir().unwrap();
    let s = spec(&archive);
    let up = Upstream::new(CacheLayout::new(cache.path()), Registries::default());
    up.keep_archive(&s, &archive).unwrap();
    let tree = up.tree(&s, fixture.path()).unwrap();
    let marker = tree.parent().unwrap().join("marker.json");
    let text = read(&marker).replace("\"demo\"", "\"other\"");
    std::fs::write(&marker, text).unwrap();
    let e = up.tree(&s, fixture.path()).unwrap_err().to_string();
    assert!(e.contains("was built from pypi other 1.0"), "{e}");
    assert!(e.contains("refbench cache clear --only upstream"), "{e}");
    // The kept archive is hashed again before it is unpacked.
    crate::fsutil::remove_all(tree.parent().unwrap()).unwrap();
    let kept = up.package_dir(&s).join("archive");
    std::fs::write(&kept, b"not the archive").unwrap();
    let e = up.tree(&s, fixture.path()).unwrap_err();
    assert!(matches!(e, UpstreamError::HashMismatch { .. }), "{e}");
    assert!(e.to_string().contains(&s.sha256.to_string()), "{e}");
}

#[test]
fn an_overlay_that_does_not_apply_says_so() {
    let archive = targz(&[Entry::File("demo-1.0/demo/__init__.py", "z = 9\n")]);
    let cache = tempfile::tempdir().unwrap();
    let fixture = tempfile::tempdir().unwrap();
    std::fs::write(fixture.path().join("overlay.patch"), OVERLAY).unwrap();
    let mut s = spec(&archive);
    s.overlay = Some("overlay.patch".into());
    let up = Upstream::new(CacheLayout::new(cache.path()), Registries::default());
    up.keep_archive(&s, &archive).unwrap();
    let e = up.tree(&s, fixture.path()).unwrap_err().to_string();
    assert!(e.contains("overlay.patch: it does not apply"), "{e}");
    assert!(e.contains("regenerate it"), "{e}");
    // Nothing half-built is left as a tree.
    let trees = up.package_dir(&s).join("trees");
    let left: Vec<_> = std::fs::read_dir(trees).unwrap().flatten().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn sha256_digests_are_checked_for_shape() {
    assert!(Sha256Hex::try_from("ab".to_string()).is_err());
    let ok = Sha256Hex::try_from("A".repeat(64)).unwrap();
    assert_eq!(ok.as_str(), "a".repeat(64));
    assert_eq!(ok.short(), "aaaaaaaa");
}

#[test]
fn builders_racing_for_one_tree_both_get_it_whole() {
    let archive = demo_archive();
    let cache = tempfile::tempdir().unwrap();
    let fixture = tempfile::tempdir().unwrap();
    std::fs::write(fixture.path().join("overlay.patch"), OVERLAY).unwrap();
    let mut s = spec(&archive);
    s.overlay = Some("overlay.patch".into());
    let up = Upstream::new(CacheLayout::new(cache.path()), Registries::default());
    up.keep_archive(&s, &archive).unwrap();
    let trees: Vec<PathBuf> = std::thread::scope(|scope| {
        let builders: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| up.tree(&s, fixture.path()).unwrap()))
            .collect();
        builders.into_iter().map(|b| b.join().unwrap()).collect()
    });
    assert!(trees.windows(2).all(|w| w[0] == w[1]), "{trees:?}");
    assert_eq!(read(&trees[0].join("demo/__init__.py")), "x = 1\ny = 2\n");
    // Only the winner is left: the losers' copies are removed.
    let left: Vec<_> = std::fs::read_dir(up.package_dir(&s).join("trees"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}
