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

/// A bug `fx/b` of fixture `fx` whose detector runs `command` with the files of `dir`'s
/// `detector/` folder.
pub(crate) fn bug(command: &[&str], dir: PathBuf) -> crate::catalog::SeededBug {
    crate::catalog::SeededBug {
        id: crate::catalog::BugId("fx/b".into()),
        fixture: "fx".into(),
        kind: crate::catalog::BugKind::LostUpdate,
        file: "src/lib.rs".into(),
        description: "d".into(),
        detector: crate::catalog::DetectorSpec {
            command: command.iter().map(|s| s.to_string()).collect(),
            timeout: 120,
        },
        origin: Default::default(),
        seed: None,
        inject_patch: String::new(),
        gold_inject: Default::default(),
        file_path: dir.join("bug.toml"),
        dir,
    }
}
