//! Python: pytest suites, graded from pytest's JUnit XML; sources parsed with
//! tree-sitter-python; the harness's `refbench_race` module on PYTHONPATH.
//!
//! In: a task's or a path's language being Python. Out: the [`Python`] support (see
//! [`crate::lang::LanguageSupport`] for what each stage takes from it).

pub mod channel;
pub mod junit;
pub mod refusal;
mod templates;

use std::path::Path;

use super::{
    file_test_id, harness_dir, EnvInputs, ExtractionQueries, Language, LanguageSupport, OneCommand,
    ResultsChannel, SeedQueries, SuitePlan, Templates, TestIdError,
};

/// Python support.
pub struct Python;

/// What pytest prints when it is not installed for the interpreter that ran.
const NO_PYTEST: &str = "No module named pytest";

impl LanguageSupport for Python {
    fn language(&self) -> Language {
        Language::Python
    }

    fn source_extensions(&self) -> &'static [&'static str] {
        &["py", "pyi"]
    }

    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_python::LANGUAGE.into()
    }

    fn queries(&self) -> ExtractionQueries {
        ExtractionQueries {
            defs: include_str!("../../codegraph/queries/python-defs.scm"),
            refs: include_str!("../../codegraph/queries/python-refs.scm"),
            defs_file: "src/codegraph/queries/python-defs.scm",
            refs_file: "src/codegraph/queries/python-refs.scm",
        }
    }

    fn seed_queries(&self) -> SeedQueries {
        SeedQueries {
            sites: include_str!("seed-sites.scm"),
            sites_file: "src/lang/python/seed-sites.scm",
        }
    }

    fn cache_tag(&self) -> u8 {
        1
    }

    fn line_comment(&self) -> &'static str {
        "#"
    }

    /// pytest node ids: `FILE.py::[CLASS::]NAME`.
    fn check_test_id(&self, id: &str) -> Result<(), TestIdError> {
        file_test_id(id, ".py", "FILE.py::NAME", Language::Python)
    }

    /// The private environment's `bin` first on PATH, the harness on PYTHONPATH, no bytecode
    /// written into the tree, and a fixed hash seed (set and dict orders repeat).
    fn test_env(&self, inputs: &EnvInputs<'_>) -> Vec<(String, String)> {
        let mut env = Vec::new();
        if let Some(bin) = inputs.python_bin {
            let path = (inputs.host)("PATH").unwrap_or_default();
            env.push(("PATH".into(), format!("{}:{path}", bin.display())));
        }
        let harness = harness_dir(inputs.project_root, Language::Python);
        env.push(("PYTHONPATH".into(), harness.display().to_string()));
        env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
        // No user site-packages (and its .pth files) in graded runs.
        env.push(("PYTHONNOUSERSITE".into(), "1".into()));
        env.push(("PYTHONHASHSEED".into(), "0".into()));
        env
    }

    fn dependency_fetch(&self, _repo: &Path) -> Option<Vec<String>> {
        None
    }

    /// `python3 -P -m pytest` (the tree is not put on `sys.path` before pytest is imported)
    /// with the harness's configuration (`-c`, built by [`channel::harness_ini`]), the tree as
    /// the root and the limit of conftest files, the harness's results plugin
    /// (`-p refbench_grade`) writing to a channel file, and a JUnit report, all in the scratch
    /// folder. The graded test files and the canary file are appended by the score stage.
    fn test_suite(&self, scratch: &Path) -> SuitePlan {
        let report = scratch.join("junit.xml");
        let config = scratch.join("refbench-pytest.ini");
        let results = scratch.join("refbench-results.jsonl");
        let argv = vec![
            "python3".into(),
            "-P".into(),
            "-m".into(),
            "pytest".into(),
            "-c".into(),
            config.display().to_string(),
            "--rootdir=.".into(),
            "--confcutdir=.".into(),
            "-p".into(),
            "no:cacheprovider".into(),
            "-p".into(),
            "refbench_grade".into(),
            format!("--refbench-results={}", results.display()),
            "-o".into(),
            "junit_family=xunit1".into(),
            // One hidden test module that does not import (the interface is missing) must not
            // stop pytest from running, and grading, every other test.
            "--continue-on-collection-errors".into(),
            format!("--junitxml={}", report.display()),
        ];
        SuitePlan::OneCommand(OneCommand {
            argv,
            report,
            parse_report: junit::parse_pytest_junit,
            runner_problem: |output| {
                output
                    .contains(NO_PYTEST)
                    .then_some("pytest is not installed for python3 (pip install pytest)")
            },
            channel: ResultsChannel {
                path: results,
                parse: channel::parse_channel,
                config,
                make_config: channel::harness_ini,
                canary_file: channel::canary_file,
            },
        })
    }

    fn compiled_detector(&self, _argv: &[String]) -> Option<super::CompiledDetector> {
        None
    }

    fn build_ms(&self, _output: &str) -> Option<u64> {
        None
    }

    fn refused_change(
        &self,
        path: &str,
        change: super::PathChange,
        has_file: &dyn Fn(&str) -> bool,
    ) -> Option<super::RefusalReason> {
        refusal::refused_change(path, change, has_file)
    }

    fn manifest_file(&self) -> Option<&'static str> {
        None
    }

    fn templates(&self) -> &'static dyn Templates {
        &templates::PythonTemplates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn the_environment_puts_the_private_python_and_the_harness_first() {
        let host = |name: &str| (name == "PATH").then(|| "/usr/bin".to_string());
        let env = Python.test_env(&EnvInputs {
            project_root: Path::new("/p"),
            python_bin: Some(Path::new("/c/python/abc/bin")),
            target_dir: None,
            host: &host,
        });
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("PATH"), Some("/c/python/abc/bin:/usr/bin"));
        assert_eq!(get("PYTHONPATH"), Some("/p/harness/python"));
        assert_eq!(get("PYTHONHASHSEED"), Some("0"));
    }

    #[test]
    fn pytest_writes_its_report_into_the_scratch_folder() {
        let SuitePlan::OneCommand(plan) = Python.test_suite(Path::new("/s/tests")) else {
            panic!("pytest is one command");
        };
        assert_eq!(plan.report, PathBuf::from("/s/tests/junit.xml"));
        assert!(plan
            .argv
            .contains(&"--junitxml=/s/tests/junit.xml".to_string()));
        assert_eq!(
            (plan.runner_problem)("ModuleNotFoundError: No module named pytest"),
            Some("pytest is not installed for python3 (pip install pytest)")
        );
        assert_eq!((plan.runner_problem)("Killed"), None);
    }
}
