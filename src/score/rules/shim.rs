//! The rule every Rust task gets: the crate's code does not get around its sync shim.
//!
//! In: the attempt's tree (as the edit left it, before hidden tests and detectors are copied
//! in) and the cargo features the task's detectors build with (`shuttle`). Out: a
//! [`RuleResult`] with id [`SHIM_RULE_ID`], broken with one piece of evidence (file:line) per
//! place where the library's code
//! - is conditional on a detector feature or on the model checkers' cfgs (`cfg(feature =
//!   "shuttle")`, `cfg(loom)`, `cfg!(...)`, `cfg_attr(...)`): a fix that exists only while the
//!   detector builds the crate, or a race that hides from it;
//! - is conditional on `test` around synchronisation: `cfg(not(test))` code, `cfg!(test)`,
//!   `cfg_attr` on `test`, and `#[cfg(test)]` on an item that touches locks, atomics or
//!   threads (a fix that exists only in unit tests); `#[cfg(test)]` on a test module or a
//!   helper that touches none of them is harmless;
//! - takes synchronisation from `std::sync`, `core::sync` or `alloc::sync` (atomics, locks,
//!   `Arc`, `Once*`, channels) or threads from `std::thread` directly, in a `use` (use trees
//!   and aliases of `std` included) or a path written in code (macro bodies included): under
//!   the detector such primitives are not the model checker's, so it cannot explore them.
//!
//! The shim is `src/sync.rs` or `src/sync/` (the fixtures' convention, see
//! docs/adding-a-bug.md): there both halves are written out on purpose. Test modules
//! (`#[cfg(test)] mod`) are not looked into: they are not compiled into the library the
//! detectors and hidden tests exercise. Only `src/` is checked: files under `tests/`,
//! `examples/` and `benches/` are separate crates.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Evidence, RuleResult};
use crate::catalog::RuleId;

/// The id of the built-in rule in verdicts and reports.
pub const SHIM_RULE_ID: &str = "sync-shim-not-bypassed";

/// The standard library's synchronisation modules, as path segments after the crate.
const SYNC_MODULES: &[&str] = &["sync", "thread"];
/// Crates of the standard library that hold them.
const STD_CRATES: &[&str] = &["std", "core", "alloc"];
/// cfg names the model checkers set themselves.
const CHECKER_CFGS: &[&str] = &["loom", "shuttle"];

/// Whether the crate at `repo` has a sync shim at all: the rule applies only to crates built
/// around one (a crate without one has nothing to bypass, and a fixture written without the
/// convention must not fail its own gold). A shim is a `src/sync.rs` or `src/sync/mod.rs`
/// that swaps its primitives for a model checker's (it names `shuttle::` or `loom::`); a
/// crate's own module of that name (moka's `moka::sync` caches) is not one.
pub fn has_shim(repo: &Path) -> bool {
    ["src/sync.rs", "src/sync/mod.rs"].iter().any(|f| {
        std::fs::read_to_string(repo.join(f))
            .is_ok_and(|text| text.contains("shuttle::") || text.contains("loom::"))
    })
}

/// Whether `rel` (relative to the repo, `/`-separated) is the sync shim.
fn is_shim(rel: &str) -> bool {
    rel == "src/sync.rs" || rel.starts_with("src/sync/")
}

/// The cargo features a detector command turns on (`--features a,b`, `--features=a`, `-F a`).
pub fn detector_features(argv: &[String]) -> Vec<String> {
    crate::lang::rust::cargo_features(argv)
}

/// Checks the tree: see the module doc. `features` are the detectors' cargo features.
pub fn check_sync_shim(repo: &Path, features: &[String]) -> RuleResult {
    let mut features: Vec<String> = features.to_vec();
    for f in CHECKER_CFGS {
        if !features.iter().any(|x| x == f) {
            features.push(f.to_string());
        }
    }
    let mut evidence = Vec::new();
    let src = repo.join("src");
    for file in rust_files(&src) {
        let rel = file
            .strip_prefix(repo)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if is_shim(&rel) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        evidence.extend(check_file(&rel, &text, &features));
    }
    RuleResult::from_evidence(
        RuleId(SHIM_RULE_ID.into()),
        "sync-shim".into(),
        "The crate's code does not bypass its sync shim (src/sync.rs): no std/core sync primitives or threads outside it, no code conditional on the detector's features or on cfg(test) outside test modules".into(),
        evidence,
    )
}

