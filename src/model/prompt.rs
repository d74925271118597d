//! The prompt: a versioned template filled with the task (statement, requirements, interface),
//! the context and the edit-format instructions. The template's hash is stored with every
//! attempt and run, so results made with different prompts are never silently compared.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::config::EditFormat;
use crate::task::Task;

/// Byte budget of the stand-in context ([`plain_context`]), about 100k tokens.
pub const STAND_IN_CONTEXT_BYTES: usize = 400_000;

/// Bumped whenever [`SYSTEM`] or [`USER`] change meaning.
pub const TEMPLATE_VERSION: &str = "refbench-prompt-v1";

const SYSTEM: &str = "You are a senior engineer working on an existing codebase. You make the \
change you are asked for across every file it touches, keep the code's behaviour otherwise, and \
fix any defect you find on the way. You reply with the edit only, in the format described.";

const USER: &str = "# Task\n\n{statement}\n\n# Requirements\n\n{requirements}\n\n# Interface\n\n\
Hidden tests will call:\n\n```\n{interface}\n```\n\n# Repository\n\n{context}\n\n# How to reply\n\n{edit}\n";

const UNIFIED_DIFF: &str = "Reply with one unified diff against the repository root, as \
`git diff` prints it (`--- a/PATH` and `+++ b/PATH` headers, `@@` hunks with correct line \
counts and three lines of context), inside a single ```diff fenced block. Create a file with \
`--- /dev/null`; delete one with `+++ /dev/null`. Do not change tests.";

/// The instructions for an edit format.
pub fn edit_instructions(format: EditFormat) -> &'static str {
    match format {
        EditFormat::UnifiedDiff => UNIFIED_DIFF,
    }
}

/// A filled prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// System (developer) instructions.
    pub system: String,
    /// The user message.
    pub user: String,
    /// Hash of the template and the edit instructions (not of the task or context).
    pub template_hash: String,
}

/// The hash identifying the template with `format`'s instructions: 16 hex digits.
pub fn template_hash(format: EditFormat) -> String {
    let mut h = Sha256::new();
    for part in [TEMPLATE_VERSION, SYSTEM, USER, edit_instructions(format)] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("{:x}", h.finalize())[..16].to_string()
}

/// Fills the template for `task` with `context`.
pub fn build(task: &Task, context: &str, format: EditFormat) -> Prompt {
    let requirements = task
        .requirements
        .iter()
        .map(|r| format!("- {r}"))
        .collect::<Vec<_>>()
        .join("\n");
    // One pass over the template, so a placeholder-like string inside the task or the context
    // is never substituted again.
    let mut user = String::with_capacity(USER.len() + context.len() + 1024);
    let mut rest = USER;
    while let Some(start) = rest.find('{') {
        user.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find('}').map(|e| e + 1).unwrap_or(after.len());
        let value = match &after[..end] {
            "{statement}" => task.statement.trim(),
            "{requirements}" => requirements.as_str(),
            "{interface}" => task.interface.trim(),
            "{context}" => context,
            "{edit}" => edit_instructions(format),
            other => other,
        };
        user.push_str(value);
        rest = &after[end..];
    }
    user.push_str(rest);
    Prompt {
        system: SYSTEM.to_string(),
        user,
        template_hash: template_hash(format),
    }
}

/// A stand-in context until the ranked packer is wired: the repository's text files in path
/// order, each under a `## path` heading in a fence, cut at `budget_bytes` with a note saying
/// which files were left out.
pub fn plain_context(repo: &Path, budget_bytes: usize) -> std::io::Result<String> {
    let inventory = crate::pack::inventory(repo)?;
    let mut out = String::new();
    let mut left_out = Vec::new();
    for file in &inventory.files {
        let text = match std::fs::read_to_string(repo.join(&file.path)) {
            Ok(t) => t,
            Err(_) => continue,
        };
        let block = format!(
            "## {}\n\n```\n{}\n```\n\n",
            file.path.display(),
            text.trim_end()
        );
        if out.len() + block.len() > budget_bytes {
            left_out.push(file.path.display().to_string());
            continue;
        }
        out.push_str(&block);
    }
    if !left_out.is_empty() {
        out.push_str(&format!(
            "(context truncated at {budget_bytes} bytes; {} file(s) not shown: {})\n",
            left_out.len(),
            left_out.join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_depends_on_the_template() {
        let a = template_hash(EditFormat::UnifiedDiff);
        assert_eq!(a.len(), 16);
        assert_eq!(a, template_hash(EditFormat::UnifiedDiff));
        let mut h = Sha256::new();
        h.update(b"other");
        assert_ne!(a, format!("{:x}", h.finalize())[..16]);
    }

    #[test]
    fn context_is_cut_at_the_budget_and_says_so() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.py"), "x = 1\n").unwrap();
        std::fs::write(dir.path().join("b.py"), "y = 2\n".repeat(100)).unwrap();
        let full = plain_context(dir.path(), 1 << 20).unwrap();
        assert!(
            full.contains("## a.py") && full.contains("## b.py") && !full.contains("truncated")
        );
        let cut = plain_context(dir.path(), 100).unwrap();
        assert!(cut.contains("## a.py") && !cut.contains("## b.py"), "{cut}");
        assert!(cut.contains("1 file(s) not shown: b.py"), "{cut}");
    }
}
