//! Batch submission: many requests of one model sent at once through the provider's batch API,
//! billed at its batch price (OpenAI and Anthropic both charge half).
//!
//! In: a model and [`BatchRequest`]s, each a caller-chosen custom id with the request body a
//! direct call would send ([`request`], or [`Model::batch_request`] for a task). Out: a
//! [`BatchJob`] from [`submit`]; its [`BatchState`] from each [`poll`]; once it has ended, from
//! [`collect`], every request's outcome in submission order: a [`Reply`] priced at the batch
//! prices, or a [`ModelError`] saying why that request has none.
//!
//! A [`BatchJob`] is serialisable and holds all that polling and collecting need (provider,
//! base URL, batch id, each request's custom id and cache key), so a run that records it can be
//! killed and resume polling the same batch instead of submitting (and paying for) it again.
//! Collected replies go into the response cache under the key a direct request would use, so a
//! later run of the same configuration asks nothing.
//!
//! Wire formats, as the providers document them:
//! - OpenAI (`openai-chat`, `openai-responses`): one JSONL line per request (`custom_id`,
//!   `method`, `url` such as `/v1/chat/completions`, `body`) uploaded with `POST /files`
//!   (multipart, `purpose=batch`); `POST /batches` (`input_file_id`, `endpoint`,
//!   `completion_window: 24h`); `GET /batches/{id}` (`validating`, `in_progress`, `finalizing`,
//!   `cancelling` run; `completed`, `expired`, `cancelled` end; `failed` refuses the file);
//!   results from `GET /files/{output_file_id}/content` and the `error_file_id`'s, one line
//!   per request (`custom_id`, `response.status_code`, `response.body`, `error`).
//! - Anthropic: `POST /messages/batches` with the requests inline (`custom_id`, `params`);
//!   `GET /messages/batches/{id}` (`processing_status`: `in_progress`, `canceling`, `ended`);
//!   results as JSONL from its `results_url` (`custom_id`, `result.type`: `succeeded` with the
//!   `message`, `errored`, `canceled`, `expired`).
//!
//! Custom ids must be 1 to 64 letters, digits, `-` or `_` (Anthropic's rule, applied to both so
//! a run's ids work with either) and unique within a batch.

use std::collections::{HashMap, HashSet};

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::client::{HttpModel, Transport};
use super::config::{ModelEntry, Prices, Provider};
use super::prompt::{self, Prompt};
use super::reply_cache::{self, ReplyCache};
use super::wire::{self, Parsed};
use super::{AskInfo, Kind, Model, ModelError, Reply};
use crate::catalog::Task;

/// OpenAI's limit on requests per batch.
pub const OPENAI_MAX_REQUESTS: usize = 50_000;
/// OpenAI's limit on a batch input file, in bytes.
pub const OPENAI_MAX_BYTES: usize = 200 * 1024 * 1024;
/// Anthropic's limit on requests per batch.
pub const ANTHROPIC_MAX_REQUESTS: usize = 100_000;
/// Anthropic's limit on a batch's size, in bytes.
pub const ANTHROPIC_MAX_BYTES: usize = 256 * 1024 * 1024;

/// One request of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRequest {
    /// The caller's id for it (returned with its outcome).
    pub custom_id: String,
    /// The response cache key a direct request with this body would use.
    pub cache_key: String,
    /// The request body, as a direct (non-streamed) call would send it.
    pub body: Value,
}

/// A submitted request: enough to match its result and cache it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchEntry {
    /// The caller's id.
    pub custom_id: String,
    /// Its response cache key.
    pub cache_key: String,
}

/// A submitted batch. Serialisable: keep it to poll and collect after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchJob {
    /// The refbench model name.
    pub model: String,
    /// The wire format it was submitted in.
    pub provider: Provider,
    /// The base URL it was submitted to.
    pub base_url: String,
    /// The provider's batch id (`batch_...`, `msgbatch_...`).
    pub id: String,
    /// OpenAI: the uploaded input file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_file_id: Option<String>,
    /// Hash of the prompt template the requests were built with.
    pub prompt_hash: String,
    /// The requests, in submission order.
    pub requests: Vec<BatchEntry>,
}

