//! The catalog's names and closed vocabularies.
//!
//! In: strings read from task.toml, bug.toml and the store. Out: newtypes that say which kind
//! of id a string is ([`TaskId`], [`BugId`], [`TestId`]) and enums for the fixed word lists
//! ([`Language`], [`BugKind`], [`SymbolKind`]). Each serializes as the plain string written in
//! the files, so stored records read the same whichever type reads them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Qualified task id: `FIXTURE/TASK`, unique in a project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TaskId(pub String);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Qualified seeded-bug id: `FIXTURE/BUG`, the folder under `seeded-bugs/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BugId(pub String);

impl fmt::Display for BugId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A test id as the language's runner names it (`tests/test_x.py::test_y`,
/// `tests/flow.rs::login_then_logout`, `src/lib.rs::session::tests::ttl`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TestId(pub String);

impl fmt::Display for TestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Language of a fixture; decides the test command and the result parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// pytest suites.
    Python,
    /// cargo test suites.
    Rust,
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Language::Python => "python",
            Language::Rust => "rust",
        })
    }
}

/// What a definition is: the kinds the code graph extracts and architectural rules name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SymbolKind {
    /// A free function.
    Function,
    /// A function inside a class, impl or trait.
    Method,
    /// A Python class.
    Class,
    /// A Rust struct or union.
    Struct,
    /// A Rust enum.
    Enum,
    /// A Rust trait.
    Trait,
    /// A Rust impl block (named by its self type).
    Impl,
    /// A Rust `mod`.
    Module,
    /// A constant, static or module-level assignment.
    Constant,
    /// A Rust type alias.
    Type,
    /// A `macro_rules!`.
    Macro,
}

/// Kind of a seeded concurrency bug (ConMAn-style mutation operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BugKind {
    /// A check and the act that depends on it are not atomic.
    CheckThenAct,
    /// A read-modify-write split into a load and a store.
    LostUpdate,
    /// Two locks taken in opposite orders on two paths.
    LockOrderDeadlock,
    /// Lazy initialisation without synchronisation.
    LazyInit,
    /// A critical section split or shrunk so an invariant spanning two fields breaks.
    AtomicityViolation,
    /// A condition-variable notify removed: a waiter sleeps through the change it waits for
    /// (a lost wake-up).
    MissingNotify,
    /// Shared state guarded by two different locks on two paths (or by a lock that is not the
    /// one its other users take), so the critical sections do not exclude each other.
    WrongLockObject,
    /// An object made visible to other threads before it is fully built (a reference stored
    /// in shared state, then initialised).
    UnsafePublication,
    /// A time-of-check-to-time-of-use on a shared map: membership or a value checked under
    /// one acquisition, acted on under another (or none).
    ToctouSharedMap,
}

impl fmt::Display for BugKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BugKind::CheckThenAct => "check-then-act",
            BugKind::LostUpdate => "lost-update",
            BugKind::LockOrderDeadlock => "lock-order-deadlock",
            BugKind::LazyInit => "lazy-init",
            BugKind::AtomicityViolation => "atomicity-violation",
            BugKind::MissingNotify => "missing-notify",
            BugKind::WrongLockObject => "wrong-lock-object",
            BugKind::UnsafePublication => "unsafe-publication",
            BugKind::ToctouSharedMap => "toctou-shared-map",
        })
    }
}
