//! Per-runner parsers: runner output in, a map from test id to [`TestStatus`] out. Grading
//! never looks at raw output; a new language is a new parser here and nothing else.

use std::collections::BTreeMap;

use quick_xml::events::Event;
use serde::{Deserialize, Serialize};

use crate::catalog::TestId;

/// Status of one test, as its runner reported it (or did not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestStatus {
    /// Ran and passed.
    Passed,
    /// Ran and failed an assertion.
    Failed,
    /// Errored (setup/teardown/collection in pytest).
    Error,
    /// Skipped or ignored.
    Skipped,
    /// Not in the runner's output at all (build failure, crash, timeout, renamed away).
    Missing,
}

impl TestStatus {
    /// Only `Passed` counts as passing; a skipped test required by the task is not a pass.
    pub fn is_pass(self) -> bool {
        self == TestStatus::Passed
    }
}

impl std::fmt::Display for TestStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TestStatus::Passed => "passed",
            TestStatus::Failed => "failed",
            TestStatus::Error => "error",
            TestStatus::Skipped => "skipped",
            TestStatus::Missing => "missing",
        })
    }
}

/// Statuses by test id.
pub type StatusMap = BTreeMap<TestId, TestStatus>;

/// Parses pytest's JUnit XML (`-o junit_family=xunit1`, which carries each case's `file`) into
/// pytest node ids `FILE::[CLASS::]NAME`. A case with several outcomes keeps the worst.
pub fn parse_pytest_junit(xml: &str) -> Result<StatusMap, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = StatusMap::new();
    let mut current: Option<(TestId, TestStatus)> = None;
    loop {
        match reader.read_event() {
            Err(e) => {
                return Err(format!(
                    "invalid JUnit XML at byte {}: {e}",
                    reader.buffer_position()
                ))
            }
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) if e.name().as_ref() == b"testcase" => {
                current = testcase_id(&e).map(|id| (id, TestStatus::Passed));
            }
            Ok(Event::Empty(e)) if e.name().as_ref() == b"testcase" => {
                if let Some(id) = testcase_id(&e) {
                    record(&mut out, id, TestStatus::Passed);
                }
            }
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                if let Some((_, status)) = current.as_mut() {
                    let outcome = match e.name().as_ref() {
                        b"failure" => Some(TestStatus::Failed),
                        b"error" => Some(TestStatus::Error),
                        b"skipped" => Some(TestStatus::Skipped),
                        _ => None,
                    };
                    if let Some(outcome) = outcome {
                        *status = worse(*status, outcome);
                    }
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == b"testcase" => {
                if let Some((id, status)) = current.take() {
                    record(&mut out, id, status);
                }
            }
            Ok(_) => {}
        }
    }
    Ok(out)
}

