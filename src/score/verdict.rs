//! What scoring decides, as stored: per-test results and the suite's [`TestGrade`], detector
//! results, hygiene flags, and the [`Verdict`] that holds one field per dimension. Types in,
//! JSON out (and back: records written by earlier versions read into the same types).

use serde::{Deserialize, Serialize};

use super::integrity::Integrity;
use super::{RuleResult, RuleStatus};
use crate::catalog::{BugId, TestId};
use crate::lang::TestStatus;

/// Which list of the task a test belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TestKind {
    /// Hidden test that must go from failing to passing.
    FailToPass,
    /// Visible test that must keep passing.
    PassToPass,
}

/// One graded test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    /// The test id.
    pub id: TestId,
    /// Its list.
    pub kind: TestKind,
    /// Its status.
    pub status: TestStatus,
}

/// SWE-bench's resolution levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TestGrade {
    /// Every FAIL_TO_PASS and PASS_TO_PASS test passes.
    Full,
    /// Some but not all FAIL_TO_PASS pass; every PASS_TO_PASS passes.
    Partial,
    /// Anything else.
    No,
}

impl std::fmt::Display for TestGrade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TestGrade::Full => "FULL",
            TestGrade::Partial => "PARTIAL",
            TestGrade::No => "NO",
        })
    }
}

/// What a detector found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorStatus {
    /// Exit 0 within the limit: no race found.
    Passed,
    /// Non-zero exit or a signal: the race (or a build break) is there.
    Failed,
    /// Ran out of time: counted as a hang, i.e. detected.
    TimedOut,
    /// Could not run or did not say (it crashed, failed to import, could not find its file,
    /// failed without finding a race): never a detection, never a pass.
    Error,
}

impl DetectorStatus {
    /// Whether the detector found the race (a failure it reported, or a hang).
    pub fn found_race(self) -> bool {
        matches!(self, DetectorStatus::Failed | DetectorStatus::TimedOut)
    }
}

impl std::fmt::Display for DetectorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DetectorStatus::Passed => "passed",
            DetectorStatus::Failed => "failed",
            DetectorStatus::TimedOut => "timed-out",
            DetectorStatus::Error => "error",
        })
    }
}

/// One detector run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectorResult {
    /// The bug it looks for.
    pub bug: BugId,
    /// What it found.
    pub status: DetectorStatus,
    /// `exit 1`, `timed out after 60.0 s`, ...
    pub detail: String,
    /// Wall time.
    pub duration_ms: u64,
    /// The part of it cargo spent building (Rust detectors; `None` otherwise or when cargo
    /// printed no build time).
    #[serde(default)]
    pub build_ms: Option<u64>,
}

/// How the test suite ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteEnd {
    /// The tests ran to the end (whatever their results).
    Ran,
    /// The time limit ended the run.
    TimedOut,
    /// No test binary ran: the build failed.
    BuildFailed,
    /// No test binary ran, and the time limit ended the command.
    BuildTimedOut,
}

impl SuiteEnd {
    /// From the two flags records have always stored.
    pub fn from_flags(build_failed: bool, timed_out: bool) -> SuiteEnd {
        match (build_failed, timed_out) {
            (false, false) => SuiteEnd::Ran,
            (false, true) => SuiteEnd::TimedOut,
            (true, false) => SuiteEnd::BuildFailed,
            (true, true) => SuiteEnd::BuildTimedOut,
        }
    }

    /// No test binary ran because the build did not succeed.
    pub fn build_failed(self) -> bool {
        matches!(self, SuiteEnd::BuildFailed | SuiteEnd::BuildTimedOut)
    }

    /// The time limit ended the test commands.
    pub fn timed_out(self) -> bool {
        matches!(self, SuiteEnd::TimedOut | SuiteEnd::BuildTimedOut)
    }
}

/// The grade of the test suite.
///
/// Stored with two flags, `build_failed` and `timed_out`, in place of [`SuiteEnd`], as every
/// store has held it: `show --format json` prints records as they are read, and an old store
/// must print what it always printed. The flags say the same as the enum, both ways.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "TestsVerdictRecord", into = "TestsVerdictRecord")]
pub struct TestsVerdict {
    /// FULL / PARTIAL / NO.
    pub grade: TestGrade,
    /// Every test of both lists with its status, FAIL_TO_PASS first, each list in task order.
    pub tests: Vec<TestResult>,
    /// FAIL_TO_PASS passing / total.
    pub f2p: (usize, usize),
    /// PASS_TO_PASS passing / total.
    pub p2p: (usize, usize),
    /// How the suite ended.
    pub end: SuiteEnd,
    /// How the test command ended (`exit 1`, `timed out after 60.0 s`).
    pub detail: String,
    /// Wall time of the test commands (after a build error, with the build and run of the
    /// targets that compile).
    pub duration_ms: u64,
    /// The part of it spent building, as the build tool reports it (Rust only; `None` when
    /// it printed no build time, e.g. the build failed).
    pub build_ms: Option<u64>,
}

