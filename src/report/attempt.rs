//! One attempt in words: the one-line explanations and the detailed view.
//!
//! In: one stored [`AttemptRecord`] (and the folder of its artifacts). Out: text: the edit
//! stage in one line ([`describe_apply`]), why the attempt ended as it did in one line
//! ([`explain`], also the detail of `refbench validate`'s checks), and the full view `refbench
//! show RUN --attempt ID` prints ([`render_attempt`]).

use std::fmt::Write as _;

use crate::store::AttemptRecord;

/// The edit stage's result in one line: status, reason, size, protected files restored.
pub fn describe_apply(a: &crate::patch::Applied) -> String {
    let reason = a
        .reason
        .as_deref()
        .map(|x| format!(" ({x})"))
        .unwrap_or_default();
    let protected = if a.protected_touched.is_empty() {
        String::new()
    } else {
        format!(
            "; protected files restored: {}",
            a.protected_touched.join(", ")
        )
    };
    format!(
        "{}{reason}; {} files, +{} -{} lines{protected}",
        a.status, a.hygiene.files_touched, a.hygiene.lines_added, a.hygiene.lines_removed
    )
}

/// Why an attempt ended as it did, in one line: the harness error, the edit that failed, or the
/// test grade with the first tests not passing and each detector's status.
pub fn explain(record: &AttemptRecord) -> String {
    if let Some(e) = record.error() {
        return format!("harness error: {e}");
    }
    if let Some(a) = record.apply() {
        if let Some(reason) = &a.reason {
            return format!("patch {}: {reason}", a.status);
        }
    }
    let Some(v) = record.verdict() else {
        return record.outcome().to_string();
    };
    let failing: Vec<String> = v
        .tests
        .tests
        .iter()
        .filter(|t| !t.status.is_pass())
        .take(5)
        .map(|t| format!("{} {}", t.id, t.status))
        .collect();
    let dets: Vec<String> = v
        .detectors
        .iter()
        .map(|d| format!("{} {}", d.bug, d.status))
        .collect();
    let mut out = format!(
        "tests {} (F2P {}/{}, P2P {}/{}",
        v.tests.grade, v.tests.f2p.0, v.tests.f2p.1, v.tests.p2p.0, v.tests.p2p.1
    );
    if v.tests.end.build_failed() {
        out.push_str(", build failed");
    }
    out.push(')');
    if !failing.is_empty() {
        out.push_str(&format!("; not passing: {}", failing.join(", ")));
    }
    if !dets.is_empty() {
        out.push_str(&format!("; detectors: {}", dets.join(", ")));
    }
    let broken: Vec<String> = v
        .rules
        .iter()
        .filter(|r| r.status == crate::score::RuleStatus::Broken)
        .map(|r| match r.evidence.first() {
            Some(e) => format!("{} ({e})", r.id),
            None => r.id.to_string(),
        })
        .collect();
    if !v.rules.is_empty() {
        if broken.is_empty() {
            out.push_str(&format!("; rules: {} hold", v.rules.len()));
        } else {
            out.push_str(&format!("; rules broken: {}", broken.join(", ")));
        }
    }
    if !v.hygiene.is_empty() {
        let flags: Vec<String> = v.hygiene.iter().map(ToString::to_string).collect();
        out.push_str(&format!("; hygiene: {}", flags.join(", ")));
    }
    if !v.ignored_files.is_empty() {
        out.push_str(&format!(
            "; not graded, ignored by .gitignore: {}",
            v.ignored_files.join(", ")
        ));
    }
    if v.integrity.is_tampered() {
        let evidence: Vec<String> = v
            .integrity
            .evidence()
            .iter()
            .map(ToString::to_string)
            .collect();
        out.push_str(&format!("; tampered: {}", evidence.join(", ")));
    }
    out
}

/// How many tests of each list pass: `FAIL_TO_PASS 3/4, PASS_TO_PASS 10/10`.
pub(crate) fn list_counts(t: &crate::score::TestsVerdict) -> String {
    format!(
        "FAIL_TO_PASS {}/{}, PASS_TO_PASS {}/{}",
        t.f2p.0, t.f2p.1, t.p2p.0, t.p2p.1
    )
}