/// Requests of a batch by outcome so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchCounts {
    /// Requests in the batch.
    pub total: u64,
    /// Finished with a reply.
    pub succeeded: u64,
    /// Finished without one (errored, expired, canceled).
    pub failed: u64,
}

/// How an ended batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchEnd {
    /// Every request ran (some may have errored).
    Completed,
    /// The completion window passed: the requests that had not run have no reply.
    Expired,
    /// Cancelled: the requests that had not run have no reply.
    Cancelled,
}

/// Where a batch is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum BatchState {
    /// Still being processed: poll again later.
    Running {
        /// Progress.
        counts: BatchCounts,
    },
    /// Processing ended: [`collect`] returns every request's outcome.
    Ended {
        /// How.
        end: BatchEnd,
        /// Final counts.
        counts: BatchCounts,
    },
    /// The provider refused the batch as a whole (OpenAI's validation): nothing to collect.
    Failed {
        /// The provider's reasons.
        message: String,
    },
}

/// One request's outcome in a collected batch.
#[derive(Debug)]
pub struct BatchOutcome {
    /// The request's custom id.
    pub custom_id: String,
    /// Its reply (priced at the batch prices), or why it has none.
    pub reply: Result<Reply, ModelError>,
}

/// The prices a reply that came by `transport` is charged at: the entry's, less its batch
/// discount for a batch reply.
pub(super) fn prices(entry: &ModelEntry, transport: Option<Transport>) -> Option<Prices> {
    match transport {
        Some(Transport::Batch) => entry
            .price
            .map(|p| p.discounted(entry.batch_discount().unwrap_or(0.0))),
        _ => entry.price,
    }
}

impl super::Shared {
    /// Whether a batch of this run answered the request under `key` and no attempt has been
    /// served that reply yet; true at most once per key.
    pub(super) fn take_batch_served(&self, key: &str) -> bool {
        self.batch_served.lock().expect("not poisoned").remove(key)
    }
}

/// Checks a custom id: 1 to 64 of `A-Z a-z 0-9 - _`.
pub fn valid_custom_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The batch request for `prompt`, sample `sample`: the body a direct call would send.
pub fn request(entry: &ModelEntry, prompt: &Prompt, sample: u32, custom_id: &str) -> BatchRequest {
    let body = wire::request_body(entry, prompt);
    BatchRequest {
        custom_id: custom_id.to_string(),
        cache_key: reply_cache::key(entry, &body, sample),
        body,
    }
}

fn batch_error(http: &HttpModel, batch: &str, message: impl Into<String>) -> ModelError {
    ModelError::Batch {
        model: http.entry.name.clone(),
        batch: batch.to_string(),
        message: http.redact(&message.into()),
    }
}

fn parse_object(
    http: &HttpModel,
    batch: &str,
    what: &str,
    text: &str,
) -> Result<Value, ModelError> {
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            batch_error(
                http,
                batch,
                format!("the {what} response is not a JSON object"),
            )
        })
}

fn string_field(
    http: &HttpModel,
    batch: &str,
    v: &Value,
    key: &str,
    what: &str,
) -> Result<String, ModelError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| batch_error(http, batch, format!("the {what} response has no `{key}`")))
}

/// Submits `requests` as one batch.
pub async fn submit(http: &HttpModel, requests: &[BatchRequest]) -> Result<BatchJob, ModelError> {
    let entry = &http.entry;
    if !entry.has_batch_api() {
        return Err(ModelError::Unsupported {
            model: entry.name.clone(),
            what: format!(
                "provider {} has no batch API refbench speaks (openai-chat, openai-responses and anthropic do); run it without a batch",
                entry.provider
            ),
        });
    }
    http.check_stopped()?;
    if requests.is_empty() {
        return Err(batch_error(http, "-", "no requests to submit"));
    }
    let mut seen = HashSet::new();
    for r in requests {
        if !valid_custom_id(&r.custom_id) {
            return Err(batch_error(
                http,
                "-",
                format!(
                    "custom id `{}` is not 1 to 64 letters, digits, - or _",
                    r.custom_id
                ),
            ));
        }
        if !seen.insert(r.custom_id.as_str()) {
            return Err(batch_error(
                http,
                "-",
                format!("custom id `{}` is used twice", r.custom_id),
            ));
        }
    }
    let (id, input_file_id) = match entry.provider {
        Provider::Anthropic => (submit_anthropic(http, requests).await?, None),
        _ => {
            let (id, file) = submit_openai(http, requests).await?;
            (id, Some(file))
        }
    };
    Ok(BatchJob {
        model: entry.name.clone(),
        provider: entry.provider,
        base_url: entry.base_url(),
        id,
        input_file_id,
        prompt_hash: prompt::template_hash(entry.edit_format),
        requests: requests
            .iter()
            .map(|r| BatchEntry {
                custom_id: r.custom_id.clone(),
                cache_key: r.cache_key.clone(),
            })
            .collect(),
    })
}

