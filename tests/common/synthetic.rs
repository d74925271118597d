//! A synthetic run store of any size, written through the store API, for the report's scale
//! test (tests/report.rs) and its bench (benches/report.rs, which includes this file).
//!
//! Records are the kept pyshop records of tests/data/stores/ (171 tests per verdict, the real
//! detector result) under new keys, varied into every outcome: resolved, tests failing, tests
//! PARTIAL, race still there, edit not applied, harness error. Artifacts are the kept run's
//! real files cut to a few KB each: a test log, a detector log, a patch and a reply.
//!
//! The store is made by [`RunStore::create`] (schema, metadata), then the records go into its
//! `attempt` table in one transaction and the artifacts into their folders, without the
//! per-attempt fsyncs of [`RunStore::record`] (thousands of them take minutes on a shared
//! disk, and durability is not what is tested). Reports read the records back through
//! [`RunStore::attempts`] as they would any run's.

use std::path::{Path, PathBuf};

use refbench::attempt::Artifact;
use refbench::catalog::{BugId, TaskId};
use refbench::store::{AttemptRecord, RunMeta, RunStore};

const KEPT: &str = "../data/stores/20261205-234823205-run-3ceb";
const RECORDS: &str = include_str!("../data/stores/20261205-234823205-run-3ceb/attempts.jsonl");
const TASK: &str = "pyshop/extract-order-workflow";
const BUG: &str = "pyshop/stock-reserve-split-section";

/// The models of a synthetic run (`gold` among them, so pages show gold's diff).
pub const MODELS: [&str; 5] = ["gold", "model-a", "model-b", "model-c", "model-d"];

/// The run id of every synthetic run.
pub const RUN_ID: &str = "20261206-000000000-run-synth";

fn kept(model: &str) -> serde_json::Value {
    RECORDS
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["key"]["task"] == TASK && r["key"]["model"] == model)
        .unwrap_or_else(|| panic!("the kept store has {TASK} by {model}"))
}

fn kept_artifact(model: &str, name: &str, cap: usize) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/common")
        .join(KEPT)
        .join("artifacts")
        .join(format!("{}__{model}__s0", TASK.replace('/', "__")))
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut end = text.len().min(cap);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The outcomes, in the proportions a real run might show (out of 20).
fn variant(i: usize) -> &'static str {
    match (i * 7 + i / 20) % 20 {
        0..=7 => "resolved",
        8..=12 => "tests-failed",
        13..=15 => "race-missed",
        16 => "partial",
        17..=18 => "apply-failed",
        _ => "error",
    }
}

/// A record of `variant` (see [`variant`]) under `key`.
fn record(key: serde_json::Value, variant: &str) -> AttemptRecord {
    let mut r = match variant {
        "tests-failed" => kept("empty"),
        "apply-failed" => kept("examples"),
        _ => kept("gold"),
    };
    r["key"] = key;
    match variant {
        "race-missed" => {
            let d = &mut r["verdict"]["detectors"][0];
            d["status"] = "failed".into();
            d["detail"] = "exit 1".into();
            r["verdict"]["resolved"] = false.into();
            r["outcome"] = "unresolved".into();
        }
        "partial" => {
            r["verdict"]["tests"]["tests"][0]["status"] = "failed".into();
            let total = r["verdict"]["tests"]["f2p"][1].clone();
            r["verdict"]["tests"]["f2p"] = serde_json::json!([total.as_u64().unwrap() - 1, total]);
            r["verdict"]["tests"]["grade"] = "PARTIAL".into();
            r["verdict"]["resolved"] = false.into();
            r["outcome"] = "unresolved".into();
        }
        "error" => {
            r["outcome"] = "error".into();
            r["verdict"] = serde_json::Value::Null;
            r["error"] = "grading: the python test runner could not run: exit 4".into();
            r["error_stage"] = "score".into();
            r["error_kind"] = "test-runner".into();
        }
        _ => {}
    }
    serde_json::from_value(r).expect("a varied record reads")
}

