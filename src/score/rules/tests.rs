//! Every rule kind on small hand-made trees, holding and broken, asserting the evidence.

use super::*;
use crate::catalog::SymbolKind;

use crate::test_support::tree;

fn rule(id: &str, kind: RuleKind) -> ArchRule {
    ArchRule {
        id: RuleId(id.into()),
        description: id.into(),
        kind,
    }
}

/// Checks one rule on a tree: (status, evidence as `file:line: detail` strings).
fn check(files: &[(&str, &str)], kind: RuleKind) -> (RuleStatus, Vec<String>) {
    let dir = tree(files);
    let results = check_rules(&[rule("r", kind)], dir.path(), None).unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r.status == RuleStatus::Holds, r.evidence.is_empty());
    (r.status, r.evidence.iter().map(|e| e.to_string()).collect())
}

const PY_APP: &[(&str, &str)] = &[
    ("app/__init__.py", ""),
    ("app/handlers/__init__.py", ""),
    (
        "app/handlers/login.py",
        "from app.auth.service import AuthService\n\n\ndef login(svc: AuthService):\n    return svc.login()\n",
    ),
    ("app/auth/__init__.py", ""),
    (
        "app/auth/service.py",
        "from ..db import store\n\n\nclass AuthService:\n    def login(self):\n        return store.get()\n",
    ),
    ("app/db/__init__.py", ""),
    ("app/db/store.py", "def get():\n    return 1\n"),
];

fn with(
    base: &[(&'static str, &'static str)],
    extra: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<_> = base
        .iter()
        .filter(|(p, _)| !extra.iter().any(|(q, _)| q == p))
        .copied()
        .collect();
    out.extend_from_slice(extra);
    out
}

#[test]
fn forbid_import_holds_and_breaks_with_the_line() {
    let kind = || RuleKind::ForbidImport {
        from: "app/handlers/**".into(),
        to: "app/db/**".into(),
    };
    assert_eq!(check(PY_APP, kind()), (RuleStatus::Holds, vec![]));
    let broken = with(
        PY_APP,
        &[(
            "app/handlers/login.py",
            "from app.auth.service import AuthService\nfrom app.db import store\n\n\ndef login(svc: AuthService):\n    return store.get()\n",
        )],
    );
    let (status, ev) = check(&broken, kind());
    assert_eq!(status, RuleStatus::Broken);
    assert_eq!(
        ev,
        vec!["app/handlers/login.py:2: imports app/db/store.py (`app.db`)"]
    );
}

#[test]
fn layers_allow_only_downward_imports() {
    let kind = || RuleKind::Layers {
        layers: vec![
            "app/handlers/**".into(),
            "app/auth/**".into(),
            "app/db/**".into(),
        ],
    };
    assert_eq!(check(PY_APP, kind()).0, RuleStatus::Holds);
    let broken = with(
        PY_APP,
        &[(
            "app/db/store.py",
            "from app.handlers import login\n\n\ndef get():\n    return login\n",
        )],
    );
    let (status, ev) = check(&broken, kind());
    assert_eq!(status, RuleStatus::Broken);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(
        ev[0].starts_with("app/db/store.py:1: layer 3 (app/db/**) imports app/handlers/login.py of the higher layer 1"),
        "{ev:?}"
    );
}

#[test]
fn no_cycles_reports_the_cycle_with_lines() {
    let kind = || RuleKind::NoCycles {
        within: "app/**".into(),
    };
    assert_eq!(check(PY_APP, kind()).0, RuleStatus::Holds);
    let broken = with(
        PY_APP,
        &[(
            "app/db/store.py",
            "import os\nfrom app.auth import service\n\n\ndef get():\n    return service\n",
        )],
    );
    let (status, ev) = check(&broken, kind());
    assert_eq!(status, RuleStatus::Broken);
    assert_eq!(
        ev,
        vec!["app/auth/service.py:1: import cycle: app/auth/service.py:1 -> app/db/store.py, app/db/store.py:2 -> app/auth/service.py"]
    );
    // A cycle outside the glob does not count.
    let (status, _) = check(
        &broken,
        RuleKind::NoCycles {
            within: "app/db/**".into(),
        },
    );
    assert_eq!(status, RuleStatus::Holds);
}