/// `.rs` files below `dir`, sorted, links not followed.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(t) = e.file_type() else { continue };
            let p = e.path();
            if t.is_dir() {
                stack.push(p);
            } else if t.is_file() && p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Whether `text` can hold anything the rule looks for: with whitespace removed, a path into a
/// standard crate's sync module or `std::thread`, a use tree, glob or alias of a standard
/// crate, or a `cfg` other than `#[cfg(test)]` on a module. Files without any (most) are not
/// parsed: parsing is what the rule costs.
fn worth_parsing(text: &str) -> bool {
    // Rust also takes some non-ASCII characters for whitespace: such files are parsed.
    if !text.is_ascii() {
        return true;
    }
    let mut bytes = text.as_bytes().to_vec();
    bytes.retain(|b| !b.is_ascii_whitespace());
    let t = String::from_utf8(bytes).unwrap_or_default();
    const NEEDLES: &[&str] = &[
        "std::sync",
        "core::sync",
        "alloc::sync",
        "std::thread",
        "std::{",
        "core::{",
        "alloc::{",
        "std::*",
        "core::*",
        "alloc::*",
        "stdas",
        "coreas",
        "allocas",
    ];
    if NEEDLES.iter().any(|n| t.contains(n)) {
        return true;
    }
    let test_modules: usize = [
        "#[cfg(test)]mod",
        "#[cfg(test)]pubmod",
        "#[cfg(test)]pub(crate)mod",
    ]
    .iter()
    .map(|m| t.matches(m).count())
    .sum();
    t.matches("cfg").count() != test_modules
}

/// The evidence in one file.
pub(crate) fn check_file(rel: &str, text: &str, features: &[String]) -> Vec<Evidence> {
    if !worth_parsing(text) {
        return Vec::new();
    }
    let mut parser = tree_sitter::Parser::new();
    let language: tree_sitter::Language = tree_sitter_rust::LANGUAGE.into();
    if parser.set_language(&language).is_err() {
        return Vec::new();
    }
    let Some(tree) = parser.parse(text, None) else {
        return Vec::new();
    };
    let mut found: BTreeSet<(u32, String)> = BTreeSet::new();
    let mut aliases: Vec<String> = STD_CRATES.iter().map(|s| s.to_string()).collect();
    // Aliases of the standard crates first (`use std as s;`, `extern crate core as c;`).
    visit(tree.root_node(), &mut |node| {
        collect_alias(node, text, &mut aliases);
        true
    });
    visit(tree.root_node(), &mut |node| {
        let line = node.start_position().row as u32 + 1;
        match node.kind() {
            "attribute_item" | "inner_attribute_item" => {
                let attr = squash(node_text(node, text));
                if let Some(why) = conditional(&attr, features) {
                    // `#[cfg(test)]` alone is harmless on a test module and on items that do
                    // not touch synchronisation (test helpers): they are not in the library
                    // the hidden tests and detectors build. `cfg(not(test))` never is.
                    let only_test = (attr.starts_with("#[cfg(") || attr.starts_with("#![cfg("))
                        && !attr.contains("not(test)")
                        && !mentions_feature(&attr, features);
                    let gated = if node.kind() == "inner_attribute_item" {
                        Some(text)
                    } else {
                        next_item(node).map(|item| {
                            if item.kind() == "mod_item" {
                                ""
                            } else {
                                node_text(item, text)
                            }
                        })
                    };
                    let harmless = only_test && gated.is_some_and(|t| !mentions_sync(t));
                    if !harmless {
                        found.insert((line, why));
                    }
                }
                return false;
            }
            // `#[cfg(test)] mod tests { ... }`: skip the body (the attribute is a sibling).
            "mod_item" if preceded_by_test_cfg(node, text) => return false,
            "macro_invocation" => {
                let t = squash(node_text(node, text));
                if t.starts_with("cfg!") {
                    if let Some(why) = conditional(&t.replacen("cfg!", "cfg", 1), features) {
                        found.insert((line, why));
                    }
                }
            }
            "use_declaration" => {
                for path in use_paths(node, text) {
                    if let Some(p) = std_sync_path(&path, &aliases) {
                        found.insert((line, format!("imports {p}, bypassing the sync shim")));
                    }
                }
                return false;
            }
            "line_comment" | "block_comment" | "string_literal" | "raw_string_literal"
            | "char_literal" => return false,
            "scoped_identifier" | "scoped_type_identifier" | "token_tree" => {
                if node.kind() != "token_tree" && has_scoped_parent(node) {
                    return true;
                }
                let t = squash(&code_only(node, text));
                for p in paths_in(&t) {
                    if let Some(p) = std_sync_path(&p, &aliases) {
                        found.insert((line, format!("uses {p}, bypassing the sync shim")));
                    }
                }
                return node.kind() != "token_tree";
            }
            _ => {}
        }
        true
    });
    // One item per line (the first finding on it).
    let mut lines = BTreeSet::new();
    found
        .into_iter()
        .filter(|(line, _)| lines.insert(*line))
        .map(|(line, detail)| Evidence {
            file: rel.to_string(),
            line: Some(line),
            detail,
        })
        .collect()
}

