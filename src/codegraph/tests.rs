//! Graph edges on small hand-made trees.

use std::path::Path;

use super::*;

use crate::test_support::tree;

fn graph_of(dir: &Path) -> Graph {
    build_graph(dir, None).unwrap()
}

fn imports(g: &Graph, from: &str) -> Vec<(u32, String)> {
    g.imports_from(from)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind != ImportKind::Path)
        .map(|e| (e.line, e.to.clone()))
        .collect()
}

fn edge<'a>(g: &'a Graph, from: &str, to: &str) -> Option<&'a FileEdge> {
    g.edges_from(from).find(|e| e.to == to)
}

#[test]
fn rust_mod_use_and_impl_trait_for() {
    let dir = tree(&[
        ("Cargo.toml", "[package]\nname = \"shop-core\"\nversion = \"0.1.0\"\n"),
        ("src/lib.rs", "pub mod db;\npub mod auth;\n"),
        ("src/db/mod.rs", "mod pool;\npub use pool::Pool;\n"),
        ("src/db/pool.rs", "pub struct Pool;\nimpl Pool { pub fn get(&self) {} }\n"),
        (
            "src/auth/mod.rs",
            "pub mod service;\npub trait Authenticator { fn check(&self) -> bool; }\n",
        ),
        (
            "src/auth/service.rs",
            "use crate::db::Pool;\nuse super::Authenticator;\npub struct AuthService { pool: Pool }\nimpl Authenticator for AuthService {\n    fn check(&self) -> bool { super::super::db::connect(); true }\n}\n",
        ),
        (
            "tests/flow.rs",
            "use shop_core::auth::service::AuthService;\nfn t(_s: AuthService) {}\n",
        ),
    ]);
    let g = graph_of(dir.path());
    assert_eq!(
        imports(&g, "src/lib.rs"),
        vec![(1, "src/db/mod.rs".into()), (2, "src/auth/mod.rs".into())]
    );
    assert_eq!(
        imports(&g, "src/db/mod.rs"),
        vec![(1, "src/db/pool.rs".into()), (2, "src/db/pool.rs".into())]
    );
    assert_eq!(
        imports(&g, "src/auth/service.rs"),
        vec![(1, "src/db/mod.rs".into()), (2, "src/auth/mod.rs".into())]
    );
    assert_eq!(
        imports(&g, "tests/flow.rs"),
        vec![(1, "src/auth/service.rs".into())]
    );
    // impl Authenticator for AuthService: an edge carrying the trait's name.
    let e = edge(&g, "src/auth/service.rs", "src/auth/mod.rs").unwrap();
    assert!(e.names.iter().any(|(n, _)| n == "Authenticator"), "{e:?}");
    // The struct is a symbol with its module path.
    let s = g.symbol("auth::service::AuthService").unwrap();
    assert_eq!(
        (s.kind, s.file.as_str(), s.line),
        (SymbolKind::Struct, "src/auth/service.rs", 3)
    );
    let m = g.symbol("auth::service::AuthService::check").unwrap();
    assert_eq!(m.kind, SymbolKind::Method);
    assert!(g
        .references_to("auth::Authenticator")
        .any(|r| r.file == "src/auth/service.rs"));
}

#[test]
fn python_relative_imports_packages_and_base_classes() {
    let dir = tree(&[
        ("app/__init__.py", ""),
        ("app/models/__init__.py", "from .user import User\n"),
        ("app/models/user.py", "class Base:\n    pass\n\nclass User(Base):\n    pass\n"),
        (
            "app/auth/service.py",
            "from ..models import User\nfrom . import tokens\nfrom app.models.user import Base\n\nclass Admin(Base):\n    pass\n\ndef login() -> User:\n    return tokens.issue()\n",
        ),
        ("app/auth/__init__.py", ""),
        ("app/auth/tokens.py", "def issue():\n    return 1\n"),
        ("main.py", "import app.auth.service\n"),
    ]);
    let g = graph_of(dir.path());
    assert_eq!(
        imports(&g, "app/auth/service.py"),
        vec![
            (1, "app/models/__init__.py".into()),
            (2, "app/auth/tokens.py".into()),
            (3, "app/models/user.py".into()),
        ]
    );
    assert_eq!(
        imports(&g, "app/models/__init__.py"),
        vec![(1, "app/models/user.py".into())]
    );
    assert_eq!(
        imports(&g, "main.py"),
        vec![(1, "app/auth/service.py".into())]
    );
    // The base class resolves through the import to the file that defines it.
    let e = edge(&g, "app/auth/service.py", "app/models/user.py").unwrap();
    assert!(e.names.iter().any(|(n, _)| n == "Base"), "{e:?}");
    assert_eq!(g.symbol("app.auth.service.login").map(|s| s.line), Some(8));
    assert_eq!(
        g.symbol("app.models.user.User").map(|s| s.kind),
        Some(SymbolKind::Class)
    );
}

#[test]
fn name_collisions_follow_imports_and_discount_by_name() {
    let dir = tree(&[
        (
            "a/store.py",
            "class Store:\n    def save(self):\n        pass\n",
        ),
        (
            "b/store.py",
            "class Store:\n    def save(self):\n        pass\n",
        ),
        (
            "a/use.py",
            "from a.store import Store\n\ndef f():\n    return Store()\n",
        ),
        ("c/other.py", "def g(x):\n    return Store()\n"),
        (
            "c/private.py",
            "def _helper():\n    pass\n\ndef shared():\n    pass\n",
        ),
        ("c/caller.py", "def h():\n    _helper()\n    shared()\n"),
    ]);
    let g = graph_of(dir.path());
    // The import decides: a/use.py depends on a/store.py only.
    assert!(edge(&g, "a/use.py", "a/store.py").is_some());
    assert!(edge(&g, "a/use.py", "b/store.py").is_none());
    // Without an import, the name is shared between both definers, each at half weight.
    let ea = edge(&g, "c/other.py", "a/store.py").unwrap();
    let eb = edge(&g, "c/other.py", "b/store.py").unwrap();
    assert_eq!(ea.weight, eb.weight);
    let e = edge(&g, "c/caller.py", "c/private.py").unwrap();
    let w = |n: &str| e.names.iter().find(|(k, _)| k == n).unwrap().1;
    assert!(w("_helper") < w("shared") / 5.0, "{e:?}");
    assert!(ea.weight < w("shared"));
}
