//! `refbench seed`: the concurrency bug seeder.
//!
//! In: the catalog, a fixture, its detector pool (`race-detectors/pool.toml`), options (which
//! operators, how many candidates, dry run), the cache and the sandbox mode. Out: a
//! [`SeedReport`]: every candidate mutant with its outcome (checked or not), the counts, and
//! for each surviving candidate a bug folder under `seeded-bugs/FIXTURE/` that `refbench
//! validate`'s catalog loads.
//!
//! Steps ([`seed`]): find the sites of every source file of the fixture's repo with the
//! language's tree-sitter seed query ([`sites`], the query in `lang/<language>/`); apply the
//! mutation operators to each ([`operators`], diffs made with `similar`); then, candidate by
//! candidate ([`check`]): the visible tests must still pass on it (else "caught by visible
//! tests"), and a pool detector covering its file must fail on it, having passed on the
//! unmutated base (else "missed by detectors"); a survivor is written (`write`).
//! Candidates in files some usable pool detector covers are checked first, so `--limit`
//! spends the checks where a detection is possible.

pub mod check;
pub mod operators;
pub mod pool;
pub mod sites;
pub mod write;

use std::path::PathBuf;

use crate::cache::CacheLayout;
use crate::catalog::{Catalog, FileError, Language, MutationOperator};
use crate::sandbox::SandboxMode;
use crate::score::DetectorStatus;

pub use check::{Checker, Verdict};
pub use operators::Mutant;
pub use pool::{load_pool, PoolDetector};

/// Why seeding could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The fixture is not in the catalog.
    #[error(
        "no fixture {fixture} (known: {known}); name a folder of repos-fixtures/ that has tasks"
    )]
    UnknownFixture {
        /// As given.
        fixture: String,
        /// The fixtures with tasks.
        known: String,
    },
    /// The fixture has no task (the seeder takes its language, timeouts and visible tests
    /// from the tasks).
    #[error("fixture {fixture} has no task: the seeder takes the visible tests (PASS_TO_PASS) and timeouts from its tasks; add one with `refbench new task`")]
    NoTask {
        /// The fixture.
        fixture: String,
    },
    /// The pool file, a bug.toml written, or a file read is wrong.
    #[error(transparent)]
    File(#[from] FileError),
    /// A written bug folder does not load.
    #[error("the bug just written does not load (removed again): {0}")]
    Unloadable(FileError),
    /// The site query does not compile.
    #[error(transparent)]
    Query(#[from] crate::codegraph::query::QueryError),
    /// The base could not be materialized or a tree copied.
    #[error(transparent)]
    Materialize(crate::materialize::MaterializeError),
    /// No toolchain or build slot.
    #[error(transparent)]
    Toolchain(#[from] crate::toolchain::ToolchainError),
    /// The tests or a detector could not be run.
    #[error(transparent)]
    Score(#[from] crate::score::ScoreError),
    /// The visible tests fail on the unmutated fixture.
    #[error("the visible tests of {fixture} fail on the unmutated fixture ({detail}): {}; fix the fixture first", failing.join(", "))]
    BaseFails {
        /// The fixture.
        fixture: String,
        /// The failing tests.
        failing: Vec<String>,
        /// How the run ended.
        detail: String,
    },
    /// A mutant's own diff does not apply (a seeder bug).
    #[error("the diff of {mutant} does not apply to the base: {message}")]
    DoesNotApply {
        /// The mutant.
        mutant: String,
        /// libgit2's reason.
        message: String,
    },
    /// A `--file` glob does not parse.
    #[error("--file {glob}: not a valid glob: {message}")]
    BadGlob {
        /// As given.
        glob: String,
        /// globset's reason.
        message: String,
    },
    /// A bug folder of that name exists.
    #[error("{} exists already", dir.display())]
    Exists {
        /// The folder.
        dir: PathBuf,
    },
    /// Filesystem trouble.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// The fixture (a folder of repos-fixtures/).
    pub fixture: String,
    /// Check at most this many candidates (all when `None`).
    pub limit: Option<usize>,
    /// Only these operators (all when empty).
    pub operators: Vec<MutationOperator>,
    /// Only files matching one of these globs (relative to the repo; all when empty).
    pub files: Vec<String>,
    /// List the candidates without checking or writing anything.
    pub dry_run: bool,
    /// Containment of the tests and detectors.
    pub sandbox: SandboxMode,
}

/// One candidate and what became of it.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The mutant.
    pub mutant: Mutant,
    /// What happened.
    pub outcome: Outcome,
}

/// What became of a candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not checked (dry run, beyond `--limit`).
    NotChecked,
    /// A folder of that name exists in seeded-bugs/ already: not checked again.
    AlreadySeeded,
    /// Checked; written when the verdict is a detection.
    Checked(Verdict),
}

/// What a seeding run did.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    /// Every candidate, in the order checked.
    pub candidates: Vec<Candidate>,
    /// Each pool detector with its status on the unmutated base (empty on a dry run).
    pub baseline: Vec<(String, DetectorStatus, String)>,
    /// The bug folders written.
    pub written: Vec<PathBuf>,
}

impl SeedReport {
    fn count(&self, pick: impl Fn(&Outcome) -> bool) -> usize {
        self.candidates.iter().filter(|c| pick(&c.outcome)).count()
    }

