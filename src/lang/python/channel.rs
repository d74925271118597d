//! The harness-owned side of a pytest run: the configuration pytest is given instead of the
//! tree's ([`harness_ini`]), the canary test file added to the graded copy ([`canary_file`]),
//! and the results the harness's own plugin (`harness/python/refbench_grade.py`, loaded with
//! `-p`) writes to a file the harness names ([`parse_channel`]). Text in, text and typed
//! reports out.
//!
//! pytest reads `-c <harness ini>` only: the tree's `pytest.ini` is read here, and only the
//! keys that say which tests exist and how they are named are kept (`pythonpath`, made
//! absolute, and the collection and marker settings); `addopts`, plugins and report settings
//! never reach the graded run, whoever wrote them.

use std::path::Path;

use serde::Deserialize;

use crate::catalog::TestId;
use crate::lang::status::record;
use crate::lang::{ChannelReport, TestStatus};

/// The `[pytest]` keys carried over from the tree's `pytest.ini`.
const KEPT_KEYS: &[&str] = &[
    "python_files",
    "python_classes",
    "python_functions",
    "markers",
    "filterwarnings",
    "xfail_strict",
    "empty_parameter_set_mark",
    "asyncio_mode",
];

/// The harness's pytest configuration for a run in `tree`, from the tree's `pytest.ini` text
/// (`None`: there is none): `pythonpath` holds the tree and the tree's own entries made
/// absolute, then the [`KEPT_KEYS`] as they were.
pub fn harness_ini(tree_ini: Option<&str>, tree: &Path) -> String {
    let mut pythonpath = vec![tree.display().to_string()];
    let mut kept = String::new();
    let mut section = String::new();
    let mut current: Option<(String, String)> = None;
    let flush = |entry: Option<(String, String)>, kept: &mut String, path: &mut Vec<String>| {
        let Some((key, value)) = entry else { return };
        if key == "pythonpath" {
            for part in value.split_whitespace() {
                let joined = tree.join(part);
                let joined = joined.display().to_string();
                if !path.contains(&joined) {
                    path.push(joined);
                }
            }
        } else if KEPT_KEYS.contains(&key.as_str()) {
            kept.push_str(&format!("{key} ={value}\n"));
        }
    };
    for line in tree_ini.unwrap_or_default().lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) && !trimmed.is_empty() {
            if let Some((_, value)) = current.as_mut() {
                value.push_str(&format!("\n    {trimmed}"));
            }
            continue;
        }
        flush(current.take(), &mut kept, &mut pythonpath);
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        if section != "pytest" {
            continue;
        }
        let split = trimmed.find(['=', ':']).map(|at| trimmed.split_at(at));
        if let Some((key, value)) = split {
            let value = value[1..].trim();
            let value = if value.is_empty() {
                String::new()
            } else {
                format!(" {value}")
            };
            current = Some((key.trim().to_string(), value));
        }
    }
    flush(current.take(), &mut kept, &mut pythonpath);
    format!(
        "# Written by refbench for one graded run; the tree's own configuration is not read.\n[pytest]\npythonpath = {}\n{kept}",
        pythonpath.join(" ")
    )
}

/// The canary test file for a graded test folder: its name (`<module>.py`) and text, with
/// the test `pass` that must pass and `fail` that must fail.
pub fn canary_file(module: &str, pass: &str, fail: &str) -> (String, String) {
    (
        format!("{module}.py"),
        format!("def {pass}():\n    pass\n\n\ndef {fail}():\n    assert False, \"{fail}\"\n"),
    )
}

/// Reads the plugin's channel: one JSON object a line, `{"id", "when", "outcome"}` per test
/// phase and `{"finished": EXIT}` at the end of the session. A test's status is the worst of
/// its phases: a failed call is failed, a failed setup or teardown an error. Lines that do not
/// read are skipped (the file is the harness's, but the tested code runs in the same process).
pub fn parse_channel(text: &str) -> ChannelReport {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Line {
        Phase {
            id: String,
            when: String,
            outcome: String,
        },
        Finished {
            finished: i32,
        },
    }
    let mut report = ChannelReport::default();
    for line in text.lines() {
        match serde_json::from_str::<Line>(line) {
            Ok(Line::Phase { id, when, outcome }) => {
                let status = match (outcome.as_str(), when.as_str()) {
                    ("passed", "call") => TestStatus::Passed,
                    ("passed", _) => continue,
                    ("failed", "call") => TestStatus::Failed,
                    ("failed", _) => TestStatus::Error,
                    ("skipped", _) => TestStatus::Skipped,
                    _ => continue,
                };
                record(&mut report.statuses, TestId(id), status);
            }
            Ok(Line::Finished { finished }) => {
                report.lines_after_finish = 0;
                report.session_exit = Some(finished);
            }
            Err(_) => report.unreadable += 1,
        }
        if report.session_exit.is_some() {
            report.lines_after_finish += 1;
        }
    }
    report.lines_after_finish = report.lines_after_finish.saturating_sub(1);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harness_ini_keeps_collection_settings_and_drops_the_rest() {
        let tree_ini = "[pytest]\npythonpath = . src\ntestpaths = tests\naddopts = -p evil --no-header\nmarkers =\n    slow: slow tests\n    db\n; comment\n[other]\npython_files = nope.py\n";
        let ini = harness_ini(Some(tree_ini), Path::new("/t"));
        assert!(ini.contains("pythonpath = /t /t/. /t/src\n"), "{ini}");
        assert!(
            ini.contains("markers =\n    slow: slow tests\n    db\n"),
            "{ini}"
        );
        assert!(!ini.contains("addopts"), "{ini}");
        assert!(!ini.contains("evil"), "{ini}");
        assert!(!ini.contains("nope"), "{ini}");
        assert!(harness_ini(None, Path::new("/t")).contains("pythonpath = /t\n"));
    }

    #[test]
    fn the_channel_gives_each_test_its_worst_phase() {
        let text = r#"{"id":"tests/a.py::ok","when":"setup","outcome":"passed"}
{"id":"tests/a.py::ok","when":"call","outcome":"passed"}
{"id":"tests/a.py::bad","when":"call","outcome":"failed"}
{"id":"tests/a.py::broken","when":"setup","outcome":"failed"}
{"id":"tests/a.py::skip","when":"setup","outcome":"skipped"}
not json
{"finished":1}
"#;
        let r = parse_channel(text);
        let get = |id: &str| r.statuses[&TestId(id.into())];
        assert_eq!(get("tests/a.py::ok"), TestStatus::Passed);
        assert_eq!(get("tests/a.py::bad"), TestStatus::Failed);
        assert_eq!(get("tests/a.py::broken"), TestStatus::Error);
        assert_eq!(get("tests/a.py::skip"), TestStatus::Skipped);
        assert_eq!(r.session_exit, Some(1));
        assert_eq!((r.unreadable, r.lines_after_finish), (1, 0));
        let (name, text) = canary_file("test_m", "test_p", "test_f");
        assert_eq!(name, "test_m.py");
        assert!(text.contains("def test_f():\n    assert False"));
    }
}