fn check_size(
    http: &HttpModel,
    count: usize,
    bytes: usize,
    (max_count, max_bytes): (usize, usize),
) -> Result<(), ModelError> {
    if count > max_count || bytes > max_bytes {
        return Err(batch_error(
            http,
            "-",
            format!(
                "{count} requests in {bytes} bytes is over the provider's limit of {max_count} requests or {max_bytes} bytes per batch; submit them as several batches"
            ),
        ));
    }
    Ok(())
}

/// The `endpoint` an OpenAI batch names (`/v1/chat/completions`, `/v1/responses`).
fn openai_endpoint(provider: Provider) -> String {
    format!("/v1{}", wire::endpoint(provider))
}

async fn submit_openai(
    http: &HttpModel,
    requests: &[BatchRequest],
) -> Result<(String, String), ModelError> {
    let endpoint = openai_endpoint(http.entry.provider);
    let mut jsonl = String::new();
    for r in requests {
        let line =
            json!({"custom_id": r.custom_id, "method": "POST", "url": endpoint, "body": r.body});
        jsonl.push_str(&line.to_string());
        jsonl.push('\n');
    }
    check_size(
        http,
        requests.len(),
        jsonl.len(),
        (OPENAI_MAX_REQUESTS, OPENAI_MAX_BYTES),
    )?;
    let files_url = http.url("/files");
    let uploaded = http
        .call(|| {
            let file = Part::bytes(jsonl.clone().into_bytes())
                .file_name("refbench-batch.jsonl")
                .mime_str("application/jsonl")
                .expect("a valid MIME type");
            let form = Form::new().text("purpose", "batch").part("file", file);
            http.request(Method::POST, &files_url).multipart(form)
        })
        .await?;
    let file = parse_object(http, "-", "file upload", &uploaded)?;
    let file_id = string_field(http, "-", &file, "id", "file upload")?;
    let batches_url = http.url("/batches");
    let create = json!({
        "input_file_id": file_id,
        "endpoint": endpoint,
        "completion_window": "24h",
        "metadata": {"created_by": "refbench", "model": http.entry.name},
    });
    let created = http
        .call(|| http.request(Method::POST, &batches_url).json(&create))
        .await?;
    let batch = parse_object(http, "-", "batch creation", &created)?;
    Ok((
        string_field(http, "-", &batch, "id", "batch creation")?,
        file_id,
    ))
}

async fn submit_anthropic(
    http: &HttpModel,
    requests: &[BatchRequest],
) -> Result<String, ModelError> {
    let body = json!({"requests": requests
        .iter()
        .map(|r| json!({"custom_id": r.custom_id, "params": r.body}))
        .collect::<Vec<_>>()});
    check_size(
        http,
        requests.len(),
        body.to_string().len(),
        (ANTHROPIC_MAX_REQUESTS, ANTHROPIC_MAX_BYTES),
    )?;
    let url = http.url("/messages/batches");
    let created = http
        .call(|| http.request(Method::POST, &url).json(&body))
        .await?;
    let batch = parse_object(http, "-", "batch creation", &created)?;
    string_field(http, "-", &batch, "id", "batch creation")
}

/// Refuses a job that was submitted by another entry, or to another server.
fn check_job(http: &HttpModel, job: &BatchJob) -> Result<(), ModelError> {
    let entry = &http.entry;
    if job.provider != entry.provider || job.base_url != entry.base_url() {
        return Err(batch_error(
            http,
            &job.id,
            format!(
                "it was submitted as {} to {}, but the entry now says {} at {}; restore the entry to poll it",
                job.provider,
                job.base_url,
                entry.provider,
                entry.base_url()
            ),
        ));
    }
    Ok(())
}

