//! `run --batch`: a run's provider requests sent through the providers' batch APIs (billed at
//! their batch prices) before the attempts run.
//!
//! In: the attempts still to run, the catalog, the models, the run's folder, its cache, how
//! often to poll. Out: for each model with a batch API, the requests of its attempts that the
//! response cache cannot answer submitted as batches, each job recorded in the run's
//! `batches/` folder **before** it is polled, polled until it ends, collected into the response
//! cache, and its keys handed to the model ([`Model::serve_from_batch`]), which records the
//! first answer of each as a batch reply (spent, at batch prices), not as a cached one. Then
//! the run goes on as usual: the attempts find their replies in the cache and ask nothing.
//!
//! A killed run keeps its job files: `run --resume` (with or without `--batch`) polls and
//! collects the recorded jobs instead of submitting their requests again, and submits only
//! requests no recorded job holds (with `--batch`). A request the batch did not answer
//! (errored, expired) is asked directly when its attempt runs. Models without a batch API
//! (a replay, an OpenAI-compatible server) and the built-ins are asked as usual.
//!
//! A batch request's prompt is the one its attempt will build: the same base, packed by the
//! same deterministic packer under the same budget. Should the two ever differ, the attempt's
//! cache lookup misses and it asks directly: charged twice, never graded on another prompt.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::events::{Reporters, RunEvent};
use super::interrupt::StopFlag;
use super::RunError;
use crate::attempt::AttemptKey;
use crate::cache::CacheLayout;
use crate::catalog::{Catalog, TaskId};
use crate::materialize::materialize_base;
#[cfg(test)]
use crate::model::batch::BatchRequest;
use crate::model::batch::{BatchJob, BatchState, OPENAI_MAX_REQUESTS};
use crate::model::{Model, ModelSet};

/// The run's folder of batch jobs.
pub const BATCHES_DIR: &str = "batches";

/// A recorded job: what polling and collecting need, and whether it was collected.
#[derive(Debug, Serialize, Deserialize)]
struct JobFile {
    job: BatchJob,
    collected: bool,
}

/// How `run` uses batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchMode {
    /// Submit new batches for the attempts to run (`--batch`), then poll and collect.
    Submit {
        /// Time between two polls of a running batch.
        poll_every: Duration,
    },
    /// Only poll and collect jobs a killed session of this run recorded (a resume without
    /// `--batch`): nothing new is submitted.
    ResumeOnly {
        /// Time between two polls of a running batch.
        poll_every: Duration,
    },
}

impl BatchMode {
    fn poll_every(self) -> Duration {
        match self {
            BatchMode::Submit { poll_every } | BatchMode::ResumeOnly { poll_every } => poll_every,
        }
    }
}

/// Runs the batch phase for `todo`. Returns early (Ok) when `stop` is set: the jobs stay
/// recorded for a resume.
#[allow(clippy::too_many_arguments)]
pub(super) fn prefetch(
    mode: BatchMode,
    todo: &[&AttemptKey],
    catalog: &Catalog,
    models: &ModelSet,
    run_dir: &Path,
    cache: &CacheLayout,
    stop: &StopFlag,
    reporters: &mut Reporters<'_, '_>,
) -> Result<(), RunError> {
    let dir = run_dir.join(BATCHES_DIR);
    let mut jobs = load_jobs(&dir)?;
    let mut by_model: BTreeMap<&str, Vec<&AttemptKey>> = BTreeMap::new();
    for key in todo {
        by_model.entry(key.model.as_str()).or_default().push(key);
    }
    let mut contexts: HashMap<TaskId, Option<String>> = HashMap::new();
    for (name, keys) in by_model {
        let model = models.resolve(name)?;
        if !model.has_batch() {
            continue;
        }
        if let BatchMode::Submit { .. } = mode {
            let held: std::collections::HashSet<&str> = jobs
                .values()
                .filter(|f| f.job.model == name)
                .flat_map(|f| f.job.requests.iter().map(|r| r.cache_key.as_str()))
                .collect();
            let mut requests = Vec::new();
            for key in &keys {
                let task = &catalog.tasks[&key.task];
                let context = contexts
                    .entry(key.task.clone())
                    .or_insert_with(|| packed_context(catalog, &key.task, cache));
                // A task whose base or pack fails is left to its attempt, which records why.
                let Some(context) = context else { continue };
                let custom_id = format!("r{}", requests.len() + 1);
                let request = model.batch_request(task, key.sample, context, &custom_id)?;
                if held.contains(request.cache_key.as_str()) || model.is_cached(&request) {
                    continue;
                }
                requests.push(request);
            }
            for chunk in requests.chunks(OPENAI_MAX_REQUESTS) {
                let job = match model.submit_batch(chunk) {
                    Ok(job) => job,
                    // Refused (a 402, a bad key): the attempts ask directly and record the
                    // provider's answer, which stops the model as it would without a batch.
                    Err(e) => {
                        reporters.report(&RunEvent::Batch {
                            model: name,
                            batch: "-",
                            status: &format!("not submitted: {e}; its attempts are asked directly"),
                        })?;
                        break;
                    }
                };
                let path = dir.join(format!("{}.json", job_file_name(&job)));
                let file = JobFile {
                    job,
                    collected: false,
                };
                save(&path, &file)?;
                say(
                    reporters,
                    &file.job,
                    &format!("submitted ({} requests)", chunk.len()),
                )?;
                jobs.insert(path, file);
            }
        }
        for (path, file) in jobs.iter_mut() {
            if file.job.model != name || file.collected {
                continue;
            }
            if !wait_until_ended(&model, file, mode.poll_every(), stop, reporters)? {
                return Ok(());
            }
            file.collected = true;
            save(path, file)?;
        }
        model.serve_from_batch(
            jobs.values()
                .filter(|f| f.job.model == name && f.collected)
                .flat_map(|f| f.job.requests.iter().map(|r| r.cache_key.as_str())),
        );
    }
    Ok(())
}

