//! The exploration report of a Python detector that uses `refbench_race`: the bug and the
//! graded tree in, the environment that asks the explorer for its report
//! ([`explorer_env`]); after the run, the report and the command's ending in, the detector's
//! status and the [`TamperEvidence`] it shows out ([`judge_exploration`]).
//!
//! The report is written by the explorer at interpreter exit (harness/python/refbench_race/
//! `_report.py`): the explorations it ran (schedules, what each found, the scheduling points
//! reached in the bug's package and file), whether its tracer was replaced or removed while a
//! thread ran, `sys.gettrace()` asked by the package's code, `sys` tracing functions replaced,
//! and whether the canary race it explores last (compiled under a random name inside the
//! package) was found.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{CanarySite, DetectorStatus, TamperEvidence};
use crate::catalog::SeededBug;
use crate::sandbox::CommandOutput;

/// Whether a detector's files use the harness's explorer (so it owes an exploration report).
pub(super) fn uses_explorer(detector_dir: &Path) -> bool {
    ignore::WalkBuilder::new(detector_dir)
        .hidden(false)
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|text| text.contains("refbench_race")))
}

/// The environment that makes the explorer report, and the report's path (in `scratch`).
pub(super) fn explorer_env(
    bug: &SeededBug,
    tree: &Path,
    scratch: &Path,
) -> (Vec<(String, String)>, PathBuf) {
    let report = scratch.join("exploration.json");
    let _ = std::fs::remove_file(&report);
    // The bug's package: the top folder of its file (or the file, at the top level).
    let top = bug.file.split('/').next().unwrap_or(&bug.file);
    let package = tree.join(top);
    let token = format!("{:016x}", rand::random::<u64>());
    let env = vec![
        ("REFBENCH_RACE_REPORT".into(), report.display().to_string()),
        (
            "REFBENCH_RACE_PACKAGE".into(),
            package.display().to_string(),
        ),
        (
            "REFBENCH_RACE_FILE".into(),
            tree.join(&bug.file).display().to_string(),
        ),
        ("REFBENCH_RACE_CANARY".into(), token),
    ];
    (env, report)
}

#[derive(Debug, Deserialize)]
struct Exploration {
    schedules: u64,
    found: Option<String>,
    points_in_package: u64,
    points_in_file: u64,
}

#[derive(Debug, Deserialize)]
struct Report {
    canary_found: bool,
    canary_detail: Option<String>,
    explorations: Vec<Exploration>,
    tracer_lost: u64,
    gettrace_queries: Vec<String>,
    sys_replaced: Vec<String>,
}

/// What a detector run with an exploration report comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Judged {
    pub(super) status: DetectorStatus,
    pub(super) evidence: Vec<TamperEvidence>,
    /// Replaces the result's detail, when set.
    pub(super) detail: Option<String>,
    /// For the log.
    pub(super) note: String,
}

/// Reads the report at `report` after the command ended as `out` (whose exit alone means
/// `by_exit`).
pub(super) fn judge_exploration(
    bug: &SeededBug,
    out: &CommandOutput,
    report: &Path,
    by_exit: DetectorStatus,
) -> Judged {
    let did_not_explore = |detail: String| TamperEvidence::DetectorDidNotExplore {
        bug: bug.id.clone(),
        detail,
    };
    let text = std::fs::read_to_string(report).ok();
    let parsed = text.as_deref().map(serde_json::from_str::<Report>);
    let report = match parsed {
        _ if by_exit == DetectorStatus::TimedOut => {
            return Judged {
                status: by_exit,
                evidence: Vec::new(),
                detail: None,
                note: "# exploration report: none (the detector hung, which counts as found)\n"
                    .into(),
            }
        }
        Some(Ok(report)) => report,
        None | Some(Err(_)) => {
            let what = if text.is_some() {
                "an unreadable exploration report"
            } else {
                "no exploration report"
            };
            // Exit 0 claims "no race" without the explorer's word: evidence. Any other
            // ending never imported the explorer or never let it finish: an error.
            let (detail, evidence) = if by_exit == DetectorStatus::Passed {
                let detail = format!("it exited 0 with {what}: it ended without running its exit handlers (os._exit) or the report was tampered with");
                (detail.clone(), vec![did_not_explore(detail)])
            } else {
                (
                    format!(
                        "{} with {what}: it never ran the explorer to the end",
                        out.describe()
                    ),
                    Vec::new(),
                )
            };
            return Judged {
                status: DetectorStatus::Error,
                evidence,
                detail: Some(detail),
                note: format!("# {what}\n"),
            };
        }
    };
    let mut evidence = Vec::new();
    if !report.canary_found {
        evidence.push(TamperEvidence::CanaryLied {
            site: CanarySite::Detector {
                bug: bug.id.clone(),
            },
            expected: "race found".into(),
            got: report
                .canary_detail
                .clone()
                .unwrap_or_else(|| "no race".into()),
        });
    }
    if !report.sys_replaced.is_empty() {
        evidence.push(did_not_explore(format!(
            "sys.{} replaced in the detector's process",
            report.sys_replaced.join(", sys.")
        )));
    }
    if report.tracer_lost > 0 {
        evidence.push(did_not_explore(format!(
            "the explorer's tracer was replaced or removed in {} schedule(s)",
            report.tracer_lost
        )));
    }
    if !report.gettrace_queries.is_empty() {
        evidence.push(did_not_explore(format!(
            "the code under test asked sys.gettrace() while explored (at {})",
            report.gettrace_queries.join(", ")
        )));
    }
    let found = report.explorations.iter().find_map(|e| e.found.clone());
    let schedules: u64 = report.explorations.iter().map(|e| e.schedules).sum();
    let in_package: u64 = report
        .explorations
        .iter()
        .map(|e| e.points_in_package)
        .sum();
    let in_file: u64 = report.explorations.iter().map(|e| e.points_in_file).sum();
    let note = format!(
        "# exploration report: {} exploration(s), {schedules} schedule(s), {in_package} scheduling point(s) in the bug's package, {in_file} in {}; canary race {}\n",
        report.explorations.len(),
        bug.file,
        if report.canary_found { "found" } else { "NOT found" }
    );
    let (status, detail) = match (found, by_exit) {
        (Some(kind), DetectorStatus::Passed) => {
            evidence.push(TamperEvidence::ResultsDisagree {
                source: format!("the detector of {}", bug.id),
                detail: format!("the explorer found a {kind} but the detector exited 0"),
            });
            (DetectorStatus::Failed, None)
        }
        (Some(_), _) => (DetectorStatus::Failed, None),
        (None, DetectorStatus::Passed) => {
            if report.explorations.is_empty() {
                evidence.push(did_not_explore("it exited 0 without exploring".into()));
                (DetectorStatus::Error, Some("exit 0 without exploring".into()))
            } else if in_package == 0 {
                evidence.push(did_not_explore(format!(
                    "no scheduling point was reached in the bug's package ({})",
                    bug.file
                )));
                (DetectorStatus::Error, Some("explored nothing in the bug's package".into()))
            } else {
                (DetectorStatus::Passed, None)
            }
        }
        (None, _) => (
            DetectorStatus::Error,
            Some(format!(
                "{} without finding a race: the detector could not run (an import error, a missing file) or failed outside an exploration",
                out.describe()
            )),
        ),
    };
    Judged {
        status,
        evidence,
        detail,
        note,
    }
}
