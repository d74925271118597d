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

/// The tree's pytest settings, from the file pytest itself would read at the root, in its
/// order: `pytest.ini` (or `.pytest.ini`) `[pytest]`, `pyproject.toml`
/// `[tool.pytest.ini_options]`, `tox.ini` `[pytest]`, `setup.cfg` `[tool:pytest]`. Each value
/// as INI text (a TOML list becomes one entry per line). A file that does not parse gives no
/// settings: the tree's tests then run with the harness's defaults (and fail if they needed
/// them, which `validate` shows).
pub fn tree_settings(tree: &Path) -> Vec<(String, String)> {
    let read = |name: &str| std::fs::read_to_string(tree.join(name)).ok();
    let ini_section = |text: String, section: &str| -> Option<Vec<(String, String)>> {
        let mut ini = configparser::ini::Ini::new_cs();
        ini.set_multiline(true);
        let map = ini.read(text).ok()?;
        let keys = map.get(section)?;
        let mut out: Vec<(String, String)> = keys
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
            .collect();
        out.sort();
        Some(out)
    };
    for name in ["pytest.ini", ".pytest.ini"] {
        if let Some(text) = read(name) {
            // pytest takes this file even without a [pytest] section.
            return ini_section(text, "pytest").unwrap_or_default();
        }
    }
    if let Some(settings) = read("pyproject.toml").and_then(|text| {
        let doc: toml::Table = text.parse().ok()?;
        let options = doc
            .get("tool")?
            .get("pytest")?
            .get("ini_options")?
            .as_table()?;
        let as_ini = |v: &toml::Value| match v {
            toml::Value::String(s) => s.clone(),
            toml::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("\n"),
            other => other.to_string(),
        };
        Some(
            options
                .iter()
                .map(|(k, v)| (k.clone(), as_ini(v)))
                .collect::<Vec<_>>(),
        )
    }) {
        return settings;
    }
    if let Some(settings) = read("tox.ini").and_then(|t| ini_section(t, "pytest")) {
        return settings;
    }
    read("setup.cfg")
        .and_then(|t| ini_section(t, "tool:pytest"))
        .unwrap_or_default()
}

/// The harness's pytest configuration for a run in `tree`, from the tree's settings
/// ([`tree_settings`]): `pythonpath` holds the tree and the tree's own entries made absolute,
/// then the `KEPT_KEYS` as they were; nothing else (`addopts`, plugins, report settings).
pub fn harness_ini(tree: &Path) -> String {
    harness_ini_from(&tree_settings(tree), tree)
}

fn harness_ini_from(settings: &[(String, String)], tree: &Path) -> String {
    let mut pythonpath = vec![tree.display().to_string()];
    let mut kept = String::new();
    for (key, value) in settings {
        if key == "pythonpath" {
            for part in value.split_whitespace() {
                let joined = tree.join(part).display().to_string();
                if !pythonpath.contains(&joined) {
                    pythonpath.push(joined);
                }
            }
        } else if KEPT_KEYS.contains(&key.as_str()) {
            // One entry per line, continuation lines indented, as INI writes a list.
            let lines: Vec<&str> = value.lines().map(str::trim).collect();
            if lines.len() > 1 || value.is_empty() {
                kept.push_str(&format!("{key} =\n"));
                for line in lines.iter().filter(|l| !l.is_empty()) {
                    kept.push_str(&format!("    {line}\n"));
                }
            } else {
                kept.push_str(&format!("{key} = {}\n", value.trim()));
            }
        }
    }
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
        let tree = tempfile::tempdir().unwrap();
        let t = tree.path();
        let write = |name: &str, text: &str| std::fs::write(t.join(name), text).unwrap();
        // No configuration at all: only the tree on the path.
        assert_eq!(
            harness_ini(t),
            format!(
                "# Written by refbench for one graded run; the tree's own configuration is not read.\n[pytest]\npythonpath = {}\n",
                t.display()
            )
        );
        // setup.cfg, then tox.ini, then pyproject.toml, then pytest.ini win, as in pytest.
        write("setup.cfg", "[tool:pytest]\npythonpath = cfg\n");
        assert!(harness_ini(t).contains("/cfg"));
        write(
            "tox.ini",
            "[tox]\nenvlist = py3\n[pytest]\npythonpath = tox\n",
        );
        assert!(harness_ini(t).contains("/tox") && !harness_ini(t).contains("/cfg"));
        write(
            "pyproject.toml",
            "[tool.pytest.ini_options]\npythonpath = [\"src\", \"lib\"]\naddopts = \"-p evil\"\nmarkers = [\"slow: slow tests\", \"db\"]\n",
        );
        let ini = harness_ini(t);
        assert!(
            ini.contains(&format!("{}/src {}/lib", t.display(), t.display())),
            "{ini}"
        );
        assert!(
            ini.contains("markers =\n    slow: slow tests\n    db\n"),
            "{ini}"
        );
        assert!(!ini.contains("evil") && !ini.contains("/tox"), "{ini}");
        write(
            "pytest.ini",
            "[pytest]\npythonpath = . src\ntestpaths = tests\naddopts = -p evil --no-header\nmarkers =\n    slow: slow tests\n    db\n; comment\n[other]\npython_files = nope.py\n",
        );
        let ini = harness_ini(t);
        assert!(
            ini.contains(&format!("pythonpath = {0} {0}/. {0}/src\n", t.display())),
            "{ini}"
        );
        assert!(
            ini.contains("markers =\n    slow: slow tests\n    db\n"),
            "{ini}"
        );
        assert!(!ini.contains("addopts") && !ini.contains("evil"), "{ini}");
        assert!(!ini.contains("nope"), "{ini}");
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
