//! `refbench apply REPLY --repo DIR [--format F]`: the apply stage by hand.
//!
//! In: a reply file and a folder. Out: the folder changed as a run would change it (no
//! protected globs), and on stdout the format read, the overall status, one line per file and
//! per hunk, and the hygiene counts. Exit 0 when applied, 1 when it did not apply or the reply
//! held no edit (nothing changed: a script must not take that for success), 2 for bad input, 3
//! for trouble with the folder.

use std::path::Path;
use std::process::ExitCode;

use crate::patch::{apply_reply_with, ApplyOptions, ApplyStatus, EditFormat};

use super::{EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_HARNESS};

/// Runs the subcommand.
pub fn apply_command(reply: &Path, repo: &Path, format: EditFormat) -> ExitCode {
    let text = match std::fs::read(reply) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("error: reading the reply {}: {e}", reply.display());
            return ExitCode::from(EXIT_BAD_INPUT);
        }
    };
    if !repo.is_dir() {
        eprintln!(
            "error: --repo {}: not a folder (give the repository the reply edits)",
            repo.display()
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let options = ApplyOptions {
        format,
        ..ApplyOptions::default()
    };
    let applied = match apply_reply_with(repo, &text, &|_| false, &options) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_HARNESS);
        }
    };
    let strategy = applied
        .strategy
        .map(|s| format!("{s:?}").to_lowercase())
        .unwrap_or_else(|| "none".into());
    println!(
        "format: {}  status: {}  written by: {strategy}",
        applied.format, applied.status
    );
    if let Some(reason) = &applied.reason {
        println!("reason: {reason}");
    }
    for file in &applied.files {
        println!("{}  {}  {}", file.path, file.change, file.status);
        for hunk in &file.hunks {
            println!("  {}  {}", hunk.edit, hunk.status);
        }
    }
    let h = &applied.hygiene;
    println!(
        "hygiene: {} files touched, {} deleted, +{} -{} lines",
        h.files_touched, h.files_deleted, h.lines_added, h.lines_removed
    );
    for p in &h.placeholders {
        println!("placeholder: {p}");
    }
    if applied.status == ApplyStatus::Empty {
        eprintln!("error: the reply holds no edit (no diff, search/replace block or whole file); nothing changed");
        ExitCode::from(EXIT_CHECK_FAILED)
    } else if applied.status == ApplyStatus::Failed {
        ExitCode::from(EXIT_CHECK_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}
