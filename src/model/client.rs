//! One HTTP model: its key, its concurrency and rate limits, the retry loop, and the two ways
//! a completion comes back.
//!
//! In: a [`ModelEntry`], its key (from [`read_key`]) and a request body built by
//! [`wire::request_body`]. Out: the parsed reply with the number of HTTP requests it took
//! ([`Exchange`]), or a [`ModelError`]. [`HttpModel::send`] is one model turn: an agent loop
//! calls it once per turn with that turn's body. It streams the request when the entry says so
//! ([`ModelEntry::streams`]), reading the events with [`stream::read_reply`]; a stream that
//! breaks is retried as a whole request like any other retryable failure. The batch layer
//! ([`super::batch`]) makes its file, batch and result calls through `HttpModel::call`, with
//! the same retries, key handling and stop.
//!
//! Timeouts: a JSON request is abandoned after `timeout_secs`; a streamed one when it has not
//! started within `timeout_secs`, when no event came for `timeout_secs`, or when it has run
//! [`STREAM_TOTAL_FACTOR`] times `timeout_secs` in all (a server that only sends keep-alives).

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use reqwest::header::HeaderMap;
use reqwest::RequestBuilder;
use tokio::sync::Semaphore;

use super::config::{ModelEntry, Provider};
use super::stream::{self, Fault, StreamLimits};
use super::wire::{self, Parsed};
use super::ModelError;

/// Longest wait a server's `retry-after` may impose before refbench gives up waiting.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
/// Longest backoff between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A streamed request may run this many times `timeout_secs` in all.
pub const STREAM_TOTAL_FACTOR: u32 = 4;

/// An API key. Its Debug never shows it; [`ApiKey::redact`] removes it from any text.
#[derive(Clone)]
pub struct ApiKey(String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

impl ApiKey {
    /// Replaces every occurrence of the key in `text`.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_string()
        } else {
            text.replace(&self.0, "[REDACTED]")
        }
    }
}

#[cfg(test)]
impl ApiKey {
    /// A key for unit tests (production keys come only from [`read_key`]).
    pub(crate) fn for_tests(key: &str) -> ApiKey {
        ApiKey(key.to_string())
    }
}

/// Reads the key from the entry's variable (the only place a key ever comes from).
pub fn read_key(entry: &ModelEntry) -> Result<Option<ApiKey>, ModelError> {
    let Some(var) = &entry.api_key_env else {
        return Ok(None);
    };
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Ok(Some(ApiKey(v.trim().to_string()))),
        _ => Err(ModelError::MissingKey {
            model: entry.name.clone(),
            var: var.clone(),
        }),
    }
}

/// An HTTP model with its limits.
#[derive(Debug)]
pub struct HttpModel {
    pub(super) entry: ModelEntry,
    key: Option<ApiKey>,
    http: reqwest::Client,
    permits: Semaphore,
    rpm: Option<DefaultDirectRateLimiter>,
    tpm: Option<(DefaultDirectRateLimiter, NonZeroU32)>,
    /// Set by a 401, a 402 or an exhausted quota: the model's remaining attempts fail without
    /// a request.
    stopped: Mutex<Option<String>>,
}

/// How a completion came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// One JSON response.
    Json,
    /// Server-sent events.
    Stream,
    /// A batch result line.
    Batch,
}

/// A successful completion.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The reply (key redacted from the text later, by the caller).
    pub parsed: Parsed,
    /// HTTP requests it took (1 + retries).
    pub requests: u32,
    /// How it came back.
    pub transport: Transport,
}

/// Why one try failed.
pub(super) enum Failure {
    Retryable(String, Option<Duration>),
    Fatal(ModelError),
}