#[test]
fn symbol_exists_with_kind_and_symbol_absent() {
    let exists = |kind| RuleKind::SymbolExists {
        symbol: "app.auth.service.AuthService".into(),
        symbol_kind: kind,
    };
    assert_eq!(check(PY_APP, exists(None)).0, RuleStatus::Holds);
    assert_eq!(
        check(PY_APP, exists(Some(SymbolKind::Class))).0,
        RuleStatus::Holds
    );
    let (status, ev) = check(PY_APP, exists(Some(SymbolKind::Function)));
    assert_eq!(status, RuleStatus::Broken);
    assert_eq!(
        ev,
        vec!["app/auth/service.py:4: app.auth.service.AuthService is a class, expected a function"]
    );
    let gone = with(
        PY_APP,
        &[("app/auth/service.py", "def other():\n    pass\n")],
    );
    assert_eq!(
        check(&gone, exists(None)),
        (
            RuleStatus::Broken,
            vec!["no definition of app.auth.service.AuthService in the tree".to_string()]
        )
    );
    let absent = || RuleKind::SymbolAbsent {
        symbol: "app.auth.service.AuthService.login".into(),
    };
    assert_eq!(check(&gone, absent()).0, RuleStatus::Holds);
    assert_eq!(
        check(PY_APP, absent()),
        (
            RuleStatus::Broken,
            vec!["app/auth/service.py:5: app.auth.service.AuthService.login is still defined (method)".to_string()]
        )
    );
}

#[test]
fn file_absent() {
    let kind = || RuleKind::FileAbsent {
        path: "app/legacy*.py".into(),
    };
    assert_eq!(check(PY_APP, kind()).0, RuleStatus::Holds);
    let broken = with(PY_APP, &[("app/legacy_auth.py", "X = 1\n")]);
    assert_eq!(
        check(&broken, kind()),
        (
            RuleStatus::Broken,
            vec!["app/legacy_auth.py: exists, but no file may match app/legacy*.py".to_string()]
        )
    );
}

const RS_CRATE: &[(&str, &str)] = &[
    ("Cargo.toml", "[package]\nname = \"q\"\nversion = \"0.1.0\"\n"),
    ("src/lib.rs", "pub mod sync;\npub mod broker;\npub mod worker;\n"),
    (
        "src/sync.rs",
        "pub use std::sync::{Arc, Mutex};\n\npub fn lock_all() {}\n",
    ),
    (
        "src/broker.rs",
        "use crate::sync::{Arc, Mutex};\n\npub struct Broker { inner: Arc<Mutex<u32>> }\n",
    ),
    (
        "src/worker.rs",
        "use crate::broker::Broker;\n\n// std::sync::Mutex is not used here.\npub fn run(_b: &Broker) {}\n",
    ),
];

fn confined(target: &str) -> RuleKind {
    RuleKind::ConfinedUse {
        target: target.into(),
        only_in: "src/sync.rs".into(),
    }
}

#[test]
fn confined_use_holds_when_only_the_shim_uses_the_target() {
    assert_eq!(
        check(RS_CRATE, confined("std::sync::Mutex")),
        (RuleStatus::Holds, vec![])
    );
}

#[test]
fn confined_use_finds_every_spelling_in_rust() {
    let cases: &[(&str, u32)] = &[
        ("use std::sync::Mutex;\npub fn f() {}\n", 1),
        ("use std::sync::{atomic::AtomicU32, Mutex as M};\npub fn f() {}\n", 1),
        ("use std::sync;\n\npub fn f() -> sync::Mutex<u32> {\n    sync::Mutex::new(1)\n}\n", 3),
        ("pub fn f() -> u32 {\n    let m = std::sync::Mutex::new(1);\n    *m.lock().unwrap()\n}\n", 2),
    ];
    for (code, line) in cases {
        let files = with(RS_CRATE, &[("src/worker.rs", code)]);
        let (status, ev) = check(&files, confined("std::sync::Mutex"));
        assert_eq!(status, RuleStatus::Broken, "{code}");
        assert!(
            ev[0].starts_with(&format!("src/worker.rs:{line}: ")),
            "{code}: {ev:?}"
        );
    }
    // A longer name that merely starts like the target is not a use.
    let files = with(
        RS_CRATE,
        &[(
            "src/worker.rs",
            "use std::sync::MutexGuard;\npub fn f(_g: MutexGuard<'_, u32>) {}\n",
        )],
    );
    assert_eq!(
        check(&files, confined("std::sync::Mutex")).0,
        RuleStatus::Holds
    );
}

