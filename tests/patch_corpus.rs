//! The reply corpus (tests/data/replies/): every case applied to its base, checked by the
//! resulting file contents, the status, the reason, the protected files and the hygiene flags;
//! a canary outside the repository must be unchanged after every reply. A second test runs
//! `git apply` and GNU `patch --fuzz=3` on the diff cases that have a correct application and
//! compares how many each gets right.
//!
//! A case is a folder: `reply.md` (the reply as the model wrote it), `case.toml` (expected
//! outcome; `base` names a shared tree under `_bases/`), `base/` (files added to or replacing
//! the shared tree), `expected/` (files whose content changes), `deleted` in case.toml.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use refbench::patch::{apply_reply_with, ApplyOptions, ApplyStatus, EditFormat};
use serde::Deserialize;

const CANARY: &str = "canary\n";
const ABSOLUTE_TARGET: &str = "/tmp/refbench-canary-absolute.txt";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    description: String,
    base: Option<String>,
    status: ApplyStatus,
    format: Option<EditFormat>,
    reason: Option<String>,
    max_reply_bytes: Option<usize>,
    #[serde(default)]
    placeholders: usize,
    #[serde(default)]
    protected: Vec<String>,
    #[serde(default)]
    protected_touched: Vec<String>,
    #[serde(default)]
    symlinks: Vec<(String, String)>,
    #[serde(default, rename = "unsafe")]
    is_unsafe: bool,
    #[serde(default)]
    comparable: bool,
    #[serde(default)]
    deleted: Vec<String>,
}

struct Case {
    name: String,
    dir: PathBuf,
    spec: CaseSpec,
    reply: String,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/replies")
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('_') {
            continue;
        }
        let toml_text = std::fs::read_to_string(dir.join("case.toml")).unwrap();
        let spec: CaseSpec =
            toml::from_str(&toml_text).unwrap_or_else(|e| panic!("{name}/case.toml: {e}"));
        let reply = String::from_utf8(std::fs::read(dir.join("reply.md")).unwrap()).unwrap();
        out.push(Case {
            name,
            dir,
            spec,
            reply,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn copy_tree(from: &Path, to: &Path) {
    if !from.is_dir() {
        return;
    }
    for entry in walk(from) {
        let rel = entry.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &dest).unwrap();
    }
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let ft = p.symlink_metadata().unwrap().file_type();
            if ft.is_dir() {
                if p.file_name().unwrap() != ".git" {
                    stack.push(p);
                }
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Every entry under `root` (except .git): file contents, or `-> target` for symlinks.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(root)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let meta = p.symlink_metadata().unwrap();
            let content = if meta.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&p).unwrap().display()).into_bytes()
            } else {
                std::fs::read(&p).unwrap()
            };
            (rel, content)
        })
        .collect()
}

/// A scratch dir with `repo/` (the case's base, committed) and `outside/canary.txt`.
fn setup(case: &Case) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::create_dir_all(tmp.path().join("outside")).unwrap();
    std::fs::write(tmp.path().join("outside/canary.txt"), CANARY).unwrap();
    if let Some(base) = &case.spec.base {
        copy_tree(&corpus_dir().join("_bases").join(base), &repo);
    }
    copy_tree(&case.dir.join("base"), &repo);
    for (link, target) in &case.spec.symlinks {
        std::os::unix::fs::symlink(target, repo.join(link)).unwrap();
    }
    let r = git2::Repository::init(&repo).unwrap();
    refbench::materialize::commit_all(&r, "base").unwrap();
    tmp
}

fn expected_tree(case: &Case, base_tree: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    if case.spec.status == ApplyStatus::Failed || case.spec.status == ApplyStatus::Empty {
        return base_tree.clone();
    }
    let mut t = base_tree.clone();
    let exp = case.dir.join("expected");
    if exp.is_dir() {
        t.extend(tree(&exp));
    }
    for d in &case.spec.deleted {
        assert!(
            t.remove(d).is_some(),
            "{}: deleted {d} is not in the base",
            case.name
        );
    }
    t
}

fn protected_set(globs: &[String]) -> globset::GlobSet {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        b.add(globset::Glob::new(g).unwrap());
    }
    b.build().unwrap()
}

fn show(t: &BTreeMap<String, Vec<u8>>, other: &BTreeMap<String, Vec<u8>>) -> String {
    let mut out = String::new();
    for (k, v) in t {
        if other.get(k) != Some(v) {
            out.push_str(&format!(
                "  {k}: got\n{}\n",
                String::from_utf8_lossy(v).replace('\r', "\\r")
            ));
        }
    }
    for k in other.keys() {
        if !t.contains_key(k) {
            out.push_str(&format!("  {k}: missing\n"));
        }
    }
    out
}

