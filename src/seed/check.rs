//! Checking a mutant before it becomes a bug, with the machinery a run uses.
//!
//! In: the catalog, the fixture, the cache and sandbox mode, the fixture's detector pool, and
//! mutants. Out: per mutant a [`Verdict`]: caught by the visible tests, missed by every pool
//! detector that covers its file, or detected by one (which then passed on the unmutated
//! base).
//!
//! The fixture's own base (its repo, no seeded bug) is materialized as for a task
//! (`materialize_base` with no bug). Tests run as a run runs them (`score::run_tests` in a
//! `toolchain` build slot, in the sandbox), with a vehicle task: the fixture's first task with
//! no hidden test and, as PASS_TO_PASS, the union of the PASS_TO_PASS lists of the fixture's
//! tasks (its visible tests); its timeouts and language are the fixture's. Detectors run as
//! `score::run_detector` runs a seeded bug's, with the mutant as the bug (its file, so a
//! Python explorer checks the right package).

use std::path::{Path, PathBuf};

use crate::cache::CacheLayout;
use crate::catalog::{BugId, Catalog, Language, SeededBug, Task};
use crate::materialize::{materialize_base, overlay_files, Base};
use crate::sandbox::SandboxMode;
use crate::score::{run_detector, run_tests, DetectorStatus};
use crate::toolchain::Toolchain;

use super::operators::Mutant;
use super::pool::PoolDetector;
use super::SeedError;

/// What the checks said of one mutant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Some visible test fails on it (or it does not build): rejected.
    CaughtByVisibleTests {
        /// The failing test ids (with status), the first few.
        failing: Vec<String>,
    },
    /// No pool detector covering its file fails on it: rejected.
    MissedByDetectors {
        /// Each detector tried, with what it reported.
        tried: Vec<(String, DetectorStatus)>,
    },
    /// A detector fails on it (it passed on the unmutated base): the mutant is a bug.
    Detected {
        /// The detector's pool name.
        detector: String,
        /// What it reported.
        detail: String,
        /// How long it took, in ms.
        duration_ms: u64,
    },
}

