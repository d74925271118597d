//! The shape of src/: dependencies between top-level modules run one way (down the layers
//! below, never up, never in a cycle), and no source file grows past 800 lines (test modules
//! aside). docs/architecture.md draws the same layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the bottom up. A module may use modules of its own layer or below; within a
/// layer the uses must not form a cycle.
const LAYERS: &[&[&str]] = &[
    &["fsutil", "test_support"],
    &["cache", "upstream"],
    &["catalog"],
    &["lang"],
    &["codegraph"],
    &[
        "sandbox",
        "materialize",
        "toolchain",
        "patch",
        "model",
        "pack",
        "agent",
    ],
    &["score"],
    &["attempt"],
    &["plan"],
    &["store"],
    &["run"],
    &["report", "validate", "scaffold", "seed"],
    &["cli"],
];

/// Longest a source file may be, not counting a trailing `#[cfg(test)] mod tests { .. }`.
const MAX_LINES: usize = 800;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`None` for lib.rs and main.rs).
fn top_module(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()?
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (name != "lib" && name != "main").then_some(name)
}

/// Top-level modules named after `crate::` in the code of `text` (comments left out), in
/// `crate::a::..` and `crate::{a, b::..}` forms.
fn crate_uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // Only the first segment of each item in the group, up to the closing brace
                // (or the end of the line; a group spread over lines lists one item a line
                // after this one, handled below).
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                        .collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    // `use crate::{\n    a::X,\n    b::{..},\n};`: the items on the lines of an open group.
    let mut in_group = false;
    for line in text.lines() {
        let code = line.trim();
        if code.starts_with("//") {
            continue;
        }
        if code.ends_with("crate::{") {
            in_group = true;
            continue;
        }
        if in_group {
            if code.starts_with('}') {
                in_group = false;
                continue;
            }
            let name: String = code
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(f)).collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(from) = top_module(file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        let entry = deps.entry(from.clone()).or_default();
        for to in crate_uses(&text) {
            if to != from && modules.contains(&to) {
                entry.insert(to);
            }
        }
    }
    deps
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

#[test]
fn every_top_level_module_has_a_layer() {
    let missing: Vec<String> = dependencies()
        .keys()
        .filter(|m| layer_of(m).is_none())
        .cloned()
        .collect();
    assert!(
        missing.is_empty(),
        "give these modules a layer in tests/layering.rs and docs/architecture.md: {missing:?}"
    );
}

#[test]
fn dependencies_point_down_the_layers() {
    let mut upward = Vec::new();
    for (from, tos) in dependencies() {
        let Some(here) = layer_of(&from) else {
            continue;
        };
        for to in tos {
            if layer_of(&to).is_some_and(|there| there > here) {
                upward.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(upward.is_empty(), "uses up the layers: {upward:?}");
}

#[test]
fn no_dependency_cycle_among_top_level_modules() {
    let deps = dependencies();
    // Depth-first search for a back edge; reports one cycle as a path.
    fn visit(
        node: &str,
        deps: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in deps.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, deps, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in deps.keys() {
        if let Some(cycle) = visit(node, &deps, &mut Vec::new(), &mut done) {
            panic!("dependency cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_checker_sees_grouped_and_multi_line_uses() {
    let text = "use crate::{a::X, b};\nuse crate::{\n    c::Y,\n    d::{E, F},\n};\n// crate::z\nlet v = crate::e::f();\n";
    let found: Vec<String> = crate_uses(text).into_iter().collect();
    assert_eq!(found, ["a", "b", "c", "d", "e"]);
}

/// Lines of `text` before its test module (`#[cfg(test)]` followed by `mod`), if any.
fn lines_without_tests(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    for (i, pair) in lines.windows(2).enumerate() {
        if pair[0].trim() == "#[cfg(test)]" && pair[1].trim_start().starts_with("mod ") {
            return i;
        }
    }
    lines.len()
}

#[test]
fn no_source_file_over_800_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long: Vec<String> = files
        .iter()
        .filter(|f| {
            // Files that are test modules in their own right.
            !f.file_name()
                .is_some_and(|n| n == "tests.rs" || n == "test_support.rs")
        })
        .filter_map(|f| {
            let n = lines_without_tests(&std::fs::read_to_string(f).unwrap());
            (n > MAX_LINES).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    long.sort();
    assert!(long.is_empty(), "split these files: {long:?}");
}
