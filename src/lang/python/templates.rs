//! What `refbench new` writes for a Python fixture, task and bug: names in, files out.

use crate::lang::{TemplateFile, Templates};

/// The Python templates.
pub(super) struct PythonTemplates;

impl Templates for PythonTemplates {
    fn fixture_files(&self, name: &str, module: &str) -> Vec<TemplateFile> {
        vec![
            ("repo/pytest.ini".into(), "[pytest]\npythonpath = .\ntestpaths = tests\n".into()),
            ("repo/.gitignore".into(), "__pycache__/\n.pytest_cache/\n".into()),
            (format!("repo/{module}/__init__.py"), format!("\"\"\"{name}: replace with the fixture's code.\"\"\"\n")),
            (
                format!("repo/{module}/sync.py"),
                "\"\"\"Shared-state primitives. Route locks through here so detectors can find them.\"\"\"\n\nimport threading\n\nLock = threading.Lock\nRLock = threading.RLock\nCondition = threading.Condition\n".into(),
            ),
            ("repo/tests/test_smoke.py".into(), format!("import {module}\n\n\ndef test_imports():\n    assert {module}.__doc__\n")),
        ]
    }

    fn task_test_examples(&self) -> (&'static str, &'static str) {
        (
            "tests/test_new_api.py::test_it_works",
            "tests/test_smoke.py::test_imports",
        )
    }

    fn task_protected(&self) -> &'static str {
        "[\"tests/**\", \"detectors/**\", \"pytest.ini\"]"
    }

    fn bug_detector(&self, fixture: &str, id: &str, stem: &str) -> (String, TemplateFile) {
        (
            format!("[\"python3\", \"-m\", \"pytest\", \"-q\", \"-p\", \"no:cacheprovider\", \"detectors/test_race_{stem}.py\"]"),
            (
                format!("detector/detectors/test_race_{stem}.py"),
                format!(
                    r#""""Detector for {fixture}/{id}: explores thread interleavings systematically.

refbench puts harness/python on PYTHONPATH; see harness/python/README.md for the API.
Exit 0 (all tests pass) means no race found.
"""
from refbench_race import assert_no_race


def test_no_race():
    # TODO: build the object under test in setup, call its public API from two or three
    # threads, and check the invariant the bug breaks. Target the bug's file so the explorer
    # switches threads there.
    raise NotImplementedError("write the detector: see docs/adding-a-bug.md")
"#
                ),
            ),
        )
    }
}
