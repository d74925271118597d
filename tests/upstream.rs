//! Upstream fixtures end to end: the real binary against a mock registry (wiremock) serving a
//! tar.gz built here. The catalog fetches once, verifies, excludes, applies the overlay and
//! lists the fixture's tasks; a hash mismatch and a missing version are errors naming the
//! fixture and fixture.toml; `new fixture --from-pypi / --from-crate` pins what the registry
//! publishes. One ignored test reads the real crates.io.

mod common;

use std::io::Write;
use std::path::Path;

use common::{mini_project, refbench, text, write};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A gzip'd tar of the files under `dir`, inside the top folder `top`, plus `extra` files.
fn targz_of(dir: &Path, top: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_dir_all(top, dir).unwrap();
    for (rel, content) in extra {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder
            .append_data(&mut h, format!("{top}/{rel}"), content.as_bytes())
            .unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

const OVERLAY: &str = "\
diff --git a/OVERLAY.md b/OVERLAY.md
new file mode 100644
--- /dev/null
+++ b/OVERLAY.md
@@ -0,0 +1 @@
+added by the overlay
";

/// The mini project with its fixture turned upstream: the archive (mini's repo/ plus a
/// PKG-INFO and a docs/ folder to exclude) and the project root without repo/.
fn upstream_mini(sha_override: Option<&str>, version: &str) -> (tempfile::TempDir, Vec<u8>) {
    let project = mini_project();
    let root = project.path();
    let fixture = root.join("repos-fixtures/mini");
    let archive = targz_of(
        &fixture.join("repo"),
        "mini-1.0",
        &[
            (
                "PKG-INFO",
                "Metadata-Version: 2.1\nName: mini\nLicense: MIT\n",
            ),
            ("docs/guide.md", "excluded\n"),
        ],
    );
    std::fs::remove_dir_all(fixture.join("repo")).unwrap();
    let sha = sha_override.map_or_else(|| sha256_hex(&archive), str::to_string);
    write(&fixture, "overlay.patch", OVERLAY);
    write(
        &fixture,
        "fixture.toml",
        &format!(
            "language = \"python\"\n\n[upstream]\nregistry = \"pypi\"\npackage = \"mini\"\nversion = \"{version}\"\nsha256 = \"{sha}\"\nlicense = \"MIT\"\nexclude = [\"docs/**\"]\noverlay = \"overlay.patch\"\n"
        ),
    );
    (project, archive)
}

/// Serves `archive` as the sdist of mini 1.0; the download is expected `downloads` times.
async fn pypi_serving(archive: &[u8], downloads: u64) -> MockServer {
    let server = MockServer::start().await;
    let index = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": "mini",
        "files": [
            {"filename": "mini-1.0-py3-none-any.whl", "url": "/files/mini-1.0-py3-none-any.whl", "hashes": {}},
            {"filename": "mini-1.0.tar.gz", "url": "/files/mini-1.0.tar.gz#sha256=x", "hashes": {"sha256": sha256_hex(archive)}}
        ]
    });
    Mock::given(method("GET"))
        .and(path("/simple/mini/"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/vnd.pypi.simple.v1+json")
                .set_body_json(index),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/mini-1.0.tar.gz"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(archive.to_vec()))
        .expect(downloads)
        .mount(&server)
        .await;
    server
}

fn refbench_at(
    root: &Path,
    cache: &Path,
    server: &MockServer,
    args: &[&str],
) -> std::process::Output {
    refbench()
        .arg("--root")
        .arg(root)
        .arg("--cache-dir")
        .arg(cache)
        .args(args)
        .env("REFBENCH_PYPI_URL", server.uri())
        .env("REFBENCH_CRATES_URL", server.uri())
        .env("REFBENCH_CRATES_INDEX_URL", server.uri())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upstream_fixture_is_fetched_once_verified_trimmed_overlaid_and_listed() {
    let (project, archive) = upstream_mini(None, "1.0");
    let server = pypi_serving(&archive, 1).await;
    let cache = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = refbench_at(project.path(), cache.path(), &server, &["list", "tasks"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains("mini/add-sub"),
            "{}",
            text(&out.stdout)
        );
    }
    let key = format!("pypi-mini-1.0-{}", &sha256_hex(&archive)[..8]);
    let package = cache.path().join("upstream").join(&key);
    assert!(package.join("archive").is_file());
    let trees: Vec<_> = std::fs::read_dir(package.join("trees"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(trees.len(), 1, "one tree, built once");
    let tree = trees[0].path().join("tree");
    assert!(tree.join("calc/counter.py").is_file());
    assert!(!tree.join("docs").exists(), "docs/** is excluded");
    assert_eq!(
        std::fs::read_to_string(tree.join("OVERLAY.md")).unwrap(),
        "added by the overlay\n"
    );
    // The mock checks on drop that the archive was downloaded exactly once.
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hash_mismatch_names_the_fixture_and_its_fixture_toml() {
    let wrong = "0".repeat(64);
    let (project, archive) = upstream_mini(Some(&wrong), "1.0");
    let server = pypi_serving(&archive, 1).await;
    let cache = tempfile::tempdir().unwrap();
    let out = refbench_at(project.path(), cache.path(), &server, &["list", "tasks"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("repos-fixtures/mini/fixture.toml"), "{err}");
    assert!(err.contains("key `upstream.sha256`"), "{err}");
    assert!(
        err.contains("fixture `mini` (mini==1.0 from pypi)"),
        "{err}"
    );
    assert!(err.contains(&format!("fixture.toml pins {wrong}")), "{err}");
    assert!(err.contains(&sha256_hex(&archive)), "{err}");
    // Nothing unverified is kept.
    assert!(
        !cache.path().join("upstream").exists()
            || std::fs::read_dir(cache.path().join("upstream"))
                .unwrap()
                .flatten()
                .all(|e| !e.path().join("archive").exists())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_version_names_the_fixture() {
    let (project, archive) = upstream_mini(None, "9.9");
    let server = pypi_serving(&archive, 0).await;
    let cache = tempfile::tempdir().unwrap();
    let out = refbench_at(project.path(), cache.path(), &server, &["list", "tasks"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("fixture.toml"), "{err}");
    assert!(
        err.contains("fixture `mini` (mini==9.9 from pypi)"),
        "{err}"
    );
    assert!(err.contains("mini 9.9 is not on pypi"), "{err}");
    assert!(
        err.contains("lists no sdist named mini-9.9.tar.gz"),
        "{err}"
    );
    // A 404 from the registry for the whole project says so too.
    let (project, _) = upstream_mini(None, "1.0");
    std::fs::write(
        project.path().join("repos-fixtures/mini/fixture.toml"),
        std::fs::read_to_string(project.path().join("repos-fixtures/mini/fixture.toml"))
            .unwrap()
            .replace("package = \"mini\"", "package = \"nosuch\""),
    )
    .unwrap();
    let out = refbench_at(project.path(), cache.path(), &server, &["list", "tasks"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("nosuch 1.0 is not on pypi"), "{err}");
    assert!(err.contains("/simple/nosuch/ answered 404"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn new_fixture_from_pypi_pins_the_published_sha256_and_licence() {
    let (project, archive) = upstream_mini(None, "1.0");
    let server = pypi_serving(&archive, 1).await;
    let cache = tempfile::tempdir().unwrap();
    let out = refbench_at(
        project.path(),
        cache.path(),
        &server,
        &["new", "fixture", "demo", "--from-pypi", "mini==1.0"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("next steps:"), "{stdout}");
    let toml =
        std::fs::read_to_string(project.path().join("repos-fixtures/demo/fixture.toml")).unwrap();
    assert!(toml.contains("language = \"python\""), "{toml}");
    assert!(
        toml.contains(&format!("sha256 = \"{}\"", sha256_hex(&archive))),
        "{toml}"
    );
    assert!(toml.contains("license = \"MIT\""), "{toml}");
    assert!(project
        .path()
        .join("repos-fixtures/demo/README.md")
        .is_file());
    // The archive was kept: loading the catalog builds demo's tree without a second download
    // (the mock expects exactly one).
    let out = refbench_at(project.path(), cache.path(), &server, &["list", "tasks"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // And a task can be scaffolded on it (the language comes from fixture.toml).
    let out = refbench_at(
        project.path(),
        cache.path(),
        &server,
        &["new", "task", "demo/first"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn new_fixture_from_crate_reads_the_sparse_index() {
    let src = tempfile::tempdir().unwrap();
    write(
        src.path(),
        "Cargo.toml",
        "[package]\nname = \"demo\"\nversion = \"0.3.1\"\nlicense = \"MIT OR Apache-2.0\"\n",
    );
    write(src.path(), "src/lib.rs", "pub fn f() {}\n");
    let archive = targz_of(src.path(), "demo-0.3.1", &[]);
    let server = MockServer::start().await;
    let index = format!(
        "{{\"name\":\"demo\",\"vers\":\"0.3.0\",\"cksum\":\"{}\"}}\n{{\"name\":\"demo\",\"vers\":\"0.3.1\",\"cksum\":\"{}\"}}\n",
        "1".repeat(64),
        sha256_hex(&archive)
    );
    Mock::given(method("GET"))
        .and(path("/de/mo/demo"))
        .respond_with(ResponseTemplate::new(200).set_body_string(index))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/crates/demo/demo-0.3.1.crate"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(archive.clone()))
        .expect(1)
        .mount(&server)
        .await;
    let project = mini_project();
    let cache = tempfile::tempdir().unwrap();
    let out = refbench_at(
        project.path(),
        cache.path(),
        &server,
        &["new", "fixture", "rsdemo", "--from-crate", "demo@0.3.1"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let toml =
        std::fs::read_to_string(project.path().join("repos-fixtures/rsdemo/fixture.toml")).unwrap();
    assert!(toml.contains("language = \"rust\""), "{toml}");
    assert!(toml.contains("registry = \"crates\""), "{toml}");
    assert!(toml.contains("license = \"MIT OR Apache-2.0\""), "{toml}");
    // A version the index does not list is an error naming what it lists.
    let out = refbench_at(
        project.path(),
        cache.path(),
        &server,
        &["new", "fixture", "rsdemo2", "--from-crate", "demo@9.0.0"],
    );
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("demo 9.0.0 is not on crates"), "{err}");
    assert!(err.contains("the latest listed: 0.3.1, 0.3.0"), "{err}");
    assert!(!project.path().join("repos-fixtures/rsdemo2").exists());
}

/// Reads the real crates.io (CI can reach it): `REFBENCH_REAL_REGISTRY=1 cargo test --test
/// upstream -- --ignored`.
#[test]
#[ignore = "reaches crates.io; run with --ignored where the network is allowed"]
fn a_real_pinned_crate_is_fetched_and_verified() {
    let project = mini_project();
    let cache = tempfile::tempdir().unwrap();
    let out = refbench()
        .arg("--root")
        .arg(project.path())
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["new", "fixture", "cfgif", "--from-crate", "cfg-if@1.0.0"])
        .env_remove("REFBENCH_CRATES_URL")
        .env_remove("REFBENCH_CRATES_INDEX_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let toml =
        std::fs::read_to_string(project.path().join("repos-fixtures/cfgif/fixture.toml")).unwrap();
    // The published checksum of cfg-if 1.0.0.
    assert!(
        toml.contains(
            "sha256 = \"baf1de4339761588bc0619e3cbc0120ee582ebb74b53b4efbf79117bd2da40fd\""
        ),
        "{toml}"
    );
    assert!(toml.contains("license = \"MIT/Apache-2.0\""), "{toml}");
    let out = refbench()
        .arg("--root")
        .arg(project.path())
        .arg("--cache-dir")
        .arg(cache.path())
        .args(["list", "tasks"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}
