//! refbench evaluates how well language models perform multi-file refactorings of legacy
//! codebases, and whether they notice the concurrency bug hiding in a file the task never
//! mentions.
//!
//! One run evaluates tasks x models x samples. Each attempt flows one way through the stages,
//! each a module with its own error type:
//!
//! ```text
//! task (task.toml + fixture repo + seeded bugs)
//!   -> materialize  base repo: fixture + injected bugs, one commit, no history
//!   -> pack         what the model sees
//!   -> model        the reply (gold, empty, provider models)
//!   -> patch        the reply's edit applied safely; protected files restored
//!   -> score        hidden tests + race detectors in the sandbox; SWE-bench grading
//!   -> store        results.sqlite, attempts.jsonl, artifacts; durable per attempt
//!   -> report       leaderboard, verdict table, summary.md
//! ```
//!
//! [`run`] wires the stages and owns none of their logic; [`cli`] is the command line.
#![deny(missing_docs)]

pub mod agent;
pub mod attempt;
pub mod cache;
pub mod catalog;
pub mod cli;
pub mod codegraph;
pub mod fsutil;
pub mod lang;
pub mod materialize;
pub mod model;
pub mod pack;
pub mod patch;
pub mod plan;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod scaffold;
pub mod score;
pub mod seed;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod toolchain;
pub mod upstream;
pub mod validate;
