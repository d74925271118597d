//! The prompt: a versioned template filled with the task (statement, requirements, interface),
//! the context and the edit-format instructions. The template's hash is stored with every
//! attempt and run, so results made with different prompts are never silently compared.

use sha2::{Digest, Sha256};

use super::config::EditFormat;
use crate::catalog::Task;

/// Bumped whenever the system or user template changes meaning.
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
}