impl Verdict {
    /// The short reason a table shows.
    pub fn summary(&self) -> String {
        match self {
            Verdict::CaughtByVisibleTests { failing } => {
                format!("rejected: caught by visible tests ({})", failing.join(", "))
            }
            Verdict::MissedByDetectors { tried } if tried.is_empty() => {
                "rejected: missed by detectors (no usable pool detector covers the file)".into()
            }
            Verdict::MissedByDetectors { tried } => format!(
                "rejected: missed by detectors ({})",
                tried
                    .iter()
                    .map(|(n, s)| format!("{n}: {s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Verdict::Detected {
                detector,
                detail,
                duration_ms,
            } => format!("detected by {detector} ({detail}, {duration_ms} ms)"),
        }
    }
}

/// The fixture's unmutated base, the vehicle task and the toolchain, ready to check mutants.
pub struct Checker {
    vehicle: Task,
    toolchain: Toolchain,
    base: Base,
    work: tempfile::TempDir,
    fixture: String,
    next: std::cell::Cell<usize>,
    _cache_in_use: Option<crate::cache::InUse>,
}

/// The vehicle task of `fixture` (see the module doc).
pub fn vehicle_task(catalog: &Catalog, fixture: &str) -> Result<Task, SeedError> {
    let tasks: Vec<&Task> = catalog
        .tasks
        .values()
        .filter(|t| t.fixture == fixture)
        .collect();
    let Some(first) = tasks.first() else {
        return Err(SeedError::NoTask {
            fixture: fixture.to_string(),
        });
    };
    let mut vehicle = (*first).clone();
    let mut visible: Vec<_> = tasks.iter().flat_map(|t| t.pass_to_pass.clone()).collect();
    visible.sort();
    visible.dedup();
    vehicle.pass_to_pass = visible;
    vehicle.fail_to_pass = Vec::new();
    vehicle.seeded_bugs = Vec::new();
    vehicle.arch_rules = Vec::new();
    Ok(vehicle)
}

impl Checker {
    /// Materializes the fixture's base and prepares the toolchain.
    pub fn new(
        catalog: &Catalog,
        fixture: &str,
        cache: &CacheLayout,
        sandbox: SandboxMode,
    ) -> Result<Checker, SeedError> {
        let vehicle = vehicle_task(catalog, fixture)?;
        let base = materialize_base(&vehicle, &[], cache).map_err(SeedError::Materialize)?;
        let mut toolchain = Toolchain::prepare(
            &catalog.root,
            cache,
            0,
            vehicle.language == Language::Python,
        )?;
        toolchain.sandbox = sandbox;
        let work = tempfile::Builder::new()
            .prefix("refbench-seed-")
            .tempdir()
            .map_err(|e| SeedError::Io {
                action: "creating a scratch folder",
                path: std::env::temp_dir(),
                source: e,
            })?;
        Ok(Checker {
            vehicle,
            toolchain,
            base,
            work,
            fixture: fixture.to_string(),
            next: std::cell::Cell::new(0),
            _cache_in_use: crate::cache::hold(cache),
        })
    }

    fn fresh_tree(&self) -> Result<(PathBuf, PathBuf), SeedError> {
        let n = self.next.get();
        self.next.set(n + 1);
        let tree = self.work.path().join(format!("tree-{n}"));
        self.base.checkout(&tree).map_err(SeedError::Materialize)?;
        Ok((tree, self.work.path().join(format!("scratch-{n}"))))
    }

    /// The bug a detector run stands for: the mutant (or, on the base, the detector's first
    /// covered file) with the pool detector's command and files.
    fn as_bug(&self, detector: &PoolDetector, id: &str, file: &str, patch: &str) -> SeededBug {
        SeededBug {
            id: BugId(format!("{}/{id}", self.fixture)),
            fixture: self.fixture.clone(),
            kind: crate::catalog::BugKind::AtomicityViolation,
            file: file.to_string(),
            description: format!("seeding candidate {id}"),
            detector: detector.spec.clone(),
            origin: crate::catalog::BugOrigin::Seeder,
            seed: None,
            inject_patch: patch.to_string(),
            gold_inject: Default::default(),
            dir: detector.dir.clone(),
            file_path: detector.dir.join("bug.toml"),
        }
    }

    /// Runs the visible tests on the unmutated base (all must pass) and every pool detector
    /// on it; returns each detector with whether it passed there (one that does not is never
    /// chosen: it cannot tell a mutant from the base).
    pub fn baseline(
        &self,
        pool: &[PoolDetector],
    ) -> Result<Vec<(String, DetectorStatus, String)>, SeedError> {
        let (tree, scratch) = self.fresh_tree()?;
        let slot = self.toolchain.build_slot(&self.vehicle, &tree)?;
        let (verdict, log) =
            run_tests(&self.vehicle, slot.tree(), &scratch, &self.toolchain, &slot)?;
        let failing = failing_tests(&verdict);
        if !failing.is_empty() {
            let log_path = self.work.path().join("baseline-tests.log");
            let _ = std::fs::write(&log_path, &log);
            return Err(SeedError::BaseFails {
                fixture: self.fixture.clone(),
                failing,
                detail: verdict.detail.clone(),
            });
        }
        let mut out = Vec::new();
        for d in pool {
            overlay_files(&d.files_dir(), slot.tree()).map_err(SeedError::Materialize)?;
            let file = d.covers.first().cloned().unwrap_or_default();
            let bug = self.as_bug(d, &format!("base-{}", d.name), &file, "");
            let run_once = || {
                run_detector(
                    &self.vehicle,
                    &bug,
                    slot.tree(),
                    &scratch,
                    &self.toolchain,
                    &slot,
                    &[],
                )
            };
            let mut run = run_once()?;
            if run.result.status == DetectorStatus::TimedOut {
                // The first run of a Rust detector builds it (shuttle, and the crate with the
                // feature) within its limit; on a busy machine that alone can use it up. The
                // second finds the build done, as validate's uncounted first run does.
                run = run_once()?;
            }
            out.push((d.name.clone(), run.result.status, run.result.detail));
        }
        Ok(out)
    }

    /// Checks one mutant: (a) the visible tests on it, (b) each usable pool detector covering
    /// its file, until one fails on it.
    pub fn check(
        &self,
        mutant: &Mutant,
        detectors: &[&PoolDetector],
    ) -> Result<Verdict, SeedError> {
        let (tree, scratch) = self.fresh_tree()?;
        let verdict = self.check_in(&tree, &scratch, mutant, detectors);
        // Whatever the verdict, the tree and its scratch are done with (a Rust slot's copy
        // went with the slot).
        let _ = std::fs::remove_dir_all(&tree);
        let _ = std::fs::remove_dir_all(&scratch);
        verdict
    }

    fn check_in(
        &self,
        tree: &Path,
        scratch: &Path,
        mutant: &Mutant,
        detectors: &[&PoolDetector],
    ) -> Result<Verdict, SeedError> {
        apply_patch(tree, &mutant.patch).map_err(|message| SeedError::DoesNotApply {
            mutant: mutant.id.clone(),
            message,
        })?;
        let slot = self.toolchain.build_slot(&self.vehicle, tree)?;
        let (verdict, _log) =
            run_tests(&self.vehicle, slot.tree(), scratch, &self.toolchain, &slot)?;
        let failing = failing_tests(&verdict);
        if !failing.is_empty() {
            return Ok(Verdict::CaughtByVisibleTests { failing });
        }
        let mut tried = Vec::new();
        for d in detectors.iter().filter(|d| d.covers(&mutant.site.file)) {
            overlay_files(&d.files_dir(), slot.tree()).map_err(SeedError::Materialize)?;
            let bug = self.as_bug(d, &mutant.id, &mutant.site.file, &mutant.patch);
            let run = run_detector(
                &self.vehicle,
                &bug,
                slot.tree(),
                scratch,
                &self.toolchain,
                &slot,
                &[],
            )?;
            // A detection with tamper evidence (the explorer's canary missed, say) is not
            // trusted: the mutant counts as missed by this detector.
            if run.result.status.found_race() && run.evidence.is_empty() {
                return Ok(Verdict::Detected {
                    detector: d.name.clone(),
                    detail: run.result.detail,
                    duration_ms: run.result.duration_ms,
                });
            }
            tried.push((d.name.clone(), run.result.status));
        }
        Ok(Verdict::MissedByDetectors { tried })
    }
}

/// The visible tests not passing, `ID STATUS`, the first five and a count of the rest; a
/// suite that did not build says so.
fn failing_tests(verdict: &crate::score::TestsVerdict) -> Vec<String> {
    let bad: Vec<String> = verdict
        .tests
        .iter()
        .filter(|t| !t.status.is_pass())
        .map(|t| format!("{} {}", t.id, t.status))
        .collect();
    if verdict.end.build_failed() {
        return vec![format!("the build failed: {}", verdict.detail)];
    }
    let mut out: Vec<String> = bad.iter().take(5).cloned().collect();
    if bad.len() > 5 {
        out.push(format!("{} more", bad.len() - 5));
    }
    out
}

/// Applies a unified diff to the work tree at `tree` as materialize applies inject.patch.
pub fn apply_patch(tree: &Path, patch: &str) -> Result<(), String> {
    let repo = git2::Repository::open(tree).map_err(|e| e.message().to_string())?;
    let diff = git2::Diff::from_buffer(patch.as_bytes()).map_err(|e| e.message().to_string())?;
    repo.apply(&diff, git2::ApplyLocation::WorkDir, None)
        .map_err(|e| e.message().to_string())
}
