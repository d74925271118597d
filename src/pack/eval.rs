//! pack-eval: how well the packer serves the fixture tasks.
//!
//! For every task, its base (fixture + injected bugs) is packed with the task's text at each
//! budget; a row records the recall of the files the gold patch touches that exist in the
//! base (a file counts when shown in full or as an outline) and whether each seeded bug's file
//! is shown in full. A task whose whole repository fits in full is marked, since the bug file
//! then comes for free.

use std::path::Path;

use super::{pack_dir, task_text, Mode, PackError, PackOptions};
use crate::catalog::{patch_paths, Catalog, Task};

/// Budgets pack-eval measures.
pub const BUDGETS: [usize; 3] = [8_192, 16_384, 32_768];

/// One task at one budget.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EvalRow {
    /// The task id.
    pub task: String,
    /// Token budget.
    pub budget: usize,
    /// Tokens used.
    pub tokens: usize,
    /// Gold-touched files present in the base.
    pub gold_files: usize,
    /// Of those, shown in full or outline.
    pub gold_included: usize,
    /// Seeded bug files shown in full, over seeded bug files.
    pub bugs_full: usize,
    /// Seeded bug files.
    pub bugs: usize,
    /// Every file of the repo is shown in full.
    pub fits: bool,
}

impl EvalRow {
    /// Recall of gold-touched files (1 when the patch only adds files).
    pub fn recall(&self) -> f64 {
        if self.gold_files == 0 {
            1.0
        } else {
            self.gold_included as f64 / self.gold_files as f64
        }
    }
}

/// Errors of pack-eval.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The base could not be built.
    #[error("{task}: building the base: {source}")]
    Base {
        /// The task.
        task: String,
        /// The cause.
        source: crate::materialize::MaterializeError,
    },
    /// The gold patch did not parse.
    #[error("{task}: gold patch: {message}")]
    Gold {
        /// The task.
        task: String,
        /// libgit2's reason.
        message: String,
    },
    /// Packing failed.
    #[error("{task}: {source}")]
    Pack {
        /// The task.
        task: String,
        /// The cause.
        source: PackError,
    },
}

/// Evaluates one task's pack at every budget on its base in `base_dir`.
pub fn eval_task(
    catalog: &Catalog,
    task: &Task,
    base_dir: &Path,
    parse_cache: Option<&Path>,
) -> Result<Vec<EvalRow>, EvalError> {
    let id = task.id.to_string();
    let touched: Vec<String> = patch_paths(&task.gold_patch)
        .map_err(|message| EvalError::Gold {
            task: id.clone(),
            message,
        })?
        .into_iter()
        .filter(|p| base_dir.join(p).is_file())
        .collect();
    let bug_files: Vec<String> = catalog
        .bugs_of(task)
        .iter()
        .map(|b| b.file.clone())
        .collect();
    let text = task_text(task);
    let mut rows = Vec::new();
    for budget in BUDGETS {
        let options = PackOptions {
            budget,
            cache_dir: parse_cache.map(Path::to_path_buf),
        };
        let packed = pack_dir(base_dir, &text, &options).map_err(|source| EvalError::Pack {
            task: id.clone(),
            source,
        })?;
        let shown = |p: &str| {
            packed
                .file(p)
                .is_some_and(|f| matches!(f.mode, Mode::Full | Mode::Outline))
        };
        let full = |p: &str| packed.file(p).is_some_and(|f| f.mode == Mode::Full);
        let fits =
            packed.files.iter().filter(|f| f.mode == Mode::Full).count() == packed.files_walked;
        rows.push(EvalRow {
            task: id.clone(),
            budget,
            tokens: packed.tokens,
            gold_files: touched.len(),
            gold_included: touched.iter().filter(|p| shown(p)).count(),
            bugs_full: bug_files.iter().filter(|p| full(p)).count(),
            bugs: bug_files.len(),
            fits,
        });
    }
    Ok(rows)
}

/// The Markdown table of `rows` with a summary per budget.
pub fn render_table(rows: &[EvalRow]) -> String {
    let mut out = String::from(
        "| task | budget | tokens | gold files recalled | recall | bug file in full | repo fits |\n|---|---:|---:|---:|---:|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {}/{} | {:.2} | {}/{} | {} |\n",
            r.task,
            r.budget,
            r.tokens,
            r.gold_included,
            r.gold_files,
            r.recall(),
            r.bugs_full,
            r.bugs,
            if r.fits { "yes" } else { "no" }
        ));
    }
    out.push('\n');
    for budget in BUDGETS {
        let at: Vec<&EvalRow> = rows.iter().filter(|r| r.budget == budget).collect();
        if at.is_empty() {
            continue;
        }
        let recall = at.iter().map(|r| r.recall()).sum::<f64>() / at.len() as f64;
        let not_fit: Vec<&&EvalRow> = at.iter().filter(|r| !r.fits).collect();
        let bug_ok = not_fit.iter().filter(|r| r.bugs_full == r.bugs).count();
        out.push_str(&format!(
            "- {budget} tokens: mean recall {recall:.2} over {} tasks; bug file in full on {bug_ok}/{} tasks whose repo does not fit\n",
            at.len(),
            not_fit.len()
        ));
    }
    out
}