/// [`TestsVerdict`] as stored.
#[derive(Serialize, Deserialize)]
struct TestsVerdictRecord {
    grade: TestGrade,
    tests: Vec<TestResult>,
    f2p: (usize, usize),
    p2p: (usize, usize),
    build_failed: bool,
    timed_out: bool,
    detail: String,
    duration_ms: u64,
    #[serde(default)]
    build_ms: Option<u64>,
}

impl From<TestsVerdictRecord> for TestsVerdict {
    fn from(r: TestsVerdictRecord) -> TestsVerdict {
        TestsVerdict {
            grade: r.grade,
            tests: r.tests,
            f2p: r.f2p,
            p2p: r.p2p,
            end: SuiteEnd::from_flags(r.build_failed, r.timed_out),
            detail: r.detail,
            duration_ms: r.duration_ms,
            build_ms: r.build_ms,
        }
    }
}

impl From<TestsVerdict> for TestsVerdictRecord {
    fn from(v: TestsVerdict) -> TestsVerdictRecord {
        TestsVerdictRecord {
            grade: v.grade,
            tests: v.tests,
            f2p: v.f2p,
            p2p: v.p2p,
            build_failed: v.end.build_failed(),
            timed_out: v.end.timed_out(),
            detail: v.detail,
            duration_ms: v.duration_ms,
            build_ms: v.build_ms,
        }
    }
}

/// A hygiene flag raised by an edit: something it did that a clean refactoring does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HygieneFlag {
    /// The edit changed a protected file (a test, a detector, build configuration); the file
    /// was restored before grading. Records written before the clean room only: it now
    /// refuses such a change as [`TamperEvidence::RefusedFile`](super::TamperEvidence).
    ProtectedFileChanged {
        /// The file, relative to the repository.
        path: String,
    },
    /// A placeholder line standing for elided code (`# ... rest unchanged ...`).
    Placeholder {
        /// Where: `FILE:LINE`.
        location: String,
    },
}

const PROTECTED_PREFIX: &str = "changed protected file ";
const PROTECTED_SUFFIX: &str = " (restored)";
const PLACEHOLDER_PREFIX: &str = "placeholder for elided code at ";

impl std::fmt::Display for HygieneFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HygieneFlag::ProtectedFileChanged { path } => {
                write!(f, "{PROTECTED_PREFIX}{path}{PROTECTED_SUFFIX}")
            }
            HygieneFlag::Placeholder { location } => write!(f, "{PLACEHOLDER_PREFIX}{location}"),
        }
    }
}

/// A stored hygiene sentence that is neither form [`HygieneFlag`] ever wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown hygiene flag \"{0}\": expected \"{PROTECTED_PREFIX}PATH{PROTECTED_SUFFIX}\" or \"{PLACEHOLDER_PREFIX}FILE:LINE\"")]
pub struct UnknownHygieneFlag(pub String);

impl std::str::FromStr for HygieneFlag {
    type Err = UnknownHygieneFlag;

    /// Reads the sentence [`Display`](std::fmt::Display) writes: how records stored flags
    /// before they had a shape of their own.
    fn from_str(s: &str) -> Result<HygieneFlag, UnknownHygieneFlag> {
        if let Some(path) = s
            .strip_prefix(PROTECTED_PREFIX)
            .and_then(|rest| rest.strip_suffix(PROTECTED_SUFFIX))
        {
            return Ok(HygieneFlag::ProtectedFileChanged { path: path.into() });
        }
        if let Some(location) = s.strip_prefix(PLACEHOLDER_PREFIX) {
            return Ok(HygieneFlag::Placeholder {
                location: location.into(),
            });
        }
        Err(UnknownHygieneFlag(s.to_string()))
    }
}

impl HygieneFlag {
    /// The flags of an applied edit: its placeholders. (A protected file the edit changed is
    /// no longer a hygiene flag: the clean room refuses it and records it as integrity
    /// evidence; [`HygieneFlag::ProtectedFileChanged`] is read from older records only.)
    pub fn of_applied(applied: &crate::patch::Applied) -> Vec<HygieneFlag> {
        applied
            .hygiene
            .placeholders
            .iter()
            .map(|location| HygieneFlag::Placeholder {
                location: location.clone(),
            })
            .collect()
    }
}

/// Reads [`Verdict::hygiene`]: flags as written now, or the sentences records held before.
fn hygiene_flags_of_any_age<'de, D>(de: D) -> Result<Vec<HygieneFlag>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Flag(HygieneFlag),
        Sentence(String),
    }
    Vec::<Stored>::deserialize(de)?
        .into_iter()
        .map(|stored| match stored {
            Stored::Flag(flag) => Ok(flag),
            Stored::Sentence(s) => s.parse().map_err(serde::de::Error::custom),
        })
        .collect()
}

