//! The verbs that read stored runs: `show`, `compare` and `list runs`; and the resume command
//! printed when a run is interrupted.
//!
//! In: the runs directory and the verb's arguments. Out: text on stdout (warnings on stderr)
//! and the exit code. Every view says when a run is incomplete or still running.

use std::path::Path;
use std::process::ExitCode;

use super::args::{Cli, ShowFormat};
use super::{open_run, run_error, EXIT_BAD_INPUT, EXIT_HARNESS};
use crate::report;
use crate::run::RunError;
use crate::store::{list_runs, RunStore};

/// The global flags a command was given, to repeat them in the command that resumes a run.
pub(super) struct ResumeHint {
    flags: String,
}

impl ResumeHint {
    pub(super) fn new(cli: &Cli) -> ResumeHint {
        let mut flags = String::new();
        for (flag, value) in [
            ("--root", &cli.root),
            ("--runs-dir", &cli.runs_dir),
            ("--cache-dir", &cli.cache_dir),
            ("--config", &cli.config),
        ] {
            if let Some(path) = value {
                let path = path.display().to_string();
                // A path with a NUL byte cannot be quoted (nor given); it is shown as it is.
                let word = shlex::try_quote(&path).map_or(path.clone(), |q| q.into_owned());
                flags.push_str(&format!(" {flag} {word}"));
            }
        }
        ResumeHint { flags }
    }

    /// `refbench [global flags] run --resume RUN`.
    pub(super) fn command(&self, run: &str) -> String {
        format!("refbench{} run --resume {run}", self.flags)
    }
}

/// `list runs`: one row per run with its state, models, attempts and start time, oldest first.
pub(super) fn list_runs_table(runs_dir: &Path) -> ExitCode {
    let mut table =
        report::Table::names_then_numbers(&["run", "status", "models", "attempts", "started"]);
    let mut unreadable = 0;
    for run in list_runs(runs_dir) {
        let row = RunStore::open(runs_dir, &run).and_then(|store| {
            let meta = store.meta()?;
            let state = store.state()?;
            Ok((meta, state))
        });
        match row {
            Ok((meta, state)) => {
                let (recorded, planned) = state.counts();
                table.push(vec![
                    run,
                    state.label().to_string(),
                    meta.models.join(","),
                    format!("{recorded}/{planned}"),
                    meta.created_at,
                ]);
            }
            Err(e) => {
                unreadable += 1;
                eprintln!("warning: {run}: {e}");
                table.push(vec![
                    run,
                    "unreadable".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
    }
    print!("{}", table.text());
    if unreadable > 0 {
        ExitCode::from(EXIT_HARNESS)
    } else {
        ExitCode::SUCCESS
    }
}

/// `show RUN`: the leaderboard and verdicts, one attempt, or the records.
pub(super) fn show_command(
    runs_dir: &Path,
    run: String,
    format: ShowFormat,
    attempt: Option<String>,
) -> ExitCode {
    let run_id = if run == "latest" {
        match list_runs(runs_dir).pop() {
            Some(r) => r,
            None => {
                eprintln!("error: no runs under {}", runs_dir.display());
                return ExitCode::from(EXIT_BAD_INPUT);
            }
        }
    } else {
        run
    };
    let store = match RunStore::open(runs_dir, &run_id) {
        Ok(s) => s,
        Err(e) => return run_error(RunError::Store(e)),
    };
    let (meta, records) = match store.meta().and_then(|m| store.attempts().map(|r| (m, r))) {
        Ok(x) => x,
        Err(e) => return run_error(RunError::Store(e)),
    };
    if let Some(wanted) = attempt {
        let hits: Vec<_> = records
            .iter()
            .filter(|r| r.key.id().contains(&wanted))
            .collect();
        let [record] = hits.as_slice() else {
            let ids: Vec<String> = hits.iter().map(|r| r.key.id()).collect();
            eprintln!(
                "error: --attempt {wanted} matches {} attempts{}; give a longer id",
                hits.len(),
                if ids.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", ids.join(", "))
                }
            );
            return ExitCode::from(EXIT_BAD_INPUT);
        };
        match format {
            ShowFormat::Json => println!(
                "{}",
                serde_json::to_string_pretty(record).expect("records serialize")
            ),
            _ => print!(
                "{}",
                report::render_attempt(
                    record,
                    &store.dir().join("artifacts").join(record.key.id())
                )
            ),
        }
        return ExitCode::SUCCESS;
    }
    let state = match store.state() {
        Ok(s) => s,
        Err(e) => return run_error(RunError::Store(e)),
    };
    // Machine formats print records only; the warning goes where people look.
    if let Some(warning) = state.warning(&meta.run_id) {
        eprintln!("warning: {warning}");
    }
    match format {
        ShowFormat::Table => {
            if let Some(warning) = state.warning(&meta.run_id) {
                println!("{}: {warning}\n", state.label().to_uppercase());
            }
            println!("{}", report::render_leaderboard(&meta, &records));
            println!("{}", report::render_verdicts(&records));
        }
        ShowFormat::Tsv => print!("{}", report::render_verdicts_tsv(&records)),
        ShowFormat::Json => {
            for r in &records {
                println!("{}", serde_json::to_string(r).expect("records serialize"));
            }
        }
        ShowFormat::Markdown => {
            print!("{}", report::render_summary_md(&meta, state, &records))
        }
    }
    ExitCode::SUCCESS
}

/// `compare A B`: what changed, attempt by attempt; incomplete runs only when allowed.
pub(super) fn compare_command(
    runs_dir: &Path,
    run_a: &str,
    run_b: &str,
    allow_incomplete: bool,
) -> ExitCode {
    let load = |run: &str| -> Result<_, ExitCode> {
        let store = open_run(runs_dir, run)?;
        let meta = store.meta().map_err(|e| run_error(RunError::Store(e)))?;
        let state = store.state().map_err(|e| run_error(RunError::Store(e)))?;
        let records = store
            .attempts()
            .map_err(|e| run_error(RunError::Store(e)))?;
        Ok((meta, state, records))
    };
    let (mut a, mut b) = match (load(run_a), load(run_b)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let unfinished: Vec<String> = [&a, &b]
        .iter()
        .filter_map(|(meta, state, _)| state.warning(&meta.run_id))
        .collect();
    if !unfinished.is_empty() {
        if !allow_incomplete {
            for w in &unfinished {
                eprintln!("error: {w}");
            }
            eprintln!("an incomplete run's missing attempts would read as changes; resume it first, or pass --allow-incomplete to compare only the attempts both runs recorded");
            return ExitCode::from(EXIT_BAD_INPUT);
        }
        // Only what both recorded: a missing attempt is not a change.
        let keys_a: std::collections::BTreeSet<_> = a.2.iter().map(|r| r.key.clone()).collect();
        let keys_b: std::collections::BTreeSet<_> = b.2.iter().map(|r| r.key.clone()).collect();
        a.2.retain(|r| keys_b.contains(&r.key));
        b.2.retain(|r| keys_a.contains(&r.key));
        for w in &unfinished {
            println!("note: {w}");
        }
        println!(
            "note: --allow-incomplete: comparing only the {} attempts both runs recorded\n",
            a.2.len()
        );
    }
    print!("{}", report::render_compare(&a.0, &a.2, &b.0, &b.2));
    ExitCode::SUCCESS
}
