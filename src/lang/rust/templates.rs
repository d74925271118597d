//! What `refbench new` writes for a Rust fixture, task and bug: names in, files out.

use crate::lang::{TemplateFile, Templates};

/// The Rust templates.
pub(super) struct RustTemplates;

impl Templates for RustTemplates {
    fn fixture_files(&self, name: &str, module: &str) -> Vec<TemplateFile> {
        vec![
            (
                "repo/Cargo.toml".into(),
                format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[features]\n# Detectors build with --features shuttle: src/sync.rs then re-exports shuttle's primitives.\nshuttle = [\"dep:shuttle\"]\n\n[dependencies]\nshuttle = {{ version = \"0.9\", optional = true }}\n"),
            ),
            ("repo/.gitignore".into(), "target/\n".into()),
            ("repo/src/lib.rs".into(), format!("//! {name}: replace with the fixture's code.\n\npub mod sync;\n")),
            (
                "repo/src/sync.rs".into(),
                "//! Every lock, atomic and thread goes through here: std normally, shuttle's models when\n//! the `shuttle` feature is on (race detectors).\n\n#[cfg(not(feature = \"shuttle\"))]\npub use std::sync::{atomic, Arc, Condvar, Mutex, RwLock};\n#[cfg(not(feature = \"shuttle\"))]\npub use std::thread;\n\n#[cfg(feature = \"shuttle\")]\npub use shuttle::sync::{atomic, Arc, Condvar, Mutex, RwLock};\n#[cfg(feature = \"shuttle\")]\npub use shuttle::thread;\n".into(),
            ),
            ("repo/tests/smoke.rs".into(), format!("#[test]\nfn builds() {{\n    let _ = {module}::sync::Arc::new(1);\n}}\n")),
        ]
    }

    fn task_test_examples(&self) -> (&'static str, &'static str) {
        ("tests/new_api.rs::it_works", "tests/smoke.rs::builds")
    }

    fn task_protected(&self) -> &'static str {
        "[\"tests/**\", \"Cargo.toml\", \"Cargo.lock\"]"
    }

    fn bug_detector(&self, fixture: &str, id: &str, stem: &str) -> (String, TemplateFile) {
        (
            format!(
                "[\"cargo\", \"test\", \"--features\", \"shuttle\", \"--test\", \"race_{stem}\"]"
            ),
            (
                format!("detector/tests/race_{stem}.rs"),
                format!(
                    r#"//! Detector for {fixture}/{id}. Built only with `--features shuttle`, when the crate's
//! `sync` module re-exports shuttle's primitives. On failure shuttle prints the schedule;
//! pass it to `shuttle::replay` to reproduce. See harness/rust/README.md.
#![cfg(feature = "shuttle")]

#[test]
fn no_race() {{
    shuttle::check_pct(
        || {{
            // TODO: create the shared object, spawn two or three `shuttle::thread`s calling its
            // public API, join them, and assert the invariant the bug breaks.
            unimplemented!("write the detector: see docs/adding-a-bug.md")
        }},
        1000,
        3,
    );
}}
"#
                ),
            ),
        )
    }
}