/// Calls `f` on every node, depth first; `f` returns whether to go into the node's children.
fn visit(node: tree_sitter::Node<'_>, f: &mut dyn FnMut(tree_sitter::Node<'_>) -> bool) {
    if !f(node) {
        return;
    }
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        visit(child, f);
    }
}

fn node_text<'t>(node: tree_sitter::Node<'_>, text: &'t str) -> &'t str {
    text.get(node.byte_range()).unwrap_or("")
}

/// The node's text without its comments and string literals.
fn code_only(node: tree_sitter::Node<'_>, text: &str) -> String {
    let mut out = String::new();
    let mut at = node.start_byte();
    visit(node, &mut |n| {
        if matches!(
            n.kind(),
            "line_comment" | "block_comment" | "string_literal" | "raw_string_literal"
        ) {
            out.push_str(text.get(at..n.start_byte()).unwrap_or(""));
            out.push(' ');
            at = n.end_byte();
            return false;
        }
        true
    });
    out.push_str(text.get(at..node.end_byte()).unwrap_or(""));
    out
}

/// `s` without whitespace.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn has_scoped_parent(node: tree_sitter::Node<'_>) -> bool {
    node.parent().is_some_and(|p| {
        matches!(
            p.kind(),
            "scoped_identifier" | "scoped_type_identifier" | "token_tree"
        )
    })
}

/// Why a squashed attribute or `cfg!` text makes code conditional in a way the rule forbids
/// (test-module exemption aside), if it does.
fn conditional(attr: &str, features: &[String]) -> Option<String> {
    let body = attr
        .trim_start_matches("#!")
        .trim_start_matches('#')
        .trim_start_matches('[');
    if !(body.starts_with("cfg(") || body.starts_with("cfg_attr(")) {
        return None;
    }
    if let Some(f) = features
        .iter()
        .find(|f| body.contains(&format!("feature=\"{f}\"")))
    {
        return Some(format!(
            "code conditional on the detector's feature `{f}` outside the sync shim"
        ));
    }
    for c in CHECKER_CFGS {
        if has_word(body, c) && !body.contains(&format!("\"{c}\"")) {
            return Some(format!(
                "code conditional on cfg `{c}` (a model checker's) outside the sync shim"
            ));
        }
    }
    if has_word(body, "test") {
        return Some("code conditional on cfg(test) outside a test module".into());
    }
    None
}

fn mentions_feature(attr: &str, features: &[String]) -> bool {
    features
        .iter()
        .any(|f| attr.contains(&format!("feature=\"{f}\"")))
        || CHECKER_CFGS.iter().any(|c| has_word(attr, c))
}

/// `word` in `s` as a whole identifier (not part of a longer one, not a string's content).
fn has_word(s: &str, word: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '"';
    let mut from = 0;
    while let Some(at) = s[from..].find(word) {
        let start = from + at;
        let end = start + word.len();
        let before = s[..start].chars().next_back();
        let after = s[end..].chars().next();
        if before.is_none_or(|c| !ident(c)) && after.is_none_or(|c| !ident(c)) {
            return true;
        }
        from = end;
    }
    false
}

