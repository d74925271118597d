//! One libtest binary, read on its own: the binary's stdout and how its process ended in, its
//! per-test statuses and every way its output contradicts itself out ([`BinaryOutput`]); and
//! the harness canary module appended to a graded test target before it is built
//! ([`canary_module`]).
//!
//! The tested code is linked into the binary and can print anything on its stdout, including
//! lines that look like libtest's. What it cannot easily do is keep them consistent with what
//! libtest prints itself: a test reported twice, more results than `running N tests`
//! announced, a summary whose counts differ from the lines, an exit status that contradicts
//! the summary (the canary that must fail makes a run that is not tampered with always end
//! `test result: FAILED` with exit 101) are each a contradiction, and the binary's results
//! are then not trusted.

use std::collections::BTreeMap;

use crate::lang::{BinaryOutput, TestStatus};

/// libtest's exit code when a test failed.
pub const TESTS_FAILED_EXIT: i32 = 101;

/// libtest's summary counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Summary {
    ok: bool,
    passed: usize,
    failed: usize,
    ignored: usize,
}

fn parse_summary(rest: &str) -> Option<Summary> {
    // `ok. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s`
    let (word, counts) = rest.split_once(". ")?;
    let ok = match word {
        "ok" => true,
        "FAILED" => false,
        _ => return None,
    };
    let mut summary = Summary {
        ok,
        passed: 0,
        failed: 0,
        ignored: 0,
    };
    for part in counts.split(';') {
        let mut words = part.split_whitespace();
        let (Some(n), Some(what)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else {
            continue;
        };
        match what {
            "passed" => summary.passed = n,
            "failed" => summary.failed = n,
            "ignored" => summary.ignored = n,
            _ => {}
        }
    }
    Some(summary)
}

/// Reads one libtest binary's stdout; `exit` is its exit code (`None`: a signal or the time
/// limit ended it, so it did not finish and nothing about the exit status is contradicted).
pub fn parse_binary(stdout: &str, exit: Option<i32>) -> BinaryOutput {
    let mut out = BinaryOutput::default();
    let mut announced: Vec<usize> = Vec::new();
    let mut summaries: Vec<Summary> = Vec::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for line in stdout.lines() {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix("running ") {
            let n = rest.split_whitespace().next().and_then(|n| n.parse().ok());
            if let (Some(n), true) = (n, rest.ends_with(" test") || rest.ends_with(" tests")) {
                announced.push(n);
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("test result: ") {
            match parse_summary(rest) {
                Some(s) => summaries.push(s),
                None => out
                    .contradictions
                    .push(format!("an unreadable summary line: {line:?}")),
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("test ") else {
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
        let name = name.trim();
        let name = name.strip_suffix(" - should panic").unwrap_or(name);
        *seen.entry(name.to_string()).or_default() += 1;
        let entry = out.statuses.entry(name.to_string()).or_insert(status);
        *entry = entry.worse(status);
    }
    for (name, times) in &seen {
        if *times > 1 {
            out.contradictions
                .push(format!("test {name} was reported {times} times"));
        }
    }
    if announced.len() > 1 {
        out.contradictions.push(format!(
            "`running N tests` was printed {} times",
            announced.len()
        ));
    }
    if let Some(&n) = announced.first() {
        if out.statuses.len() > n {
            out.contradictions.push(format!(
                "{} test results for {n} announced tests",
                out.statuses.len()
            ));
        }
    }
    let count = |s: TestStatus| out.statuses.values().filter(|v| **v == s).count();
    let (passed, failed, ignored) = (
        count(TestStatus::Passed),
        count(TestStatus::Failed),
        count(TestStatus::Skipped),
    );
    match summaries.as_slice() {
        [] => {
            if exit == Some(0) {
                out.contradictions
                    .push("exit 0 without libtest's summary line".to_string());
            }
        }
        [s] => {
            out.finished = true;
            if (s.passed, s.failed, s.ignored) != (passed, failed, ignored) {
                out.contradictions.push(format!(
                    "the summary counts {} passed, {} failed, {} ignored; the lines {passed}, {failed}, {ignored}",
                    s.passed, s.failed, s.ignored
                ));
            }
            if s.ok != (s.failed == 0) {
                out.contradictions
                    .push("the summary's verdict contradicts its counts".to_string());
            }
            let expected = if s.ok { 0 } else { TESTS_FAILED_EXIT };
            if let Some(code) = exit.filter(|code| *code != expected) {
                out.contradictions.push(format!(
                    "exit {code} after a summary that means exit {expected}"
                ));
            }
        }
        many => {
            out.finished = true;
            out.contradictions
                .push(format!("the summary line was printed {} times", many.len()));
        }
    }
    out
}

/// The canary module appended to a graded Rust test target: `module` holds the test `pass`,
/// which must pass, and `fail`, which must fail. Warnings are allowed (a crate may deny them).
pub fn canary_module(module: &str, pass: &str, fail: &str) -> String {
    format!(
        "\n#[cfg(test)]\n#[allow(warnings)]\nmod {module} {{\n    #[test]\n    fn {pass}() {{}}\n\n    #[test]\n    fn {fail}() {{\n        panic!(\"{fail}\");\n    }}\n}}\n"
    )
}

/// The arguments a test executable is run with: `args` as the command gave them, and, when
/// they filter tests by name, the canaries (`module` with its tests `pass` and `fail`) as more
/// filters, so that the canaries run too (libtest runs every test any filter matches; with
/// `--exact` a filter is a whole name).
pub fn run_args_with_filter(args: &[String], module: &str, pass: &str, fail: &str) -> Vec<String> {
    const TAKES_VALUE: &[&str] = &[
        "--test-threads",
        "--logfile",
        "--skip",
        "--color",
        "--format",
        "--shuffle-seed",
        "-Z",
    ];
    let mut filtered = false;
    let mut words = args.iter();
    while let Some(word) = words.next() {
        if TAKES_VALUE.contains(&word.as_str()) {
            words.next();
        } else if !word.starts_with('-') {
            filtered = true;
        }
    }
    let mut out = args.to_vec();
    if filtered {
        if args.iter().any(|a| a == "--exact") {
            out.push(format!("{module}::{pass}"));
            out.push(format!("{module}::{fail}"));
        } else {
            out.push(module.to_string());
        }
    }
    out
}

/// [`canary_module`] whose must-fail test is a lost update shuttle must find: two shuttle
/// threads each load a shuttle atomic and store it plus one, and the test asserts both
/// increments landed. Shuttle switches threads at every atomic access, so its random scheduler
/// hits the lost update within a few schedules; a test binary whose shuttle does not explore
/// (or whose output or exit was forged) reports it passed or not at all.
pub fn shuttle_canary_module(module: &str, pass: &str, fail: &str) -> String {
    format!(
        "\n#[cfg(test)]\n#[allow(warnings)]\nmod {module} {{\n    #[test]\n    fn {pass}() {{}}\n\n    #[test]\n    fn {fail}() {{\n        use shuttle::sync::atomic::{{AtomicUsize, Ordering::SeqCst}};\n        shuttle::check_random(\n            || {{\n                let n = std::sync::Arc::new(AtomicUsize::new(0));\n                let workers: Vec<_> = (0..2)\n                    .map(|_| {{\n                        let n = std::sync::Arc::clone(&n);\n                        shuttle::thread::spawn(move || {{\n                            let seen = n.load(SeqCst);\n                            n.store(seen + 1, SeqCst);\n                        }})\n                    }})\n                    .collect();\n                for w in workers {{\n                    w.join().unwrap();\n                }}\n                assert_eq!(n.load(SeqCst), 2, \"{fail}\");\n            }},\n            1000,\n        );\n    }}\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const HONEST: &str = "\nrunning 3 tests\ntest a::ok_one ... ok\ntest m::t_fail ... FAILED\ntest slow ... ignored, needs network\n\nfailures:\n\n---- m::t_fail stdout ----\n\nfailures:\n    m::t_fail\n\ntest result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n";

    #[test]
    fn the_canaries_join_a_name_filter_and_only_then() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            run_args_with_filter(&words(&["--test-threads", "1"]), "m", "p", "f"),
            words(&["--test-threads", "1"])
        );
        assert_eq!(
            run_args_with_filter(&words(&["two_logins"]), "m", "p", "f"),
            words(&["two_logins", "m"])
        );
        assert_eq!(
            run_args_with_filter(&words(&["--exact", "a::b"]), "m", "p", "f"),
            words(&["--exact", "a::b", "m::p", "m::f"])
        );
    }

    #[test]
    fn an_honest_binary_reads_without_contradiction() {
        let out = parse_binary(HONEST, Some(101));
        assert!(out.finished);
        assert_eq!(out.contradictions, Vec::<String>::new());
        assert_eq!(out.statuses["a::ok_one"], TestStatus::Passed);
        assert_eq!(out.statuses["m::t_fail"], TestStatus::Failed);
        assert_eq!(out.statuses["slow"], TestStatus::Skipped);
        let all_ok = "running 1 test\ntest x ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
        assert_eq!(parse_binary(all_ok, Some(0)).contradictions.len(), 0);
    }

    #[test]
    fn forged_lines_and_exit_codes_contradict_libtest() {
        // The library printed a pass for the test libtest failed.
        let forged = HONEST.replace(
            "test m::t_fail ... FAILED",
            "test m::t_fail ... ok\ntest m::t_fail ... FAILED",
        );
        let out = parse_binary(&forged, Some(101));
        assert!(
            out.contradictions[0].contains("reported 2 times"),
            "{out:?}"
        );
        assert_eq!(out.statuses["m::t_fail"], TestStatus::Failed);
        // A destructor that exits 0 after libtest's summary.
        let out = parse_binary(HONEST, Some(0));
        assert_eq!(
            out.contradictions,
            vec!["exit 0 after a summary that means exit 101".to_string()]
        );
        // Extra results for tests that do not exist, and a second summary.
        let extra = format!("{HONEST}test ghost ... ok\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out\n");
        let out = parse_binary(&extra, Some(0));
        assert!(out
            .contradictions
            .iter()
            .any(|c| c.contains("4 test results for 3")));
        assert!(out
            .contradictions
            .iter()
            .any(|c| c.contains("printed 2 times")));
        // Exiting 0 before libtest finished.
        let out = parse_binary("running 2 tests\ntest a ... ok\n", Some(0));
        assert!(!out.finished);
        assert_eq!(out.contradictions.len(), 1);
        // Killed by a signal: unfinished, but nothing contradicted.
        let out = parse_binary("running 2 tests\ntest a ... ok\n", None);
        assert!(!out.finished && out.contradictions.is_empty());
    }

    #[test]
    fn the_canary_module_holds_one_passing_and_one_failing_test() {
        let text = canary_module("m_1f", "t_2a", "t_3b");
        assert!(text.contains("mod m_1f {"));
        assert!(text.contains("fn t_2a() {}"));
        assert!(text.contains("panic!(\"t_3b\")"));
    }
}
