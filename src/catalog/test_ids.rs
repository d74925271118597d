//! The FAIL_TO_PASS and PASS_TO_PASS lists of a task.toml: a list of strings in, the
//! [`TestId`]s out, or the key (`fail_to_pass[2]`) and what was wrong.
//!
//! What a valid id looks like depends on the language's test runner, which the catalog does
//! not know (it sits below `lang`): the loader is handed a [`TestIdCheck`] (`lang` passes its
//! own, see `lang::load_catalog`). Duplicates are refused here, for every language.

use super::{Language, TestId};

/// A test id not in its language's syntax: the form expected instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a test id {form} (as the {language} runner names it), found \"{found}\"")]
pub struct TestIdError {
    /// The form, such as `FILE.py::NAME`.
    pub form: &'static str,
    /// The language.
    pub language: Language,
    /// The id given.
    pub found: String,
}

/// Checks one test id of a task in a language.
pub type TestIdCheck = fn(Language, &str) -> Result<(), TestIdError>;

/// The ids of the list under `key`, each checked with `check`, none twice; else the entry's
/// key (`key[i]`) and the problem.
pub(super) fn test_ids(
    raw: &[String],
    language: Language,
    key: &str,
    check: TestIdCheck,
) -> Result<Vec<TestId>, (String, String)> {
    let mut out: Vec<TestId> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        check(language, t).map_err(|e| (format!("{key}[{i}]"), e.to_string()))?;
        let id = TestId(t.clone());
        if out.contains(&id) {
            return Err((format!("{key}[{i}]"), format!("\"{t}\" is listed twice")));
        }
        out.push(id);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `FILE.x::NAME`, like the real checks do for their own extension.
    fn any_file(language: Language, id: &str) -> Result<(), TestIdError> {
        match id.split_once("::") {
            Some((file, name)) if file.contains('.') && !name.is_empty() => Ok(()),
            _ => Err(TestIdError {
                form: "FILE.x::NAME",
                language,
                found: id.to_string(),
            }),
        }
    }

    #[test]
    fn each_id_is_checked_and_none_may_repeat() {
        let ids = test_ids(&["a.py::t".into()], Language::Python, "k", any_file).unwrap();
        assert_eq!(ids, vec![TestId("a.py::t".into())]);
        let err = test_ids(
            &["a.py::t".into(), "t".into()],
            Language::Python,
            "k",
            any_file,
        )
        .unwrap_err();
        assert_eq!(err.0, "k[1]");
        assert!(err.1.contains("FILE.x::NAME"), "{}", err.1);
        let err = test_ids(
            &["tests/a.rs::t".into(), "tests/a.rs::t".into()],
            Language::Rust,
            "k",
            any_file,
        )
        .unwrap_err();
        assert_eq!(
            err,
            (
                "k[1]".to_string(),
                "\"tests/a.rs::t\" is listed twice".into()
            )
        );
    }
}
