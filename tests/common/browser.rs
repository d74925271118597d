//! Headless Chromium for the report tests (tests/report.rs) and the report bench
//! (benches/report.rs, which includes this file): opening a page with no network and its own
//! profile, dumping the DOM after scripts ran, and picking the console messages out of its log.
//! Each includer uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Headless Chromium with a profile of its own; `None` (the test skips its browser half)
/// where none is installed, except in CI, which must have it.
pub struct Browser {
    exe: PathBuf,
    profile: tempfile::TempDir,
}

/// Chromium flags that dump the DOM after scripts ran.
pub const DUMP: [&str; 2] = ["--virtual-time-budget=3000", "--dump-dom"];

impl Browser {
    /// The test rule: the installed browser, or `None` with a note (the caller skips its
    /// browser half); in CI a missing browser fails the test.
    pub fn find() -> Option<Browser> {
        let found = Browser::installed();
        if found.is_none() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must install chromium (apt-get install chromium): .ci/run does"
            );
            eprintln!("skipping the browser half: no chromium here (apt-get install chromium)");
        }
        found
    }

    /// The installed browser, if any.
    pub fn installed() -> Option<Browser> {
        let exe = [
            "/usr/bin/chromium",
            "/usr/bin/chromium-browser",
            "/usr/bin/google-chrome",
        ]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())?;
        Some(Browser {
            exe,
            profile: tempfile::tempdir().unwrap(),
        })
    }

    /// Opens `file://PAGE FRAGMENT` with `extra` flags; returns when the browser exits.
    pub fn open(&self, page: &Path, fragment: &str, extra: &[&str]) -> std::process::Output {
        let mut cmd = Command::new(&self.exe);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", self.profile.path().display()))
        .args(extra)
        .arg(format!("file://{}{fragment}", page.display()));
        cmd.output().unwrap()
    }

    /// The DOM after scripts ran, and the console messages; panics if chromium failed.
    pub fn dump(&self, page: &Path) -> (String, Vec<String>) {
        let out = self.open(page, "", &DUMP);
        assert!(
            out.status.success(),
            "chromium failed on {}: {}",
            page.display(),
            text(&out.stderr)
        );
        (text(&out.stdout), console(&text(&out.stderr)))
    }
}

/// Console messages, script errors and policy violations in chromium's log.
pub fn console(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Content Security Policy")
        })
        .map(str::to_string)
        .collect()
}
