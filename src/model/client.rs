//! One HTTP model: its key, its concurrency and rate limits, and the retry loop.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::Rng;
use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;

use super::config::{ModelEntry, Provider};
use super::{wire, ModelError};

/// Longest wait a server's `retry-after` may impose before refbench gives up waiting.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
/// Longest backoff between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

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
    /// Set by a 401: the model's remaining attempts fail without a request.
    stopped: Mutex<Option<String>>,
}

/// A successful exchange.
pub struct Exchange {
    /// The 2xx body (key redacted).
    pub body: String,
    /// HTTP requests it took (1 + retries).
    pub requests: u32,
}

enum Failure {
    Retryable(String, Option<Duration>),
    Fatal(ModelError),
}

impl HttpModel {
    /// Builds the client; `key` comes from [`read_key`].
    pub fn new(entry: ModelEntry, key: Option<ApiKey>) -> Result<HttpModel, ModelError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(entry.timeout_secs))
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

    /// Removes the key from `text`.
    pub fn redact(&self, text: &str) -> String {
        match &self.key {
            Some(k) => k.redact(text),
            None => text.to_string(),
        }
    }

    fn request(&self, body: &serde_json::Value) -> reqwest::RequestBuilder {
        let url = format!(
            "{}{}",
            self.entry.base_url(),
            wire::endpoint(self.entry.provider)
        );
        let mut req = self.http.post(url).json(body);
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

    /// Sends `body`, retrying what may succeed later. Waits for a concurrency permit and the
    /// rate limits before every try.
    pub async fn send(&self, body: &serde_json::Value) -> Result<Exchange, ModelError> {
        if let Some(reason) = self.stopped.lock().expect("not poisoned").clone() {
            return Err(ModelError::Stopped {
                model: self.entry.name.clone(),
                reason,
            });
        }
        let tokens_estimate = {
            let bytes = body.to_string().len() as u64;
            (bytes / 4 + u64::from(self.entry.max_output_tokens)).min(u64::from(u32::MAX)) as u32
        };
        let tries = AtomicU32::new(0);
        let mut attempt = 0u32;
        loop {
            let result = {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .expect("semaphore never closed");
                if let Some(rpm) = &self.rpm {
                    rpm.until_ready().await;
                }
                if let Some((tpm, cap)) = &self.tpm {
                    let n = NonZeroU32::new(tokens_estimate.clamp(1, cap.get()))
                        .expect("clamped to at least 1");
                    // Cannot fail: n is at most the burst size.
                    let _ = tpm.until_n_ready(n).await;
                }
                tries.fetch_add(1, Ordering::Relaxed);
                self.try_once(body).await
            };
            match result {
                Ok(body) => {
                    return Ok(Exchange {
                        body,
                        requests: tries.load(Ordering::Relaxed),
                    })
                }
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

    async fn try_once(&self, body: &serde_json::Value) -> Result<String, Failure> {
        let name = &self.entry.name;
        let response = match self.request(body).send().await {
            Ok(r) => r,
            Err(e) => {
                let what = if e.is_timeout() {
                    format!("no response within {} s", self.entry.timeout_secs)
                } else {
                    format!("connection failed: {}", self.redact(&e.to_string()))
                };
                return Err(Failure::Retryable(what, None));
            }
        };
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
        let message = wire::error_message(&text);
        match status {
            401 => {
                let reason = format!("HTTP 401 (check {}): {message}", self.key_var());
                *self.stopped.lock().expect("not poisoned") = Some(reason.clone());
                Err(Failure::Fatal(ModelError::Unauthorized {
                    model: name.clone(),
                    message: reason,
                }))
            }
            429 if wire::is_quota_exhausted(&text) => Err(Failure::Fatal(ModelError::Quota {
                model: name.clone(),
                message,
            })),
            408 | 409 | 429 | 500..=599 => Err(Failure::Retryable(
                format!("HTTP {status}: {message}"),
                retry_after,
            )),
            _ => Err(Failure::Fatal(ModelError::Rejected {
                model: name.clone(),
                status,
                message,
            })),
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
            "[[model]]\nname = \"m\"\nprovider = \"openai-compatible\"\nmodel = \"m\"\nbase_url = \"{base}/v1\"\nmax_concurrency = {concurrency}\n"
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
                    .set_body_string("{}")
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