#[test]
fn every_reply_in_the_corpus_has_its_expected_outcome() {
    let cases = cases();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let mut problems = Vec::new();
    for case in &cases {
        let tmp = setup(case);
        let repo = tmp.path().join("repo");
        let before = tree(&repo);
        let expected = expected_tree(case, &before);
        let protected = protected_set(&case.spec.protected);
        let options = ApplyOptions {
            format: case.spec.format.unwrap_or(EditFormat::Auto),
            max_reply_bytes: case
                .spec
                .max_reply_bytes
                .unwrap_or(ApplyOptions::default().max_reply_bytes),
        };
        let applied = apply_reply_with(&repo, &case.reply, &|p| protected.is_match(p), &options)
            .unwrap_or_else(|e| panic!("{}: harness error {e}", case.name));
        let mut fail = |what: String| problems.push(format!("{}: {what}", case.name));
        if applied.status != case.spec.status {
            fail(format!(
                "status {} (expected {}), reason {:?}, files {:?}",
                applied.status, case.spec.status, applied.reason, applied.files
            ));
        }
        if let Some(want) = &case.spec.reason {
            let got = applied.reason.clone().unwrap_or_default();
            if !got.contains(want.as_str()) {
                fail(format!("reason {got:?} lacks {want:?}"));
            }
        }
        let after = tree(&repo);
        if after != expected {
            fail(format!(
                "resulting tree differs:\n{}",
                show(&after, &expected)
            ));
        }
        let outside = tree(&tmp.path().join("outside"));
        if outside.len() != 1
            || outside.get("canary.txt").map(Vec::as_slice) != Some(CANARY.as_bytes())
        {
            fail(format!(
                "the canary outside the repository changed: {outside:?}"
            ));
        }
        if Path::new(ABSOLUTE_TARGET).exists() {
            fail(format!("{ABSOLUTE_TARGET} was written"));
        }
        if applied.protected_touched != case.spec.protected_touched {
            fail(format!("protected_touched {:?}", applied.protected_touched));
        }
        if applied.hygiene.placeholders.len() != case.spec.placeholders {
            fail(format!("placeholders {:?}", applied.hygiene.placeholders));
        }
        if applied.status != ApplyStatus::Failed
            && applied.hygiene.files_deleted != case.spec.deleted.len()
        {
            fail(format!("files_deleted {}", applied.hygiene.files_deleted));
        }
        if case.spec.is_unsafe && applied.status != ApplyStatus::Failed {
            fail("an unsafe reply was not refused".into());
        }
        let _ = &case.spec.description;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The diff text a plain tool would be given: the fenced diffs, else the whole reply.
fn raw_diff(reply: &str) -> String {
    let mut out = String::new();
    let mut in_fence = false;
    let mut any = false;
    for line in reply.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with("```") {
            if in_fence {
                in_fence = false;
            } else if t == "```diff" || t == "```patch" {
                in_fence = true;
                any = true;
            }
            continue;
        }
        if in_fence {
            out.push_str(line);
        }
    }
    if any {
        out
    } else {
        reply.to_string()
    }
}

fn tool_applies(case: &Case, program: &str, args: &[&str]) -> bool {
    let tmp = setup(case);
    let repo = tmp.path().join("repo");
    let before = tree(&repo);
    let expected = expected_tree(case, &before);
    let patch = tmp.path().join("reply.patch");
    std::fs::write(&patch, raw_diff(&case.reply)).unwrap();
    let ok = Command::new(program)
        .args(args)
        .arg(&patch)
        .current_dir(&repo)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e} (install it: apt-get install -y patch)"))
        .status
        .success();
    let mut after = tree(&repo);
    after.retain(|k, _| !k.ends_with(".orig") && !k.ends_with(".rej"));
    ok && after == expected
}

#[test]
fn refbench_applies_at_least_as_many_as_git_apply_and_gnu_patch() {
    let cases: Vec<Case> = cases().into_iter().filter(|c| c.spec.comparable).collect();
    assert!(cases.len() >= 30, "{} comparable cases", cases.len());
    let (mut ours, mut git, mut gnu) = (0, 0, 0);
    let mut lines = Vec::new();
    for case in &cases {
        let tmp = setup(case);
        let repo = tmp.path().join("repo");
        let expected = expected_tree(case, &tree(&repo));
        let protected = protected_set(&case.spec.protected);
        let applied =
            refbench::patch::apply_reply(&repo, &case.reply, &|p| protected.is_match(p)).unwrap();
        let r = applied.status != ApplyStatus::Failed && tree(&repo) == expected;
        let g = tool_applies(case, "git", &["apply"]);
        let p = tool_applies(
            case,
            "patch",
            &[
                "-p1",
                "--fuzz=3",
                "--batch",
                "--forward",
                "--no-backup-if-mismatch",
                "-i",
            ],
        );
        ours += r as usize;
        git += g as usize;
        gnu += p as usize;
        lines.push(format!(
            "{:45} refbench {:5} git {:5} patch {:5}",
            case.name, r, g, p
        ));
    }
    println!("{}", lines.join("\n"));
    println!(
        "applied correctly out of {}: refbench {ours}, git apply {git}, GNU patch --fuzz=3 {gnu}",
        cases.len()
    );
    assert!(
        ours >= git && ours >= gnu,
        "refbench {ours}, git {git}, patch {gnu}"
    );
    assert_eq!(
        ours,
        cases.len(),
        "every comparable case has a correct application"
    );
}
