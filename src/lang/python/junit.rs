//! pytest's JUnit XML report (`--junitxml`, `-o junit_family=xunit1`) in, the status of each
//! test by pytest node id (`FILE::[CLASS::]NAME`) out.

use quick_xml::events::Event;

use crate::catalog::TestId;
use crate::lang::status::record;
use crate::lang::{ReportError, StatusMap, TestStatus};

/// Parses pytest's JUnit XML (`-o junit_family=xunit1`, which carries each case's `file`) into
/// pytest node ids `FILE::[CLASS::]NAME`. A case with several outcomes keeps the worst.
pub fn parse_pytest_junit(xml: &str) -> Result<StatusMap, ReportError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = StatusMap::new();
    let mut current: Option<(TestId, TestStatus)> = None;
    loop {
        match reader.read_event() {
            Err(e) => {
                return Err(ReportError {
                    format: "JUnit XML",
                    offset: reader.buffer_position(),
                    message: e.to_string(),
                })
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
                        *status = status.worse(outcome);
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
}