impl HttpModel {
    /// Builds the client; `key` comes from [`read_key`].
    pub fn new(entry: ModelEntry, key: Option<ApiKey>) -> Result<HttpModel, ModelError> {
        // No overall timeout on the client: a JSON request sets its own, a stream is bounded
        // per event (see the module docs).
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(entry.timeout_secs.min(30)))
            .user_agent(concat!("refbench/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ModelError::Client {
                model: entry.name.clone(),
                message: e.to_string(),
            })?;
        let rpm = entry
            .requests_per_minute
            .and_then(NonZeroU32::new)
            .map(|n| RateLimiter::direct(Quota::per_minute(n)));
        let tpm = entry
            .tokens_per_minute
            .and_then(NonZeroU32::new)
            .map(|n| (RateLimiter::direct(Quota::per_minute(n)), n));
        Ok(HttpModel {
            permits: Semaphore::new(entry.max_concurrency as usize),
            entry,
            key,
            http,
            rpm,
            tpm,
            stopped: Mutex::new(None),
        })
    }

    /// The entry.
    pub fn entry(&self) -> &ModelEntry {
        &self.entry
    }

    /// Removes the key from `text`.
    pub fn redact(&self, text: &str) -> String {
        match &self.key {
            Some(k) => k.redact(text),
            None => text.to_string(),
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.entry.timeout_secs)
    }

    /// `{base_url}{path}`.
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.entry.base_url())
    }

    /// A request to `url` with the provider's authentication headers.
    pub(super) fn request(&self, method: reqwest::Method, url: &str) -> RequestBuilder {
        let mut req = self.http.request(method, url);
        match (self.entry.provider, &self.key) {
            (Provider::Anthropic, key) => {
                req = req.header("anthropic-version", "2023-06-01");
                if let Some(k) = key {
                    req = req.header("x-api-key", &k.0);
                }
            }
            (_, Some(k)) => req = req.bearer_auth(&k.0),
            (_, None) => {}
        }
        req
    }

    /// Fails with [`ModelError::Stopped`] once a 401, a 402 or an exhausted quota stopped the
    /// model.
    pub(super) fn check_stopped(&self) -> Result<(), ModelError> {
        match self.stopped.lock().expect("not poisoned").clone() {
            Some(reason) => Err(ModelError::Stopped {
                model: self.entry.name.clone(),
                reason,
            }),
            None => Ok(()),
        }
    }

    /// One completion for `body` (from [`wire::request_body`]): streamed or not as the entry
    /// says, retrying what may succeed later. Waits for a concurrency permit and the rate
    /// limits before every try.
    pub async fn send(&self, body: &serde_json::Value) -> Result<Exchange, ModelError> {
        self.check_stopped()?;
        let transport = if self.entry.streams() {
            Transport::Stream
        } else {
            Transport::Json
        };
        let wire_body = match transport {
            Transport::Stream => wire::stream_body(self.entry.provider, body),
            _ => body.clone(),
        };
        let tokens_estimate = {
            let bytes = body.to_string().len() as u64;
            (bytes / 4 + u64::from(self.entry.max_output_tokens)).min(u64::from(u32::MAX)) as u32
        };
        let (parsed, requests) = self
            .retrying(Some(tokens_estimate), || {
                self.complete_once(&wire_body, transport)
            })
            .await?;
        Ok(Exchange {
            parsed,
            requests,
            transport,
        })
    }

    async fn complete_once(
        &self,
        body: &serde_json::Value,
        transport: Transport,
    ) -> Result<Parsed, Failure> {
        let url = self.url(wire::endpoint(self.entry.provider));
        let req = self.request(reqwest::Method::POST, &url).json(body);
        let malformed = |message: String| {
            Failure::Fatal(ModelError::Malformed {
                model: self.entry.name.clone(),
                message: self.redact(&message),
            })
        };
        if transport != Transport::Stream {
            let text = self.fetch(req.timeout(self.timeout())).await?;
            return wire::parse_response(self.entry.provider, &text).map_err(malformed);
        }
        let response = match tokio::time::timeout(self.timeout(), req.send()).await {
            Err(_) => {
                return Err(Failure::Retryable(
                    format!(
                        "the stream did not start within {} s",
                        self.entry.timeout_secs
                    ),
                    None,
                ))
            }
            Ok(sent) => sent.map_err(|e| self.transport_failure(e))?,
        };
        if !response.status().is_success() {
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let text = match tokio::time::timeout(self.timeout(), response.text()).await {
                Ok(Ok(t)) => self.redact(&t),
                _ => String::new(),
            };
            return Err(self.classify(status, &text, retry_after));
        }
        let limits = StreamLimits {
            idle: self.timeout(),
            total: self.timeout() * STREAM_TOTAL_FACTOR,
        };
        stream::read_reply(self.entry.provider, response, limits)
            .await
            .map_err(|fault| match fault {
                Fault::Failed(m) if wire::is_quota_exhausted(429, &m) => {
                    self.classify(429, &m, None)
                }
                Fault::Failed(m) => Failure::Retryable(self.redact(&m), None),
                Fault::Malformed(m) => malformed(m),
            })
    }

    /// One API call other than a completion (the batch layer's uploads, creations, polls and
    /// downloads), with the same retries but outside the completion limits. `build` makes the
    /// request afresh for every try (`url` and the authentication come from
    /// [`HttpModel::request`]). Returns the 2xx body. It is sent even when the model is
    /// stopped (polling a batch already paid for costs nothing); whoever spends checks
    /// [`HttpModel::check_stopped`] first.
    pub(super) async fn call(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<String, ModelError> {
        let (text, _) = self
            .retrying(None, || self.fetch(build().timeout(self.timeout())))
            .await?;
        Ok(text)
    }

    /// Runs `once` until it succeeds, fails for good, or the retry budget is spent. With a
    /// token estimate, every try first waits for a concurrency permit and the rate limits.
    /// Returns the result and the number of tries.
    async fn retrying<T, F, Fut>(
        &self,
        tokens_estimate: Option<u32>,
        once: F,
    ) -> Result<(T, u32), ModelError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let tries = AtomicU32::new(0);
        let mut attempt = 0u32;
        loop {
            let result = match tokens_estimate {
                Some(estimate) => {
                    let _permit = self
                        .permits
                        .acquire()
                        .await
                        .expect("semaphore never closed");
                    if let Some(rpm) = &self.rpm {
                        rpm.until_ready().await;
                    }
                    if let Some((tpm, cap)) = &self.tpm {
                        let n = NonZeroU32::new(estimate.clamp(1, cap.get()))
                            .expect("clamped to at least 1");
                        // Cannot fail: n is at most the burst size.
                        let _ = tpm.until_n_ready(n).await;
                    }
                    tries.fetch_add(1, Ordering::Relaxed);
                    once().await
                }
                None => {
                    tries.fetch_add(1, Ordering::Relaxed);
                    once().await
                }
            };
            match result {
                Ok(value) => return Ok((value, tries.load(Ordering::Relaxed))),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retryable(last, retry_after)) => {
                    if attempt >= self.entry.max_retries {
                        return Err(ModelError::GaveUp {
                            model: self.entry.name.clone(),
                            requests: tries.load(Ordering::Relaxed),
                            last,
                        });
                    }
                    let delay = retry_after.unwrap_or_else(|| self.backoff(attempt));
                    tracing::info!(
                        model = %self.entry.name,
                        "{last}; retry {} of {} in {} ms",
                        attempt + 1,
                        self.entry.max_retries,
                        delay.as_millis()
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Exponential backoff with full jitter in [half, whole] of the step.
    fn backoff(&self, attempt: u32) -> Duration {
        let step = Duration::from_millis(self.entry.retry_base_ms)
            .saturating_mul(1u32 << attempt.min(16))
            .min(MAX_BACKOFF);
        step.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
    }

    fn transport_failure(&self, e: reqwest::Error) -> Failure {
        let what = if e.is_timeout() {
            format!("no response within {} s", self.entry.timeout_secs)
        } else {
            format!("connection failed: {}", self.redact(&e.to_string()))
        };
        Failure::Retryable(what, None)
    }

    /// Sends `req` and reads the whole body: the 2xx text, or the failure.
    async fn fetch(&self, req: RequestBuilder) -> Result<String, Failure> {
        let response = req.send().await.map_err(|e| self.transport_failure(e))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let text = match response.text().await {
            Ok(t) => self.redact(&t),
            Err(e) => {
                let what = if e.is_timeout() {
                    format!("no complete response within {} s", self.entry.timeout_secs)
                } else {
                    format!(
                        "reading the response failed: {}",
                        self.redact(&e.to_string())
                    )
                };
                return Err(Failure::Retryable(what, None));
            }
        };
        if (200..300).contains(&status) {
            return Ok(text);
        }
        Err(self.classify(status, &text, retry_after))
    }

    /// What an error response means. A 401, a 402 or an exhausted quota also stops the
    /// model: its later requests fail at once, without being sent.
    fn classify(&self, status: u16, text: &str, retry_after: Option<Duration>) -> Failure {
        let name = &self.entry.name;
        let message = wire::error_message(text);
        let stop = |reason: String| {
            *self.stopped.lock().expect("not poisoned") = Some(reason);
        };
        if status == 401 {
            let reason = format!("HTTP 401 (check {}): {message}", self.key_var());
            stop(reason.clone());
            return Failure::Fatal(ModelError::Unauthorized {
                model: name.clone(),
                message: reason,
            });
        }
        if wire::is_quota_exhausted(status, text) {
            stop(format!("quota exhausted (HTTP {status}): {message}"));
            return Failure::Fatal(ModelError::Quota {
                model: name.clone(),
                status,
                message,
            });
        }
        match status {
            408 | 409 | 429 | 500..=599 => {
                Failure::Retryable(format!("HTTP {status}: {message}"), retry_after)
            }
            _ => Failure::Fatal(ModelError::Rejected {
                model: name.clone(),
                status,
                message,
            }),
        }
    }

    fn key_var(&self) -> String {
        self.entry
            .api_key_env
            .clone()
            .unwrap_or_else(|| "the server's authentication".into())
    }
}

/// The server's requested wait: `retry-after-ms` (milliseconds), else `retry-after` (seconds).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    let wait = get("retry-after-ms")
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .or_else(|| get("retry-after").map(Duration::from_secs_f64))?;
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_ms_wins_over_seconds() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        h.insert("retry-after-ms", "oops".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
    }

    #[test]
    fn key_is_redacted_and_never_debug_printed() {
        let key = ApiKey("sk-test-123".into());
        assert_eq!(key.redact("bad key sk-test-123!"), "bad key [REDACTED]!");
        assert!(!format!("{key:?}").contains("sk-test"));
    }

    fn entry(base: &str, concurrency: u32) -> ModelEntry {
        let text = format!(
            "[[model]]\nname = \"m\"\nprovider = \"openai-compatible\"\nmodel = \"m\"\nbase_url = \"{base}/v1\"\nmax_concurrency = {concurrency}\nstream = false\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refbench.toml");
        std::fs::write(&path, text).unwrap();
        super::super::config::Config::load(&path)
            .unwrap()
            .models
            .remove(0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn max_concurrency_bounds_requests_in_flight() {
        use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string(
                        r#"{"choices":[{"message":{"content":"ok"},"finish_reason":"stop"}]}"#,
                    )
                    .set_delay(Duration::from_millis(300)),
            )
            .mount(&server)
            .await;
        // With one permit, three 300 ms requests cannot overlap.
        {
            let model = std::sync::Arc::new(HttpModel::new(entry(&server.uri(), 1), None).unwrap());
            let started = std::time::Instant::now();
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let model = model.clone();
                    tokio::spawn(async move {
                        model.send(&serde_json::json!({})).await.map(|e| e.requests)
                    })
                })
                .collect();
            for t in tasks {
                assert_eq!(t.await.unwrap().unwrap(), 1);
            }
            let ms = started.elapsed().as_millis();
            assert!(ms >= 900, "requests overlapped: {ms} ms");
        }
    }
}