/// The verdict on one attempt, one field per dimension; each is reported apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The test suite.
    pub tests: TestsVerdict,
    /// One per seeded bug, in the task's order.
    pub detectors: Vec<DetectorResult>,
    /// One per architectural rule of the task, in the task's order.
    #[serde(default)]
    pub rules: Vec<RuleResult>,
    /// Hygiene flags raised by the edit: protected files it changed (restored before grading)
    /// and placeholder lines standing for elided code.
    #[serde(default, deserialize_with = "hygiene_flags_of_any_age")]
    pub hygiene: Vec<HygieneFlag>,
    /// Whether grading saw the attempt try to forge its grade (records older than the check
    /// read as not checked, and are written without the field so they print as they did).
    #[serde(default, skip_serializing_if = "Integrity::is_not_checked")]
    pub integrity: Integrity,
    /// Source files the edit left where the base's `.gitignore` ignores them: never part of
    /// the change, so not graded (said so that a failing test has its reason). Informational:
    /// it does not decide [`Verdict::resolved`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored_files: Vec<String>,
    /// Every dimension clean: tests FULL, every detector passed, every rule holds, no hygiene
    /// flag, integrity not tampered. (An edit that did not apply is never scored.)
    pub resolved: bool,
}

impl Verdict {
    /// The rule for [`Verdict::resolved`]: every dimension clean.
    pub fn all_clean(&self) -> bool {
        self.tests.grade == TestGrade::Full
            && self.races_fixed()
            && self.rules_hold()
            && self.hygiene.is_empty()
            && !self.integrity.is_tampered()
    }

    /// Every architectural rule holds (true when the task has none).
    pub fn rules_hold(&self) -> bool {
        self.rules.iter().all(|r| r.status == RuleStatus::Holds)
    }

    /// Every detector passed: the seeded races are fixed.
    pub fn races_fixed(&self) -> bool {
        self.detectors
            .iter()
            .all(|d| d.status == DetectorStatus::Passed)
    }
}

/// A verdict with the logs to keep.
#[derive(Debug, Clone)]
pub struct Scored {
    /// The verdict.
    pub verdict: Verdict,
    /// Time spent parsing the tree and checking the architectural rules.
    pub rules_ms: u64,
    /// Time spent putting the hidden tests and detectors in place and taking the build slot
    /// (for Rust, the copy of the tree at the slot's place).
    pub setup_ms: u64,
    /// Time spent parsing the test runner's report and grading it (FAIL_TO_PASS, PASS_TO_PASS,
    /// the verdict).
    pub grade_ms: u64,
    /// The hidden tests' log.
    pub tests_log: String,
    /// Each detector's log, in the task's order.
    pub detector_logs: Vec<(crate::catalog::BugId, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A verdict as records held it before the redesign: two flags, sentences.
    const OLD: &str = r#"{"tests":{"grade":"NO","tests":[],"f2p":[0,1],"p2p":[0,0],"build_failed":true,"timed_out":true,"detail":"timed out after 60.0 s","duration_ms":60000,"build_ms":null},"detectors":[],"hygiene":["changed protected file tests/test_a.py (restored)","placeholder for elided code at app/x.py:12"],"resolved":false}"#;

    #[test]
    fn an_old_verdict_reads_into_the_typed_one_and_prints_the_same_sentences() {
        let v: Verdict = serde_json::from_str(OLD).unwrap();
        assert_eq!(v.tests.end, SuiteEnd::BuildTimedOut);
        assert_eq!(
            v.hygiene,
            vec![
                HygieneFlag::ProtectedFileChanged {
                    path: "tests/test_a.py".into()
                },
                HygieneFlag::Placeholder {
                    location: "app/x.py:12".into()
                },
            ]
        );
        let sentences: Vec<String> = v.hygiene.iter().map(ToString::to_string).collect();
        assert_eq!(
            sentences,
            [
                "changed protected file tests/test_a.py (restored)",
                "placeholder for elided code at app/x.py:12"
            ]
        );
        // The suite's end is stored as the flags it always was (an old store's JSON view
        // prints what it printed); flags are written in their own shape and read back.
        let json = serde_json::to_string(&v).unwrap();
        assert!(
            json.contains(r#""build_failed":true,"timed_out":true"#),
            "{json}"
        );
        assert!(
            json.contains(r#""hygiene":[{"kind":"protected-file-changed","path":"tests/test_a.py"},{"kind":"placeholder","location":"app/x.py:12"}]"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Verdict>(&json).unwrap(), v);
    }

    #[test]
    fn every_suite_end_survives_its_flags() {
        for end in [
            SuiteEnd::Ran,
            SuiteEnd::TimedOut,
            SuiteEnd::BuildFailed,
            SuiteEnd::BuildTimedOut,
        ] {
            assert_eq!(
                SuiteEnd::from_flags(end.build_failed(), end.timed_out()),
                end
            );
        }
    }

    #[test]
    fn an_unknown_hygiene_sentence_is_refused_with_the_forms_expected() {
        let bad = OLD.replace("placeholder for elided code at", "something else at");
        let err = serde_json::from_str::<Verdict>(&bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown hygiene flag"), "{err}");
        assert!(
            err.contains("placeholder for elided code at FILE:LINE"),
            "{err}"
        );
    }
}