/// The provider's batch object.
async fn retrieve(http: &HttpModel, job: &BatchJob) -> Result<Value, ModelError> {
    check_job(http, job)?;
    let path = match job.provider {
        Provider::Anthropic => format!("/messages/batches/{}", job.id),
        _ => format!("/batches/{}", job.id),
    };
    let url = http.url(&path);
    let text = http.call(|| http.request(Method::GET, &url)).await?;
    parse_object(http, &job.id, "batch", &text)
}

fn count(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn state_of(http: &HttpModel, job: &BatchJob, batch: &Value) -> Result<BatchState, ModelError> {
    let counts = batch.get("request_counts").unwrap_or(&Value::Null);
    if job.provider == Provider::Anthropic {
        let failed = ["errored", "canceled", "expired"]
            .iter()
            .map(|k| count(counts, k))
            .sum::<u64>();
        let succeeded = count(counts, "succeeded");
        let counts = BatchCounts {
            total: count(counts, "processing") + succeeded + failed,
            succeeded,
            failed,
        };
        return match batch.get("processing_status").and_then(Value::as_str) {
            Some("ended") => Ok(BatchState::Ended {
                end: if batch
                    .get("cancel_initiated_at")
                    .is_some_and(|c| !c.is_null())
                {
                    BatchEnd::Cancelled
                } else {
                    BatchEnd::Completed
                },
                counts,
            }),
            Some("in_progress" | "canceling") => Ok(BatchState::Running { counts }),
            other => Err(batch_error(
                http,
                &job.id,
                format!("unknown processing_status {other:?}"),
            )),
        };
    }
    let counts = BatchCounts {
        total: count(counts, "total"),
        succeeded: count(counts, "completed"),
        failed: count(counts, "failed"),
    };
    let ended = |end| Ok(BatchState::Ended { end, counts });
    match batch.get("status").and_then(Value::as_str) {
        Some("validating" | "in_progress" | "finalizing" | "cancelling") => {
            Ok(BatchState::Running { counts })
        }
        Some("completed") => ended(BatchEnd::Completed),
        Some("expired") => ended(BatchEnd::Expired),
        Some("cancelled") => ended(BatchEnd::Cancelled),
        Some("failed") => {
            let reasons: Vec<String> = batch
                .pointer("/errors/data")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|e| {
                    let message = e.get("message").and_then(Value::as_str).unwrap_or("?");
                    match e.get("line").and_then(Value::as_u64) {
                        Some(line) => format!("line {line}: {message}"),
                        None => message.to_string(),
                    }
                })
                .collect();
            Ok(BatchState::Failed {
                message: http.redact(&if reasons.is_empty() {
                    "the provider gave no reason".to_string()
                } else {
                    reasons.join("; ")
                }),
            })
        }
        other => Err(batch_error(
            http,
            &job.id,
            format!("unknown status {other:?}"),
        )),
    }
}

/// Where `job` is.
pub async fn poll(http: &HttpModel, job: &BatchJob) -> Result<BatchState, ModelError> {
    let batch = retrieve(http, job).await?;
    state_of(http, job, &batch)
}