/// Writes a run of `attempts` attempts (tasks x [`MODELS`] x 10 samples) under `runs_dir` and
/// returns its directory. Reports are not written.
pub fn synthetic_run(runs_dir: &Path, attempts: usize) -> PathBuf {
    let samples = 10;
    let per_task = MODELS.len() * samples;
    let tasks: Vec<TaskId> = (0..attempts.div_ceil(per_task))
        .map(|t| TaskId(format!("synth/task-{t:04}")))
        .collect();
    let meta = RunMeta {
        run_id: RUN_ID.into(),
        created_at: "2026-12-06T00:00:00Z".into(),
        refbench_version: "0.1.0".into(),
        refbench_commit: None,
        tasks: tasks.clone(),
        models: MODELS.iter().map(|m| m.to_string()).collect(),
        samples: samples as u32,
        task_fingerprints: Default::default(),
        sandbox: refbench::sandbox::SandboxMode::Full,
        shard: None,
        merged_from: vec![],
        skipped: vec![],
        impossible: Default::default(),
    };
    let dir = runs_dir.join(RUN_ID);
    drop(RunStore::create(runs_dir, &meta).unwrap());
    let mut db = rusqlite::Connection::open(dir.join("results.sqlite")).unwrap();
    let tx = db.transaction().unwrap();
    let tests_log = kept_artifact("empty", "tests.log", 3 * 1024);
    let race_log = kept_artifact(
        "empty",
        "detector-pyshop__stock-reserve-split-section.log",
        3 * 1024,
    );
    let clean_log = kept_artifact(
        "gold",
        "detector-pyshop__stock-reserve-split-section.log",
        3 * 1024,
    );
    // One file's diff of the gold patch, and a reply that carries it.
    let gold_patch = kept_artifact("gold", "model.patch", 64 * 1024);
    let patch: String = gold_patch
        .split_inclusive("\ndiff --git")
        .next()
        .unwrap()
        .trim_end_matches("diff --git")
        .to_string();
    let reply = format!("Here is the refactoring.\n\n```diff\n{patch}```\n");
    for i in 0..attempts {
        let task = &tasks[i / per_task];
        let model = MODELS[(i % per_task) / samples];
        let sample = i % samples;
        let key = serde_json::json!({"task": task.0, "model": model, "sample": sample});
        let variant = variant(i);
        let rec = record(key, variant);
        let mut artifacts = vec![
            (Artifact::Reply, reply.clone()),
            (Artifact::ModelPatch, patch.clone()),
        ];
        match variant {
            "apply-failed" => {}
            "error" => artifacts.push((Artifact::Error, rec.error().unwrap().to_string())),
            _ => {
                artifacts.push((Artifact::TestsLog, tests_log.clone()));
                let log = if matches!(variant, "race-missed" | "tests-failed") {
                    race_log.clone()
                } else {
                    clean_log.clone()
                };
                artifacts.push((Artifact::DetectorLog(BugId(BUG.into())), log));
            }
        }
        let id = rec.key.id();
        let outcome = serde_json::to_value(rec.outcome()).unwrap();
        tx.execute(
            "INSERT INTO attempt (id, task, model, sample, outcome, resolved, total_ms, finished_at, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![
                id,
                rec.key.task.0,
                rec.key.model,
                rec.key.sample,
                outcome.as_str().unwrap(),
                variant == "resolved",
                rec.timing.total_ms as i64,
                rec.finished_at,
                serde_json::to_string(&rec).unwrap(),
            ],
        )
        .unwrap();
        let attempt_dir = dir.join("artifacts").join(&id);
        std::fs::create_dir_all(&attempt_dir).unwrap();
        for (artifact, content) in artifacts {
            std::fs::write(attempt_dir.join(artifact.file_name()), content).unwrap();
        }
    }
    tx.commit().unwrap();
    dir
}