/// The item an outer attribute applies to: the next sibling past other attributes and
/// comments.
fn next_item(node: tree_sitter::Node<'_>) -> Option<tree_sitter::Node<'_>> {
    let mut next = node.next_sibling();
    while let Some(n) = next {
        match n.kind() {
            "attribute_item" | "line_comment" | "block_comment" => next = n.next_sibling(),
            _ => return Some(n),
        }
    }
    None
}

/// Whether code touches synchronisation or threads (by the names the shim exports and their
/// methods).
fn mentions_sync(code: &str) -> bool {
    const WORDS: &[&str] = &[
        "sync",
        "Mutex",
        "RwLock",
        "Condvar",
        "Atomic",
        "atomic",
        "Arc",
        "Weak",
        "thread",
        "lock",
        "Once",
        "Barrier",
        "Ordering",
        "fetch_",
        "compare_exchange",
        ".load(",
        ".store(",
        ".swap(",
        "spawn",
        "notify",
        "wait",
    ];
    WORDS.iter().any(|w| code.contains(w))
}

/// Whether a `mod` item is preceded by exactly `#[cfg(test)]` (among its attributes).
fn preceded_by_test_cfg(node: tree_sitter::Node<'_>, text: &str) -> bool {
    let mut prev = node.prev_sibling();
    while let Some(p) = prev {
        match p.kind() {
            "attribute_item" => {
                if squash(node_text(p, text)) == "#[cfg(test)]" {
                    return true;
                }
                prev = p.prev_sibling();
            }
            "line_comment" | "block_comment" => prev = p.prev_sibling(),
            _ => return false,
        }
    }
    false
}

/// Records `use std as x;` / `use ::core as x;` / `extern crate alloc as x;` aliases (also
/// inside use trees: `use {std as x}`).
fn collect_alias(node: tree_sitter::Node<'_>, text: &str, aliases: &mut Vec<String>) {
    let pairs: Vec<(String, String)> = match node.kind() {
        "use_declaration" => use_paths(node, text)
            .into_iter()
            .filter_map(|p| {
                let (path, alias) = p.split_once('@')?;
                Some((path.to_string(), alias.to_string()))
            })
            .collect(),
        "extern_crate_declaration" => {
            let field = |f: &str| {
                node.child_by_field_name(f)
                    .map(|n| squash(node_text(n, text)))
            };
            match (field("name"), field("alias")) {
                (Some(name), Some(alias)) => vec![(name, alias)],
                _ => vec![],
            }
        }
        _ => vec![],
    };
    for (path, alias) in pairs {
        if STD_CRATES.contains(&path.trim_start_matches("::")) && alias != "_" {
            aliases.push(alias);
        }
    }
}

/// The full paths a `use` declaration brings in (use trees flattened, whitespace removed),
/// each `PATH` or `PATH@ALIAS`.
fn use_paths(node: tree_sitter::Node<'_>, text: &str) -> Vec<String> {
    let Some(arg) = node.child_by_field_name("argument") else {
        return Vec::new();
    };
    let spaced: Vec<&str> = node_text(arg, text).split_whitespace().collect();
    let body = spaced.join(" ").replace(" as ", "@").replace(' ', "");
    let mut out = Vec::new();
    flatten_use(&body, "", &mut out);
    out
}

/// `a::{b::c, d}` -> `a::b::c`, `a::d` (a module `self` maps to its parent).
fn flatten_use(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let join = |p: &str, s: &str| {
        if p.is_empty() {
            s.to_string()
        } else if s == "self" {
            p.to_string()
        } else {
            format!("{p}::{s}")
        }
    };
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim_end_matches("::");
        let inner = tree[open + 1..]
            .strip_suffix('}')
            .unwrap_or(&tree[open + 1..]);
        let base = join(prefix, head);
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    flatten_use(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if start < inner.len() {
            flatten_use(&inner[start..], &base, out);
        }
    } else if !tree.is_empty() {
        out.push(join(prefix, tree));
    }
}

/// Paths (`a::b::c`, `::a::b`) in squashed code text: the runs of identifier characters and
/// colons that contain `::`.
fn paths_in(t: &str) -> Vec<String> {
    t.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|run| run.contains("::"))
        .map(str::to_string)
        .collect()
}