fn worse(a: TestStatus, b: TestStatus) -> TestStatus {
    let rank = |s: TestStatus| match s {
        TestStatus::Passed => 0,
        TestStatus::Skipped => 1,
        TestStatus::Failed => 2,
        TestStatus::Error => 3,
        TestStatus::Missing => 4,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

fn record(out: &mut StatusMap, id: TestId, status: TestStatus) {
    let entry = out.entry(id).or_insert(status);
    *entry = worse(*entry, status);
}

fn testcase_id(e: &quick_xml::events::BytesStart<'_>) -> Option<TestId> {
    let mut classname = String::new();
    let mut name = String::new();
    let mut file = String::new();
    for attr in e.attributes().flatten() {
        let value = attr.unescape_value().ok()?.into_owned();
        match attr.key.as_ref() {
            b"classname" => classname = value,
            b"name" => name = value,
            b"file" => file = value,
            _ => {}
        }
    }
    if name.is_empty() || classname.is_empty() {
        // pytest reports collection errors as a case with an empty classname; such a file's
        // tests are then missing, which grades them as failed.
        return None;
    }
    let module_path = if file.is_empty() {
        None
    } else {
        Some(file.trim_end_matches(".py").replace('/', "."))
    };
    let (file, class) = match module_path {
        Some(module) => {
            let class = classname
                .strip_prefix(&module)
                .map(|rest| rest.trim_start_matches('.').to_string())
                .unwrap_or_default();
            (file, class)
        }
        None => {
            // xunit2 has no file attribute: the classname's leading lowercase parts are the
            // module, a capitalised last part is a class.
            let mut parts: Vec<&str> = classname.split('.').collect();
            let class = match parts.last() {
                Some(last) if last.starts_with(|c: char| c.is_ascii_uppercase()) => {
                    let c = last.to_string();
                    parts.pop();
                    c
                }
                _ => String::new(),
            };
            (format!("{}.py", parts.join("/")), class)
        }
    };
    let mut id = file;
    for part in class.split('.').filter(|p| !p.is_empty()) {
        id.push_str("::");
        id.push_str(part);
    }
    id.push_str("::");
    id.push_str(&name);
    Some(TestId(id))
}

/// What `cargo test` output says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibtestReport {
    /// Statuses by `TARGET::NAME` (`src/lib.rs::a::tests::b`, `tests/flow.rs::c`).
    pub statuses: StatusMap,
    /// How many test binaries ran.
    pub binaries_run: usize,
    /// Whether rustc reported a compile error.
    pub compile_error: bool,
}

/// Parses the merged stdout+stderr of `cargo test`: cargo's `Running TARGET (...)` lines name
/// the binary, libtest's `test NAME ... ok|FAILED|ignored` lines the results.
pub fn parse_libtest(output: &str) -> LibtestReport {
    let mut report = LibtestReport::default();
    let mut target = String::from("unknown");
    for line in output.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("Running ") {
            let rest = rest.strip_prefix("unittests ").unwrap_or(rest);
            target = rest.split(" (").next().unwrap_or(rest).trim().to_string();
            report.binaries_run += 1;
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("Doc-tests ") {
            target = format!("doc:{}", rest.trim());
            report.binaries_run += 1;
            continue;
        }
        if trimmed.starts_with("error[E") || trimmed.starts_with("error: could not compile") {
            report.compile_error = true;
            continue;
        }
        let Some(rest) = trimmed.strip_prefix("test ") else {
            continue;
        };
        let Some((name, result)) = rest.rsplit_once(" ... ") else {
            continue;
        };
        let status = match result.trim() {
            "ok" => TestStatus::Passed,
            "FAILED" => TestStatus::Failed,
            r if r.starts_with("ignored") => TestStatus::Skipped,
            _ => continue,
        };
        record(
            &mut report.statuses,
            TestId(format!("{target}::{}", name.trim())),
            status,
        );
    }
    report
}

/// The build time cargo reports before running tests (`Finished `test` profile [...] target(s)
/// in 7.09s`, or `in 1m 02s` past a minute), in milliseconds; `None` when it printed none
/// (the build failed or was killed).
pub fn cargo_build_ms(output: &str) -> Option<u64> {
    output
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("Finished ")?;
            let (_, time) = rest.rsplit_once(" in ")?;
            let mut ms = 0.0;
            for part in time.split_whitespace() {
                if let Some(m) = part.strip_suffix('m') {
                    ms += m.parse::<f64>().ok()? * 60_000.0;
                } else if let Some(sec) = part.strip_suffix('s') {
                    ms += sec.parse::<f64>().ok()? * 1000.0;
                } else {
                    return None;
                }
            }
            Some(ms.round() as u64)
        })
        .next()
}

/// What a cargo build with `--message-format=json-render-diagnostics` reported (its stdout and
/// stderr merged): `cargo build --tests --keep-going`, `cargo test --no-run`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoTestBuild {
    /// Whether cargo's `build-finished` message came (a cargo that does not know these flags,
    /// or one that was killed, sends none).
    pub finished: bool,
    /// Whether it said every target built.
    pub success: bool,
    /// A local package's build script or proc macro (code of the tree, so possibly of the
    /// attempt) that ran during the build, if any: `PACKAGE (build script)`.
    pub ran_local_code: Option<String>,
    /// The test targets that compiled, as `cargo test` arguments (`--lib`, `--test NAME`,
    /// `--bin NAME`, `--example NAME`), sorted.
    pub targets: Vec<Vec<String>>,
    /// The output without cargo's JSON messages: what a person reads.
    pub human: String,
}

