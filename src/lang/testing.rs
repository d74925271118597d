//! Tasks for the unit tests of the stages above the catalog: a task in a language with the
//! given test lists and no files behind it (fixture `fx`).

use std::path::PathBuf;

use crate::catalog::TaskLimits;
use crate::catalog::{Language, Task, TaskId, TestId, Timeouts};

/// A task `fx/t` in `language` with these FAIL_TO_PASS and PASS_TO_PASS ids.
pub(crate) fn task(language: Language, f2p: &[&str], p2p: &[&str]) -> Task {
    Task {
        id: TaskId("fx/t".into()),
        fixture: "fx".into(),
        language,
        title: "t".into(),
        statement: "s".into(),
        requirements: vec![],
        interface: "i".into(),
        seeded_bugs: vec![],
        fail_to_pass: f2p.iter().map(|s| TestId(s.to_string())).collect(),
        pass_to_pass: p2p.iter().map(|s| TestId(s.to_string())).collect(),
        protected: vec![],
        protected_set: globset::GlobSet::empty(),
        arch_rules: vec![],
        gold_patch: String::new(),
        timeouts: Timeouts::default(),
        limits: TaskLimits::default(),
        dir: PathBuf::new(),
        repo_dir: PathBuf::new(),
        file: PathBuf::new(),
        text: String::new(),
        variant: Default::default(),
    }
}