/// Every request's outcome, in submission order, once `job` has ended. Replies are priced at
/// the entry's prices less its batch discount and written to `cache`.
pub async fn collect(
    http: &HttpModel,
    cache: Option<&ReplyCache>,
    job: &BatchJob,
) -> Result<Vec<BatchOutcome>, ModelError> {
    let batch = retrieve(http, job).await?;
    let end = match state_of(http, job, &batch)? {
        BatchState::Ended { end, .. } => end,
        BatchState::Running { .. } => {
            return Err(batch_error(
                http,
                &job.id,
                "still running; poll until it has ended, then collect",
            ))
        }
        BatchState::Failed { message } => {
            return Err(batch_error(http, &job.id, format!("failed: {message}")))
        }
    };
    let lines = match job.provider {
        Provider::Anthropic => anthropic_results(http, job, &batch).await?,
        _ => openai_results(http, &batch).await?,
    };
    let mut outcomes: HashMap<String, Result<Parsed, String>> = HashMap::new();
    for (n, line) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(line).map_err(|e| {
            batch_error(
                http,
                &job.id,
                format!("result line {} is not JSON: {e}", n + 1),
            )
        })?;
        let custom_id = v
            .get("custom_id")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                batch_error(
                    http,
                    &job.id,
                    format!("result line {} has no custom_id", n + 1),
                )
            })?
            .to_string();
        let outcome = match job.provider {
            Provider::Anthropic => anthropic_outcome(&v),
            _ => openai_outcome(job.provider, &v),
        };
        outcomes.insert(custom_id, outcome);
    }
    let entry = &http.entry;
    let prices = prices(entry, Some(Transport::Batch));
    let mut out = Vec::with_capacity(job.requests.len());
    for request in &job.requests {
        let result = match outcomes.remove(&request.custom_id) {
            Some(Ok(parsed)) => {
                if let Some(cache) = cache {
                    cache.put(&request.cache_key, &parsed);
                }
                Ok(Reply {
                    text: http.redact(&parsed.text),
                    usage: parsed.usage.map(|u| u.priced(prices.as_ref())),
                    info: AskInfo {
                        prompt_hash: Some(job.prompt_hash.clone()),
                        stop_reason: Some(parsed.stop),
                        http_requests: 0,
                        cached: false,
                        transport: Some(Transport::Batch),
                        agent: None,
                    },
                    prompt: None,
                })
            }
            Some(Err(message)) => Err(message),
            None => Err(format!(
                "no result: the batch ended ({}) before this request ran",
                match end {
                    BatchEnd::Completed => "completed",
                    BatchEnd::Expired => "expired",
                    BatchEnd::Cancelled => "cancelled",
                }
            )),
        };
        out.push(BatchOutcome {
            custom_id: request.custom_id.clone(),
            reply: result.map_err(|message| ModelError::BatchItem {
                model: entry.name.clone(),
                custom_id: request.custom_id.clone(),
                message: http.redact(&message),
            }),
        });
    }
    for unknown in outcomes.keys() {
        tracing::warn!(batch = %job.id, "a result for `{unknown}`, which the job does not hold");
    }
    Ok(out)
}

fn jsonl_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

async fn openai_results(http: &HttpModel, batch: &Value) -> Result<Vec<String>, ModelError> {
    let mut lines = Vec::new();
    for key in ["output_file_id", "error_file_id"] {
        let Some(file) = batch.get(key).and_then(Value::as_str) else {
            continue;
        };
        let url = http.url(&format!("/files/{file}/content"));
        let text = http.call(|| http.request(Method::GET, &url)).await?;
        lines.extend(jsonl_lines(&text));
    }
    Ok(lines)
}

fn openai_outcome(provider: Provider, v: &Value) -> Result<Parsed, String> {
    if let Some(e) = v.get("error").filter(|e| !e.is_null()) {
        let code = e.get("code").and_then(Value::as_str).unwrap_or("error");
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message");
        return Err(format!("{code}: {message}"));
    }
    let response = v.get("response").ok_or("the result has no `response`")?;
    let status = response
        .get("status_code")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let body = response.get("body").unwrap_or(&Value::Null);
    if !(200..300).contains(&status) {
        return Err(format!(
            "HTTP {status}: {}",
            wire::error_message(&body.to_string())
        ));
    }
    wire::parse_json(provider, body).map_err(|m| format!("malformed response: {m}"))
}

async fn anthropic_results(
    http: &HttpModel,
    job: &BatchJob,
    batch: &Value,
) -> Result<Vec<String>, ModelError> {
    // The key goes only where the entry points: a results_url elsewhere is not followed.
    let base = http.entry.base_url();
    let url = batch
        .get("results_url")
        .and_then(Value::as_str)
        .filter(|u| same_origin(u, &base))
        .map(str::to_string)
        .unwrap_or_else(|| http.url(&format!("/messages/batches/{}/results", job.id)));
    let text = http.call(|| http.request(Method::GET, &url)).await?;
    Ok(jsonl_lines(&text))
}