/// `std::sync::...` (or `core::`, `alloc::`, an alias, a leading `::`) as written, if `path`
/// is one: the crate then `sync` or `thread`.
fn std_sync_path(path: &str, aliases: &[String]) -> Option<String> {
    let p = path
        .split('@')
        .next()
        .unwrap_or(path)
        .trim_start_matches("::");
    let mut segs = p.split("::");
    let (krate, module) = (segs.next()?, segs.next()?);
    let glob_of_std = module == "*" && STD_CRATES.contains(&krate);
    (aliases.iter().any(|a| a == krate) && SYNC_MODULES.contains(&module) || glob_of_std)
        .then(|| p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::RuleStatus;

    fn details(text: &str) -> Vec<String> {
        check_file("src/x.rs", text, &["shuttle".to_string()])
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn the_fixture_style_is_clean() {
        let text = "use crate::sync::{lock, Arc, Mutex};\n\
                    /// std::sync::Mutex in a doc comment\n\
                    pub fn f(m: &Mutex<u8>) { let s = \"std::sync::Mutex\"; lock(m, s); }\n\
                    #[cfg(test)]\nmod tests {\n    use std::sync::Arc;\n    #[test]\n    fn t() { let _ = std::thread::spawn(|| ()); }\n}\n";
        assert_eq!(details(text), Vec::<String>::new());
    }

    #[test]
    fn bypasses_are_flagged_with_their_line() {
        let text = "use std::sync::atomic::{AtomicU64, Ordering};\n\
                    use std::{collections::HashMap, sync::Mutex as M};\n\
                    use core as c;\n\
                    fn f() { let _ = c::sync::atomic::AtomicU32::new(0); }\n\
                    static N: ::std::sync::OnceLock<u8> = ::std::sync::OnceLock::new();\n\
                    fn g() { let _v = vec![std::sync::Arc::new(1)]; std::thread::yield_now(); }\n\
                    use std::*;\n\
                    extern crate std as s2;\n\
                    type M = s2::sync::Mutex<u8>;\n";
        let d = details(text);
        assert_eq!(d.len(), 7, "one item per line: {d:?}");
        for line in [1, 2, 4, 5, 6, 7, 9] {
            assert!(
                d.iter()
                    .any(|e| e.starts_with(&format!("src/x.rs:{line}:"))),
                "line {line}: {d:?}"
            );
        }
    }

    #[test]
    fn detector_and_test_conditional_code_is_flagged() {
        let text = "#[cfg(feature = \"shuttle\")]\nfn next() {}\n\
                    #[cfg(not(test))]\nfn racy() {}\n\
                    #[cfg(test)]\nfn fixed(c: &AtomicU64) -> u64 { c.fetch_add(1, SeqCst) }\n\
                    fn h() { if cfg!(test) { } if cfg!(feature = \"shuttle\") {} }\n\
                    #[cfg_attr(not(test), path = \"racy.rs\")]\nmod ids;\n\
                    #[cfg(loom)]\nfn l() {}\n\
                    #[cfg(any(test, feature = \"shuttle\"))]\nmod helpers {}\n\
                    #[cfg(test)]\nfn test_helper() -> u8 { 1 }\n";
        let d = details(text);
        // Lines 14-15: a test-only helper that touches no synchronisation is harmless.
        for line in [1, 3, 5, 7, 8, 10, 12] {
            assert!(
                d.iter()
                    .any(|e| e.starts_with(&format!("src/x.rs:{line}:"))),
                "line {line}: {d:?}"
            );
        }
        assert!(d.iter().any(|e| e.contains("feature `shuttle`")), "{d:?}");
        assert_eq!(d.len(), 7, "{d:?}");
        assert!(d.iter().any(|e| e.contains("cfg(test)")), "{d:?}");
    }

    #[test]
    fn features_of_detector_commands() {
        let argv = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            detector_features(&argv("cargo test --features shuttle,extra --test t")),
            ["shuttle", "extra"]
        );
        assert_eq!(
            detector_features(&argv("cargo test --features=loom -F x")),
            ["loom", "x"]
        );
    }

    #[test]
    fn a_module_named_sync_is_a_shim_only_when_it_swaps_in_a_model_checker() {
        let shim = crate::test_support::tree(&[(
            "src/sync.rs",
            "#[cfg(feature = \"shuttle\")]\npub use shuttle::sync::Mutex;\n",
        )]);
        assert!(has_shim(shim.path()));
        let loom = crate::test_support::tree(&[("src/sync/mod.rs", "pub use loom::sync::Arc;\n")]);
        assert!(has_shim(loom.path()));
        // moka's public `moka::sync` module of caches.
        let caches = crate::test_support::tree(&[(
            "src/sync.rs",
            "//! Synchronous caches.\nmod cache;\npub use cache::Cache;\nuse std::sync::Arc;\n",
        )]);
        assert!(!has_shim(caches.path()));
        assert!(!has_shim(
            crate::test_support::tree(&[("src/lib.rs", "")]).path()
        ));
    }

    #[test]
    fn the_shim_and_test_crates_are_not_checked() {
        let dir = crate::test_support::tree(&[
            (
                "src/sync.rs",
                "#[cfg(feature = \"shuttle\")]\npub use shuttle::sync::Mutex;\n#[cfg(not(feature = \"shuttle\"))]\npub use std::sync::Mutex;\n",
            ),
            ("src/lib.rs", "pub mod sync;\n"),
            ("tests/race.rs", "#![cfg(feature = \"shuttle\")]\nuse std::sync::Arc;\n"),
        ]);
        let r = check_sync_shim(dir.path(), &[]);
        assert_eq!(r.status, RuleStatus::Holds, "{:?}", r.evidence);
        std::fs::write(
            dir.path().join("src/lib.rs"),
            "pub mod sync;\npub static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);\n",
        )
        .unwrap();
        let r = check_sync_shim(dir.path(), &[]);
        assert_eq!(r.status, RuleStatus::Broken);
        assert_eq!(r.evidence[0].file, "src/lib.rs");
        assert_eq!(r.evidence[0].line, Some(2));
    }

    /// No shipped Rust task's base (fixture + seeded bugs) or gold tree trips the rule.
    #[test]
    fn no_shipped_base_or_gold_patch_trips_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for fixture in ["rsauth", "rsqueue"] {
            let tasks = root.join("repos-fixtures").join(fixture).join("tasks");
            for task in std::fs::read_dir(&tasks).unwrap().flatten() {
                let toml: toml::Value = toml::from_str(
                    &std::fs::read_to_string(task.path().join("task.toml")).unwrap(),
                )
                .unwrap();
                let dir = tempfile::tempdir().unwrap();
                let tree = dir.path().join("repo");
                crate::materialize::copy_tree_filtered(
                    &root.join("repos-fixtures").join(fixture).join("repo"),
                    &tree,
                    &|_| true,
                )
                .unwrap();
                let apply = |patch: &Path| {
                    let out = std::process::Command::new("git")
                        .arg("apply")
                        .arg(patch)
                        .current_dir(&tree)
                        .output()
                        .unwrap();
                    assert!(out.status.success(), "{}: {out:?}", patch.display());
                };
                let mut features = Vec::new();
                for bug in toml["seeded_bugs"].as_array().unwrap() {
                    let bug = root.join("seeded-bugs").join(bug.as_str().unwrap());
                    apply(&bug.join("inject.patch"));
                    let bug_toml: toml::Value =
                        toml::from_str(&std::fs::read_to_string(bug.join("bug.toml")).unwrap())
                            .unwrap();
                    let argv: Vec<String> = bug_toml["detector"]["command"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_string())
                        .collect();
                    features.extend(detector_features(&argv));
                }
                assert_eq!(features, ["shuttle"]);
                let base = check_sync_shim(&tree, &features);
                assert_eq!(
                    base.status,
                    RuleStatus::Holds,
                    "{task:?} base: {:?}",
                    base.evidence
                );
                apply(&task.path().join("gold.patch"));
                let gold = check_sync_shim(&tree, &features);
                assert_eq!(
                    gold.status,
                    RuleStatus::Holds,
                    "{task:?} gold: {:?}",
                    gold.evidence
                );
                checked += 1;
            }
        }
        // Every task of both fixtures was checked (the loop stops at the first failure).
        assert!(checked >= 4, "only {checked} tasks found");
    }
}