/// Polls `file`'s job until it ends, then collects it into the response cache. False when
/// `stop` was set first.
fn wait_until_ended(
    model: &Model,
    file: &JobFile,
    poll_every: Duration,
    stop: &StopFlag,
    reporters: &mut Reporters<'_, '_>,
) -> Result<bool, RunError> {
    let mut last = None;
    loop {
        match model.poll_batch(&file.job)? {
            BatchState::Running { counts } => {
                if last != Some(counts) {
                    let done = counts.succeeded + counts.failed;
                    say(
                        reporters,
                        &file.job,
                        &format!("running, {done} of {} done", counts.total),
                    )?;
                    last = Some(counts);
                }
            }
            BatchState::Ended { .. } => {
                let outcomes = model.collect_batch(&file.job)?;
                let answered = outcomes.iter().filter(|o| o.reply.is_ok()).count();
                let unanswered = outcomes.len() - answered;
                let tail = if unanswered > 0 {
                    format!("; {unanswered} unanswered, asked directly when their attempts run")
                } else {
                    String::new()
                };
                say(
                    reporters,
                    &file.job,
                    &format!("collected {answered} replies{tail}"),
                )?;
                return Ok(true);
            }
            BatchState::Failed { message } => {
                say(
                    reporters,
                    &file.job,
                    &format!(
                        "refused by the provider ({message}); its attempts are asked directly"
                    ),
                )?;
                return Ok(true);
            }
        }
        let until = Instant::now() + poll_every;
        while Instant::now() < until {
            if stop.is_set() {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(50).min(poll_every));
        }
    }
}

fn say(reporters: &mut Reporters<'_, '_>, job: &BatchJob, status: &str) -> Result<(), RunError> {
    reporters.report(&RunEvent::Batch {
        model: &job.model,
        batch: &job.id,
        status,
    })?;
    Ok(())
}

/// The context `task`'s attempts will send: its base checked out in a scratch folder, packed.
fn packed_context(catalog: &Catalog, task: &TaskId, cache: &CacheLayout) -> Option<String> {
    let task = &catalog.tasks[task];
    let base = materialize_base(task, &catalog.bugs_of(task), cache).ok()?;
    let scratch = tempfile::tempdir().ok()?;
    let repo = scratch.path().join("repo");
    base.checkout(&repo).ok()?;
    let packed =
        crate::pack::pack_task(&repo, task, crate::pack::DEFAULT_CONTEXT_BUDGET, cache).ok()?;
    Some(packed.text)
}

/// `MODEL-ID` with anything but letters, digits, `-`, `_` and `.` replaced by `_`.
fn job_file_name(job: &BatchJob) -> String {
    format!("{}-{}", job.model, job.id)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn load_jobs(dir: &Path) -> Result<BTreeMap<PathBuf, JobFile>, RunError> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| batch_file_error(&path, &e))?;
        let file: JobFile = serde_json::from_str(&text).map_err(|e| batch_file_error(&path, &e))?;
        out.insert(path, file);
    }
    Ok(out)
}

fn save(path: &Path, file: &JobFile) -> Result<(), RunError> {
    let json = serde_json::to_vec_pretty(file).expect("jobs serialize");
    crate::fsutil::write_atomic(path, &json).map_err(|e| batch_file_error(path, &e))
}

fn batch_file_error(path: &Path, e: &dyn std::fmt::Display) -> RunError {
    RunError::BatchFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// For a request built by hand in tests: the job file a run would keep.
#[cfg(test)]
fn job_for_test(requests: &[BatchRequest]) -> JobFile {
    JobFile {
        job: BatchJob {
            model: "m/x".into(),
            provider: crate::model::config::Provider::Anthropic,
            base_url: "http://127.0.0.1:9".into(),
            id: "msgbatch_1".into(),
            input_file_id: None,
            prompt_hash: "h".into(),
            requests: requests
                .iter()
                .map(|r| crate::model::batch::BatchEntry {
                    custom_id: r.custom_id.clone(),
                    cache_key: r.cache_key.clone(),
                })
                .collect(),
        },
        collected: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_files_round_trip_and_name_safely() {
        let dir = tempfile::tempdir().unwrap();
        let request = BatchRequest {
            custom_id: "r1".into(),
            cache_key: "ab".repeat(32),
            body: serde_json::json!({}),
        };
        let file = job_for_test(&[request]);
        assert_eq!(job_file_name(&file.job), "m_x-msgbatch_1");
        let path = dir.path().join("m_x-msgbatch_1.json");
        save(&path, &file).unwrap();
        let loaded = load_jobs(dir.path()).unwrap();
        assert_eq!(loaded[&path].job, file.job);
        assert!(!loaded[&path].collected);
    }

    #[test]
    fn a_damaged_job_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.json"), "{").unwrap();
        let err = load_jobs(dir.path()).unwrap_err().to_string();
        assert!(err.contains("x.json"), "{err}");
    }
}