#[test]
fn confined_use_of_an_in_tree_symbol_and_in_python() {
    // crate::sync::lock_all, used from the worker.
    let files = with(
        RS_CRATE,
        &[(
            "src/worker.rs",
            "use crate::sync::lock_all;\n\npub fn run() {\n    lock_all();\n}\n",
        )],
    );
    let (status, ev) = check(
        &files,
        RuleKind::ConfinedUse {
            target: "crate::sync::lock_all".into(),
            only_in: "src/{sync,broker}.rs".into(),
        },
    );
    assert_eq!(status, RuleStatus::Broken);
    assert!(
        ev[0].starts_with("src/worker.rs:1: imports crate::sync::lock_all"),
        "{ev:?}"
    );

    let py = |code: &'static str| {
        vec![
            ("app/__init__.py", ""),
            ("app/sync.py", "import threading\n\nLock = threading.Lock\n"),
            ("app/store.py", code),
        ]
    };
    let kind = || RuleKind::ConfinedUse {
        target: "threading.Lock".into(),
        only_in: "app/sync.py".into(),
    };
    assert_eq!(
        check(&py("from app.sync import Lock\n\n_lock = Lock()\n"), kind()).0,
        RuleStatus::Holds
    );
    for (code, line) in [
        ("from threading import Lock\n\n_lock = Lock()\n", 1),
        ("import threading\n\n_lock = threading.Lock()\n", 3),
        ("import os\nfrom threading import *\n\n_lock = Lock()\n", 4),
    ] {
        let (status, ev) = check(&py(code), kind());
        assert_eq!(status, RuleStatus::Broken, "{code}");
        assert!(
            ev[0].starts_with(&format!("app/store.py:{line}: ")),
            "{code}: {ev:?}"
        );
    }
}

#[test]
fn rust_use_and_code_paths_count_as_imports_but_mod_does_not() {
    let kind = || RuleKind::ForbidImport {
        from: "src/worker.rs".into(),
        to: "src/sync.rs".into(),
    };
    assert_eq!(check(RS_CRATE, kind()).0, RuleStatus::Holds);
    let files = with(
        RS_CRATE,
        &[(
            "src/worker.rs",
            "pub fn run() {\n    crate::sync::lock_all();\n}\n",
        )],
    );
    let (status, ev) = check(&files, kind());
    assert_eq!(status, RuleStatus::Broken);
    assert_eq!(
        ev,
        vec!["src/worker.rs:2: imports src/sync.rs (`crate::sync::lock_all`)"]
    );
    // lib.rs declares every module: that is not a dependency for layering.
    let layers = RuleKind::Layers {
        layers: vec![
            "src/worker.rs".into(),
            "src/broker.rs".into(),
            "src/{sync,lib}.rs".into(),
        ],
    };
    assert_eq!(check(RS_CRATE, layers).0, RuleStatus::Holds);
}

#[test]
fn evidence_is_capped_and_counted() {
    let mut files: Vec<(String, String)> = vec![("app/__init__.py".into(), String::new())];
    files.push(("app/db.py".into(), "X = 1\n".into()));
    for i in 0..25 {
        files.push((format!("app/h{i:02}.py"), "from app import db\n".into()));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = tree(&refs);
    let r = &check_rules(
        &[rule(
            "r",
            RuleKind::ForbidImport {
                from: "app/h*.py".into(),
                to: "app/db.py".into(),
            },
        )],
        dir.path(),
        None,
    )
    .unwrap()[0];
    assert_eq!(r.evidence.len(), MAX_EVIDENCE);
    assert_eq!(r.more_evidence, 5);
    assert_eq!(r.evidence[0].file, "app/h00.py");
}

#[test]
fn a_method_with_a_common_name_cannot_be_confined() {
    let files = with(
        RS_CRATE,
        &[(
            "src/broker.rs",
            "pub struct Queue;\nimpl Queue {\n    pub fn take(&self) {}\n}\n",
        )],
    );
    let (status, ev) = check(
        &files,
        RuleKind::ConfinedUse {
            target: "broker::Queue::take".into(),
            only_in: "src/broker.rs".into(),
        },
    );
    assert_eq!(status, RuleStatus::Broken);
    assert!(ev[0].contains("common name"), "{ev:?}");
}

#[test]
fn a_distinctive_method_is_confined_by_name_until_the_name_is_ambiguous() {
    let queue = "pub struct Queue;\nimpl Queue {\n    pub fn take_kind(&self) {}\n}\n";
    let kind = || RuleKind::ConfinedUse {
        target: "broker::Queue::take_kind".into(),
        only_in: "src/broker.rs".into(),
    };
    let caller = "use crate::broker::Queue;\n\npub fn run(q: &Queue) {\n    q.take_kind();\n}\n";
    let files = with(
        RS_CRATE,
        &[("src/broker.rs", queue), ("src/worker.rs", caller)],
    );
    let (status, ev) = check(&files, kind());
    assert_eq!(status, RuleStatus::Broken);
    assert!(
        ev[0].starts_with("src/worker.rs:4: uses broker::Queue::take_kind"),
        "{ev:?}"
    );
    // Another type of the tree gets a take_kind too: the worker's call may be that one's, so
    // it is not held against the rule.
    let other = "pub struct Other;\nimpl Other {\n    pub fn take_kind(&self) {}\n}\n";
    let files = with(
        RS_CRATE,
        &[
            ("src/broker.rs", queue),
            ("src/worker.rs", caller),
            ("src/other.rs", other),
        ],
    );
    assert_eq!(check(&files, kind()).0, RuleStatus::Holds);
}