    /// Candidates rejected because a visible test failed on them.
    pub fn caught(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Checked(Verdict::CaughtByVisibleTests { .. })))
    }

    /// Candidates rejected because no detector noticed them.
    pub fn missed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Checked(Verdict::MissedByDetectors { .. })))
    }

    /// Candidates checked.
    pub fn checked(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Checked(_)))
    }
}

/// Every candidate mutant of `fixture`'s repo, in file and line order, with the operators in
/// `operators` (all when empty).
pub fn candidates(
    catalog: &Catalog,
    fixture: &str,
    operators: &[MutationOperator],
) -> Result<(Language, Vec<Mutant>), SeedError> {
    let vehicle = check::vehicle_task(catalog, fixture)?;
    let support = crate::lang::support(vehicle.language);
    let allowed: Vec<MutationOperator> = if operators.is_empty() {
        MutationOperator::ALL.to_vec()
    } else {
        operators.to_vec()
    };
    let files =
        crate::materialize::fixture_files(&vehicle.repo_dir).map_err(SeedError::Materialize)?;
    let mut out: Vec<Mutant> = Vec::new();
    for rel in files {
        let rel = rel.to_string_lossy().replace('\\', "/");
        let ext = rel.rsplit('.').next().unwrap_or("");
        // Test code is the visible tests' own: mutating it seeds no bug in the product.
        let is_test = rel.starts_with("tests/")
            || rel.contains("/tests/")
            || rel
                .rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with("test_") || n == "conftest.py");
        if is_test || !support.source_extensions().contains(&ext) {
            continue;
        }
        let path = vehicle.repo_dir.join(&rel);
        let source = std::fs::read_to_string(&path).map_err(|e| SeedError::Io {
            action: "reading",
            path: path.clone(),
            source: e,
        })?;
        for site in sites::find_sites(vehicle.language, &rel, &source)? {
            for mutant in operators::mutate(&site, &source, &allowed) {
                // Two sites can yield the same name (two scopes in one function).
                let mut m = mutant;
                let mut n = 2;
                let stem = m.id.clone();
                while out.iter().any(|o| o.id == m.id) {
                    m.id = format!("{stem}-{n}");
                    n += 1;
                }
                out.push(m);
            }
        }
    }
    Ok((vehicle.language, out))
}

/// Seeds `options.fixture`: finds, checks and writes (see the module doc). `on_candidate`
/// hears of each candidate when its check ends.
pub fn seed(
    catalog: &Catalog,
    options: &SeedOptions,
    cache: &CacheLayout,
    on_candidate: &mut dyn FnMut(&Candidate),
) -> Result<SeedReport, SeedError> {
    let fixture = options.fixture.as_str();
    if !catalog.tasks.values().any(|t| t.fixture == fixture) {
        let mut known: Vec<&str> = catalog.tasks.values().map(|t| t.fixture.as_str()).collect();
        known.dedup();
        return Err(SeedError::UnknownFixture {
            fixture: fixture.to_string(),
            known: known.join(", "),
        });
    }
    let pool = load_pool(catalog, fixture)?;
    let (_, mut mutants) = candidates(catalog, fixture, &options.operators)?;
    if !options.files.is_empty() {
        let mut set = globset::GlobSetBuilder::new();
        for g in &options.files {
            set.add(globset::Glob::new(g).map_err(|e| SeedError::BadGlob {
                glob: g.clone(),
                message: e.to_string(),
            })?);
        }
        let set = set.build().map_err(|e| SeedError::BadGlob {
            glob: options.files.join(" "),
            message: e.to_string(),
        })?;
        mutants.retain(|m| set.is_match(&m.site.file));
    }
    let mut report = SeedReport::default();
    let seeded = |m: &Mutant| write::bug_dir(&catalog.root, fixture, m).exists();
    // Nothing to check: no toolchain, no baseline.
    if options.dry_run || options.limit == Some(0) || mutants.iter().all(seeded) {
        for mutant in mutants {
            let outcome = if seeded(&mutant) {
                Outcome::AlreadySeeded
            } else {
                Outcome::NotChecked
            };
            let c = Candidate { mutant, outcome };
            on_candidate(&c);
            report.candidates.push(c);
        }
        return Ok(report);
    }
    let checker = Checker::new(catalog, fixture, cache, options.sandbox)?;
    report.baseline = checker.baseline(&pool)?;
    let usable: Vec<&PoolDetector> = pool
        .iter()
        .filter(|d| {
            report
                .baseline
                .iter()
                .any(|(n, s, _)| n == &d.name && *s == DetectorStatus::Passed)
        })
        .collect();
    // Covered files first (stable: file and line order within each group).
    mutants.sort_by_key(|m| !usable.iter().any(|d| d.covers(&m.site.file)));
    let mut checked = 0;
    for mutant in mutants {
        let outcome = if seeded(&mutant) {
            Outcome::AlreadySeeded
        } else if options.limit.is_some_and(|l| checked >= l) {
            Outcome::NotChecked
        } else {
            checked += 1;
            let verdict = checker.check(&mutant, &usable)?;
            if let Verdict::Detected { detector, .. } = &verdict {
                let d = usable
                    .iter()
                    .find(|d| &d.name == detector)
                    .expect("the verdict names a usable detector");
                report
                    .written
                    .push(write::write_bug(&catalog.root, fixture, &mutant, d)?);
            }
            Outcome::Checked(verdict)
        };
        let c = Candidate { mutant, outcome };
        on_candidate(&c);
        report.candidates.push(c);
    }
    Ok(report)
}