/// Whether `url` is on the scheme, host and port of `base`.
fn same_origin(url: &str, base: &str) -> bool {
    let origin = |u: &str| -> Option<String> {
        let (scheme, rest) = u.split_once("://")?;
        let host = rest.split('/').next()?;
        Some(format!("{scheme}://{host}").to_ascii_lowercase())
    };
    origin(url).is_some() && origin(url) == origin(base)
}

fn anthropic_outcome(v: &Value) -> Result<Parsed, String> {
    let result = v.get("result").ok_or("the result has no `result`")?;
    match result.get("type").and_then(Value::as_str) {
        Some("succeeded") => {
            let message = result.get("message").unwrap_or(&Value::Null);
            wire::parse_json(Provider::Anthropic, message)
                .map_err(|m| format!("malformed response: {m}"))
        }
        Some("errored") => {
            let e = result
                .pointer("/error/error")
                .or_else(|| result.get("error"))
                .unwrap_or(&Value::Null);
            let kind = e.get("type").and_then(Value::as_str).unwrap_or("error");
            let message = e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message");
            Err(format!("{kind}: {message}"))
        }
        Some("canceled") => Err("canceled before it ran".into()),
        Some("expired") => Err("expired before it ran (the batch's 24 hours passed)".into()),
        other => Err(format!("unknown result type {other:?}")),
    }
}

impl Model {
    fn batch_http(&self) -> Result<&HttpModel, ModelError> {
        match &*self.kind {
            Kind::Http(http) if http.entry.has_batch_api() => Ok(http),
            Kind::Http(http) => Err(ModelError::Unsupported {
                model: self.name.clone(),
                what: format!(
                    "provider {} has no batch API refbench speaks (openai-chat, openai-responses and anthropic do); run it without a batch",
                    http.entry.provider
                ),
            }),
            _ => Err(ModelError::Unsupported {
                model: self.name.clone(),
                what: "sends no request, so it has no batch; run it without a batch".into(),
            }),
        }
    }

    /// The batch request for `task`, sample `sample`, with `context` (what [`Model::ask`]
    /// would send), under `custom_id`.
    pub fn batch_request(
        &self,
        task: &Task,
        sample: u32,
        context: &str,
        custom_id: &str,
    ) -> Result<BatchRequest, ModelError> {
        let http = self.batch_http()?;
        let prompt = prompt::build(task, context, http.entry.edit_format);
        Ok(request(&http.entry, &prompt, sample, custom_id))
    }

    /// Whether this model's attempts can be asked through a batch: its provider has a batch
    /// API refbench speaks, and it answers one prompt (an agent-mode model holds a
    /// conversation, whose turns depend on the tool results, so it is never batched).
    pub fn has_batch(&self) -> bool {
        !self.is_agent() && self.batch_http().is_ok()
    }

    /// Whether the response cache already holds the reply to `request` (a batch need not ask).
    pub fn is_cached(&self, request: &BatchRequest) -> bool {
        let cache = self.shared.cache.as_ref();
        cache.is_some_and(|c| c.get(&request.cache_key).is_some())
    }

    /// Marks the replies a collected batch of this run put in the response cache: the first
    /// [`Model::ask`] of each is recorded as a batch reply (spent, at batch prices), not as a
    /// cached one.
    pub fn serve_from_batch<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        let mut served = self.shared.batch_served.lock().expect("not poisoned");
        served.extend(keys.into_iter().map(str::to_string));
    }

    /// [`submit`], blocking.
    pub fn submit_batch(&self, requests: &[BatchRequest]) -> Result<BatchJob, ModelError> {
        let http = self.batch_http()?;
        self.shared.runtime().block_on(submit(http, requests))
    }

    /// [`poll`], blocking.
    pub fn poll_batch(&self, job: &BatchJob) -> Result<BatchState, ModelError> {
        let http = self.batch_http()?;
        self.shared.runtime().block_on(poll(http, job))
    }

    /// [`collect`], blocking; replies also go to the run's response cache (the caller records
    /// them with the attempt, as it does an asked reply).
    pub fn collect_batch(&self, job: &BatchJob) -> Result<Vec<BatchOutcome>, ModelError> {
        let http = self.batch_http()?;
        self.shared
            .runtime()
            .block_on(collect(http, self.shared.cache.as_ref(), job))
    }
}

#[cfg(test)]
mod tests;