/// Parses the output of a keep-going test build: which test targets compiled.
pub fn parse_cargo_test_build(output: &str) -> CargoTestBuild {
    #[derive(Deserialize)]
    struct Target {
        kind: Vec<String>,
        name: String,
    }
    #[derive(Deserialize)]
    struct Profile {
        test: bool,
    }
    #[derive(Deserialize)]
    #[serde(tag = "reason", rename_all = "kebab-case")]
    enum Message {
        CompilerArtifact {
            package_id: String,
            target: Target,
            profile: Profile,
        },
        BuildScriptExecuted {
            package_id: String,
        },
        BuildFinished {
            success: bool,
        },
        #[serde(other)]
        Other,
    }
    // A package of the tree (`path+file://...`), named `NAME@VERSION` after the `#`.
    let local = |id: &str| {
        id.starts_with("path+file://")
            .then(|| id.rsplit('#').next().unwrap_or(id).to_string())
    };
    let mut build = CargoTestBuild::default();
    for line in output.lines() {
        let message = line
            .starts_with("{\"reason\":")
            .then(|| serde_json::from_str::<Message>(line).ok())
            .flatten();
        match message {
            Some(Message::BuildScriptExecuted { package_id }) => {
                if let Some(name) = local(&package_id) {
                    build
                        .ran_local_code
                        .get_or_insert(format!("{name} (build script)"));
                }
            }
            Some(Message::CompilerArtifact {
                package_id, target, ..
            }) if target.kind.iter().any(|k| k == "proc-macro") => {
                if let Some(name) = local(&package_id) {
                    build
                        .ran_local_code
                        .get_or_insert(format!("{name} (proc macro {})", target.name));
                }
            }
            Some(Message::CompilerArtifact {
                target, profile, ..
            }) if profile.test => {
                let kind = target.kind.first().map(String::as_str);
                let args = match kind {
                    Some("lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro") => {
                        vec!["--lib".to_string()]
                    }
                    Some(k @ ("test" | "bin" | "example")) => vec![format!("--{k}"), target.name],
                    _ => continue,
                };
                build.targets.push(args);
            }
            Some(Message::BuildFinished { success }) => {
                build.finished = true;
                build.success = success;
            }
            Some(_) => {}
            None => {
                build.human.push_str(line);
                build.human.push('\n');
            }
        }
    }
    build.targets.sort();
    build.targets.dedup();
    build
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytest_junit_xunit1() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5">
<testcase classname="tests.test_auth" name="test_ok" file="tests/test_auth.py" line="3" time="0.01" />
<testcase classname="tests.test_auth.TestLogin" name="test_bad[x-1]" file="tests/test_auth.py" line="9" time="0.01"><failure message="assert 1 == 2">boom</failure></testcase>
<testcase classname="tests.test_auth" name="test_skip" file="tests/test_auth.py" line="12" time="0"><skipped type="pytest.skip" message="later" /></testcase>
<testcase classname="tests.test_auth" name="test_teardown" file="tests/test_auth.py" line="14" time="0"><error message="teardown" /></testcase>
<testcase classname="" name="tests.test_broken" time="0"><error message="collection failure" /></testcase>
</testsuite></testsuites>"#;
        let map = parse_pytest_junit(xml).unwrap();
        let get = |id: &str| map.get(&TestId(id.into())).copied();
        assert_eq!(get("tests/test_auth.py::test_ok"), Some(TestStatus::Passed));
        assert_eq!(
            get("tests/test_auth.py::TestLogin::test_bad[x-1]"),
            Some(TestStatus::Failed)
        );
        assert_eq!(
            get("tests/test_auth.py::test_skip"),
            Some(TestStatus::Skipped)
        );
        assert_eq!(
            get("tests/test_auth.py::test_teardown"),
            Some(TestStatus::Error)
        );
        assert_eq!(map.len(), 4);
    }

    #[test]
    fn pytest_junit_without_file_attribute() {
        let xml = r#"<testsuite><testcase classname="tests.test_a.TestX" name="test_y"/><testcase classname="tests.test_a" name="test_z"/></testsuite>"#;
        let map = parse_pytest_junit(xml).unwrap();
        assert!(map.contains_key(&TestId("tests/test_a.py::TestX::test_y".into())));
        assert!(map.contains_key(&TestId("tests/test_a.py::test_z".into())));
    }

    #[test]
    fn pytest_junit_rejects_garbage() {
        assert!(
            parse_pytest_junit("<testsuite><testcase name='a' classname='b'></testsuite>").is_err()
        );
    }

    #[test]
    fn libtest_output() {
        let out = "   Compiling authsvc v0.1.0 (/tmp/x)\n    Finished `test` profile\n     Running unittests src/lib.rs (target/debug/deps/authsvc-1234)\n\nrunning 2 tests\ntest session::tests::ttl ... ok\ntest users::tests::bad ... FAILED\n\n     Running tests/flow.rs (target/debug/deps/flow-99)\nrunning 2 tests\ntest login_then_logout ... ok\ntest slow ... ignored, needs network\n   Doc-tests authsvc\ntest src/lib.rs - f (line 3) ... ok\n";
        let r = parse_libtest(out);
        let get = |id: &str| r.statuses.get(&TestId(id.into())).copied();
        assert_eq!(
            get("src/lib.rs::session::tests::ttl"),
            Some(TestStatus::Passed)
        );
        assert_eq!(
            get("src/lib.rs::users::tests::bad"),
            Some(TestStatus::Failed)
        );
        assert_eq!(
            get("tests/flow.rs::login_then_logout"),
            Some(TestStatus::Passed)
        );
        assert_eq!(get("tests/flow.rs::slow"), Some(TestStatus::Skipped));
        assert_eq!(
            get("doc:authsvc::src/lib.rs - f (line 3)"),
            Some(TestStatus::Passed)
        );
        assert_eq!(r.binaries_run, 3);
        assert!(!r.compile_error);
    }

    #[test]
    fn libtest_compile_error() {
        let out = "   Compiling authsvc v0.1.0\nerror[E0425]: cannot find value `x`\nerror: could not compile `authsvc` (lib test) due to 1 previous error\n";
        let r = parse_libtest(out);
        assert!(r.compile_error);
        assert!(r.statuses.is_empty());
        assert_eq!(r.binaries_run, 0);
    }

    #[test]
    fn cargo_build_time_is_read_from_the_finished_line() {
        let out = "   Compiling q v0.1.0 (/x)\n    Finished `test` profile [unoptimized + debuginfo] target(s) in 7.09s\n     Running unittests src/lib.rs\n";
        assert_eq!(cargo_build_ms(out), Some(7090));
        let long = "    Finished `test` profile [unoptimized] target(s) in 1m 02s\n";
        assert_eq!(cargo_build_ms(long), Some(62_000));
        assert_eq!(cargo_build_ms("error[E0425]: cannot find value\n"), None);
    }

    #[test]
    fn a_keep_going_test_build_names_the_targets_that_compiled() {
        // Trimmed from cargo 1.95's output on a fixture whose hidden test event_bus does not
        // compile: the library (once as a dependency, once as unit tests) and two test targets
        // did.
        let output = r#"{"reason":"compiler-artifact","package_id":"path+file:///t#rsauth@0.7.3","target":{"kind":["lib"],"crate_types":["lib"],"name":"rsauth","src_path":"/t/src/lib.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":true},"features":[],"fresh":false}
{"reason":"compiler-artifact","package_id":"path+file:///t#rsauth@0.7.3","target":{"kind":["lib"],"crate_types":["lib"],"name":"rsauth","src_path":"/t/src/lib.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":false},"features":[],"fresh":false}
   Compiling rsauth v0.7.3 (/t)
error[E0432]: unresolved import `rsauth::events`
{"reason":"compiler-artifact","package_id":"path+file:///t#rsauth@0.7.3","target":{"kind":["test"],"crate_types":["bin"],"name":"login_flow","src_path":"/t/tests/login_flow.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":true},"features":[],"fresh":true}
{"reason":"compiler-artifact","package_id":"path+file:///t#rsauth@0.7.3","target":{"kind":["bin"],"crate_types":["bin"],"name":"admin","src_path":"/t/src/main.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":true},"features":[],"fresh":true}
error: could not compile `rsauth` (test "event_bus") due to 1 previous error
{"reason":"build-finished","success":false}
"#;
        let build = parse_cargo_test_build(output);
        assert!(build.finished);
        assert!(!build.success);
        assert_eq!(build.ran_local_code, None);
        assert_eq!(
            build.targets,
            vec![
                vec!["--bin".to_string(), "admin".into()],
                vec!["--lib".to_string()],
                vec!["--test".to_string(), "login_flow".into()],
            ]
        );
        assert_eq!(
            build.human,
            "   Compiling rsauth v0.7.3 (/t)\nerror[E0432]: unresolved import `rsauth::events`\nerror: could not compile `rsauth` (test \"event_bus\") due to 1 previous error\n"
        );
        // The tree's own build script and proc macros run at build time; dependencies' do not
        // count (they come from the registry).
        let scripts = r#"{"reason":"build-script-executed","package_id":"registry+https://github.com/rust-lang/crates.io-index#libc@0.2.1","linked_libs":[],"linked_paths":[],"cfgs":[],"env":[],"out_dir":"/o"}
{"reason":"compiler-artifact","package_id":"path+file:///t/macros#fx-macros@0.1.0","target":{"kind":["proc-macro"],"crate_types":["proc-macro"],"name":"fx_macros","src_path":"/t/macros/src/lib.rs","test":true},"profile":{"opt_level":"0","debuginfo":0,"test":false},"features":[],"fresh":false}
{"reason":"build-script-executed","package_id":"path+file:///t#fx@0.1.0","linked_libs":[],"linked_paths":[],"cfgs":[],"env":[],"out_dir":"/o"}
{"reason":"build-finished","success":true}
"#;
        let build = parse_cargo_test_build(scripts);
        assert!(build.success);
        assert_eq!(
            build.ran_local_code.as_deref(),
            Some("fx-macros@0.1.0 (proc macro fx_macros)")
        );
        // A cargo that does not know the flags says so in words and sends no JSON.
        let old = parse_cargo_test_build("error: unexpected argument '--keep-going' found\n");
        assert!(!old.finished);
        assert!(old.targets.is_empty());
    }
}