/// One attempt in detail: outcome, apply result, every test and detector, artifact paths.
pub fn render_attempt(r: &AttemptRecord, artifacts: &std::path::Path) -> String {
    let mut out = format!(
        "attempt {}  ({} {} #{})\noutcome: {}\n",
        r.key.id(),
        r.key.task,
        r.key.model,
        r.key.sample,
        r.outcome()
    );
    if let Some(e) = r.error() {
        let _ = writeln!(out, "harness error: {e}");
    }
    if let Some(a) = r.apply() {
        let _ = writeln!(out, "apply: {}", describe_apply(a));
    }
    if let Some(v) = r.verdict() {
        let _ = writeln!(
            out,
            "tests: {} ({}; {}{})",
            v.tests.grade,
            list_counts(&v.tests),
            v.tests.detail,
            if v.tests.end.build_failed() {
                ", build failed"
            } else {
                ""
            }
        );
        for t in &v.tests.tests {
            let kind = match t.kind {
                crate::score::TestKind::FailToPass => "F2P",
                crate::score::TestKind::PassToPass => "P2P",
            };
            let _ = writeln!(out, "  {kind} {:<8} {}", t.status.to_string(), t.id);
        }
        for d in &v.detectors {
            let _ = writeln!(
                out,
                "detector {}: {} ({}, {} ms)",
                d.bug, d.status, d.detail, d.duration_ms
            );
        }
        for rule in &v.rules {
            let _ = writeln!(
                out,
                "rule {}: {} ({})",
                rule.id, rule.status, rule.description
            );
            for e in &rule.evidence {
                let _ = writeln!(out, "  {e}");
            }
            if rule.more_evidence > 0 {
                let _ = writeln!(out, "  ... and {} more", rule.more_evidence);
            }
        }
        for flag in &v.hygiene {
            let _ = writeln!(out, "hygiene: {flag}");
        }
        if !v.integrity.is_not_checked() {
            let _ = writeln!(out, "integrity: {}", v.integrity);
            for evidence in v.integrity.evidence() {
                let _ = writeln!(out, "  {evidence}");
            }
        }
        if !v.ignored_files.is_empty() {
            let _ = writeln!(
                out,
                "not graded (the .gitignore ignores them): {}",
                v.ignored_files.join(", ")
            );
        }
    }
    let t = &r.timing;
    // Each command's build part beside it: the tests' build is in the tests' time, each
    // detector's in the detectors' time (the record's build_ms sums both).
    let (tests_build, detectors_build) = match r.verdict() {
        Some(v) => (
            v.tests.build_ms,
            v.detectors
                .iter()
                .filter_map(|d| d.build_ms)
                .reduce(|a, b| a + b),
        ),
        None => (None, None),
    };
    let of_which = |build: Option<u64>| {
        build
            .map(|b| format!(" of which build {b}"))
            .unwrap_or_default()
    };
    let _ = writeln!(
        out,
        "time: {} ms (materialize {}, ask {}, apply {}, rules {}, setup {}, tests {}{}, detectors {}{}, grading {})",
        t.total_ms,
        t.materialize_ms,
        t.ask_ms,
        t.apply_ms,
        t.rules_ms,
        t.setup_ms,
        t.tests_ms,
        of_which(tests_build),
        t.detectors_ms,
        of_which(detectors_build),
        t.grade_ms
    );
    let _ = writeln!(out, "artifacts: {}", artifacts.display());
    if let Some(agent) = r.ask.as_ref().and_then(|a| a.agent.as_ref()) {
        let _ = writeln!(
            out,
            "agent: {} after {} turn(s), {} tool call(s), {} command(s) killed by the time limit, {} ms",
            agent.stop, agent.turns, agent.tool_calls, agent.command_timeouts, agent.wall_ms
        );
    }
    let trajectory = artifacts.join(crate::attempt::Artifact::Trajectory.file_name());
    if let Ok(text) = std::fs::read_to_string(&trajectory) {
        match serde_json::from_str::<crate::agent::trajectory::Trajectory>(&text) {
            Ok(t) => {
                out.push('\n');
                out.push_str(&crate::agent::trajectory::render(&t));
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "trajectory: {} does not read: {e}",
                    trajectory.display()
                );
            }
        }
    }
    out
}
