//! `refbench seed FIXTURE [--limit N] [--operator OP ...] [--dry-run] [--sandbox S]`: the
//! concurrency bug seeder from the command line.
//!
//! In: the parsed [`SeedArgs`], the catalog and the cache. Out: on stdout one line per
//! candidate as it is decided, then the table of candidates and the counts (candidates,
//! checked, rejected by the visible tests, rejected as missed, written); the bug folders under
//! seeded-bugs/. Exit 0 when it ran (whatever it wrote), 2 for bad input, 3 when the harness
//! could not check (a toolchain, a base that fails its own tests).

use std::path::Path;
use std::process::ExitCode;

use crate::cache::CacheLayout;
use crate::catalog::MutationOperator;
use crate::report::{Align, Table};
use crate::seed::{seed, Outcome, SeedError, SeedOptions};

use super::args::SandboxArg;
use super::{EXIT_BAD_INPUT, EXIT_HARNESS};

/// `refbench seed`'s arguments.
#[derive(Debug, clap::Args)]
pub(super) struct SeedArgs {
    /// The fixture (a folder of repos-fixtures/ with tasks and race-detectors/pool.toml).
    fixture: String,
    /// Check at most N candidates (those in files a pool detector covers come first).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Only these operators (repeatable): remove-critical-section, split-critical-section,
    /// swap-lock-order, atomic-to-load-store, drop-notify, unsync-lazy-init.
    #[arg(long = "operator", value_name = "OP", value_parser = parse_operator)]
    operators: Vec<MutationOperator>,
    /// Only sites in files matching GLOB (relative to the fixture's repo; repeatable).
    #[arg(long = "file", value_name = "GLOB")]
    files: Vec<String>,
    /// List the candidates; check and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Containment of the tests and detectors (as for `validate`).
    #[arg(long, value_enum, default_value_t = SandboxArg::Full)]
    sandbox: SandboxArg,
}

fn parse_operator(s: &str) -> Result<MutationOperator, String> {
    MutationOperator::ALL
        .into_iter()
        .find(|o| o.name() == s)
        .ok_or_else(|| {
            format!(
                "expected one of {}",
                MutationOperator::ALL.map(|o| o.name()).join(", ")
            )
        })
}

/// Runs the subcommand.
pub(super) fn seed_command(root: &Path, cache: &CacheLayout, args: &SeedArgs) -> ExitCode {
    let catalog = match super::load_catalog(root, cache) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let options = SeedOptions {
        fixture: args.fixture.clone(),
        limit: args.limit,
        operators: args.operators.clone(),
        files: args.files.clone(),
        dry_run: args.dry_run,
        sandbox: args.sandbox.into(),
    };
    let report = match seed(&catalog, &options, cache, &mut |c| {
        if let Outcome::Checked(v) = &c.outcome {
            println!(
                "{} [{}] {}: {}",
                c.mutant.id,
                c.mutant.operator,
                c.mutant.site.label(),
                v.summary()
            );
        }
    }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(match e {
                SeedError::UnknownFixture { .. }
                | SeedError::NoTask { .. }
                | SeedError::File(_)
                | SeedError::BadGlob { .. }
                | SeedError::Query(_) => EXIT_BAD_INPUT,
                _ => EXIT_HARNESS,
            });
        }
    };
    for (name, status, detail) in &report.baseline {
        println!("pool detector {name} on the unmutated fixture: {status} ({detail})");
    }
    let mut table = Table::new(
        &["candidate", "operator", "kind", "site", "outcome"],
        vec![Align::Left; 5],
    );
    for c in &report.candidates {
        let outcome = match &c.outcome {
            Outcome::NotChecked => "not checked".to_string(),
            Outcome::AlreadySeeded => "already in seeded-bugs/".to_string(),
            Outcome::Checked(v) => v.summary(),
        };
        table.push(vec![
            c.mutant.id.clone(),
            c.mutant.operator.to_string(),
            c.mutant.kind.to_string(),
            c.mutant.site.label(),
            outcome,
        ]);
    }
    println!("{}", table.markdown());
    println!(
        "{}: {} candidates, {} checked, {} rejected (caught by visible tests), {} rejected (missed by detectors), {} written",
        args.fixture,
        report.candidates.len(),
        report.checked(),
        report.caught(),
        report.missed(),
        report.written.len()
    );
    for dir in &report.written {
        println!("wrote {}", dir.display());
    }
    ExitCode::SUCCESS
}
