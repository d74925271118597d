//! `refbench.toml`: the configured models, validated on load with errors that name the file,
//! the line and the key (the same [`FileError`] as task.toml).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::catalog::toml_file::{self, FileError};

/// The wire protocol a model entry speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// OpenAI Chat Completions (`POST {base_url}/chat/completions`).
    OpenaiChat,
    /// OpenAI Responses (`POST {base_url}/responses`).
    OpenaiResponses,
    /// Anthropic Messages (`POST {base_url}/messages`, `anthropic-version` header).
    Anthropic,
    /// Any server speaking Chat Completions at `base_url` (gateways, vLLM, Ollama, llama.cpp).
    OpenaiCompatible,
    /// Replies read back from a file written by `refbench run --record`.
    Replay,
}

impl Provider {
    /// The name used in refbench.toml.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::OpenaiChat => "openai-chat",
            Provider::OpenaiResponses => "openai-responses",
            Provider::Anthropic => "anthropic",
            Provider::OpenaiCompatible => "openai-compatible",
            Provider::Replay => "replay",
        }
    }

    fn default_base_url(self) -> Option<&'static str> {
        match self {
            Provider::OpenaiChat | Provider::OpenaiResponses => Some("https://api.openai.com/v1"),
            Provider::Anthropic => Some("https://api.anthropic.com/v1"),
            Provider::OpenaiCompatible | Provider::Replay => None,
        }
    }

    /// Sampling parameters the provider's API defines (the entry picks among them).
    fn sampling_params(self) -> &'static [&'static str] {
        match self {
            Provider::OpenaiChat | Provider::OpenaiCompatible => &[
                "temperature",
                "top_p",
                "seed",
                "frequency_penalty",
                "presence_penalty",
            ],
            Provider::OpenaiResponses => &["temperature", "top_p"],
            Provider::Anthropic => &["temperature", "top_p", "top_k"],
            Provider::Replay => &[],
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the model is told to write its edit (the patch stage reads this format).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EditFormat {
    /// One unified diff (`git diff` style) in a ```diff fence.
    #[default]
    UnifiedDiff,
}

/// OpenAI reasoning effort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    /// `none`.
    None,
    /// `minimal`.
    Minimal,
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `xhigh`.
    Xhigh,
}

impl ReasoningEffort {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::None => "none",
            ReasoningEffort::Minimal => "minimal",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
            ReasoningEffort::Xhigh => "xhigh",
        }
    }
}

/// Whether a model's requests are streamed (server-sent events), as `stream = true | false |
/// "auto"` in refbench.toml.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum StreamMode {
    /// Stream requests that may run long (see [`ModelEntry::streams`]).
    #[default]
    Auto,
    /// Always stream.
    Always,
    /// Never stream: one JSON response per request.
    Never,
}

impl Serialize for StreamMode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            StreamMode::Auto => s.serialize_str("auto"),
            StreamMode::Always => s.serialize_bool(true),
            StreamMode::Never => s.serialize_bool(false),
        }
    }
}

impl<'de> Deserialize<'de> for StreamMode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Flag(bool),
            Word(String),
        }
        let wrong = || {
            serde::de::Error::custom(
                "expected true (always stream), false (never) or \"auto\" (stream long requests)",
            )
        };
        match Written::deserialize(d).map_err(|_| wrong())? {
            Written::Flag(true) => Ok(StreamMode::Always),
            Written::Flag(false) => Ok(StreamMode::Never),
            Written::Word(w) if w == "auto" => Ok(StreamMode::Auto),
            Written::Word(_) => Err(wrong()),
        }
    }
}

/// `stream = "auto"` streams a request whose `max_output_tokens` is above this. It is the
/// Anthropic SDKs' own bound: they estimate a reply's time as one hour per 128,000 output tokens
/// and refuse a non-streamed call expected to pass 10 minutes (3600 s x 21,333 / 128,000 =
/// 600 s), because an idle HTTP connection that long is dropped by proxies and load balancers.
/// The same holds for long OpenAI reasoning replies, so one rule serves every provider.
pub const AUTO_STREAM_MAX_TOKENS: u32 = 21_333;

/// `stream = "auto"` also streams when one request may wait longer than this (`timeout_secs`):
/// the same 10 minutes, past which a silent connection is at risk.
pub const AUTO_STREAM_TIMEOUT_SECS: u64 = 600;

/// The batch discount the providers bill (OpenAI's Batch API and Anthropic's Message Batches
/// both charge half the list price), used when an entry does not set `batch_discount`.
pub const PROVIDER_BATCH_DISCOUNT: f64 = 0.5;

/// USD per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    /// Uncached input tokens.
    pub input: f64,
    /// Input tokens read from the provider's prompt cache (default: `input`).
    pub cache_read: Option<f64>,
    /// Input tokens written to the provider's prompt cache (default: `input`).
    pub cache_write: Option<f64>,
    /// Output tokens (reasoning tokens are billed as output).
    pub output: f64,
}

impl Prices {
    /// Every price less `discount` (a fraction: 0.5 halves them), for batch replies.
    pub fn discounted(&self, discount: f64) -> Prices {
        let keep = 1.0 - discount;
        Prices {
            input: self.input * keep,
            cache_read: self.cache_read.map(|p| p * keep),
            cache_write: self.cache_write.map(|p| p * keep),
            output: self.output * keep,
        }
    }
}

/// One `[[model]]` entry as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    /// The name used with `--model` and in results.
    pub name: String,
    /// The wire protocol.
    pub provider: Provider,
    /// The provider's model id (for `replay`: the recorded model's name; default `name`).
    pub model: Option<String>,
    /// API base URL (provider default when absent; required for `openai-compatible`).
    pub base_url: Option<String>,
    /// Name of the environment variable holding the API key (never the key itself).
    pub api_key_env: Option<String>,
    /// Prices; without them cost is unknown.
    pub price: Option<Prices>,
    /// Requests in flight at once.
    #[serde(default = "default_concurrency")]
    pub max_concurrency: u32,
    /// Requests per minute.
    pub requests_per_minute: Option<u32>,
    /// Tokens per minute (input estimate + max output, per request).
    pub tokens_per_minute: Option<u32>,
    /// Output token limit sent with each request.
    #[serde(default = "default_max_output")]
    pub max_output_tokens: u32,
    /// Reasoning effort (OpenAI providers).
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Sampling parameters the model accepts, with their values; only these are sent.
    #[serde(default)]
    pub sampling: BTreeMap<String, toml::Value>,
    /// The request field carrying the output limit (`openai-chat`: `max_completion_tokens`;
    /// `openai-compatible`: `max_tokens` unless set).
    pub token_limit_field: Option<String>,
    /// How the model writes its edit.
    #[serde(default)]
    pub edit_format: EditFormat,
    /// Seconds before one HTTP request is abandoned (then retried). For a streamed request: the
    /// wait for the response to start and the longest silence between two events.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Whether requests are streamed (`true`, `false` or `"auto"`, the default).
    pub stream: Option<StreamMode>,
    /// Fraction of the prices a batch reply is not billed (default: the provider's 0.5).
    pub batch_discount: Option<f64>,
    /// Retries after the first request, for retryable failures.
    #[serde(default = "default_retries")]
    pub max_retries: u32,
    /// First backoff delay in milliseconds (doubled per retry, jittered, capped at 60 s).
    #[serde(default = "default_backoff")]
    pub retry_base_ms: u64,
    /// `replay`: the JSONL file written by `--record`, or a folder of `FIXTURE/TASK.md` replies
    /// (relative to refbench.toml).
    pub file: Option<PathBuf>,
    /// `single` (one packed prompt, the default) or `agent` (a tool-calling loop; its attempts
    /// are recorded as `NAME+agent`).
    #[serde(default)]
    pub mode: super::tools::Mode,
}

fn default_concurrency() -> u32 {
    4
}
fn default_max_output() -> u32 {
    32_000
}
fn default_timeout() -> u64 {
    600
}
fn default_retries() -> u32 {
    6
}
fn default_backoff() -> u64 {
    1000
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    model: Vec<ModelEntry>,
    #[serde(default)]
    agent: super::tools::AgentLimits,
}

/// A validated `refbench.toml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The file it came from.
    pub path: Option<PathBuf>,
    /// Entries, in file order.
    pub models: Vec<ModelEntry>,
    /// Limits of agent attempts (`[agent]`; defaults when absent).
    pub agent: super::tools::AgentLimits,
}

/// A validated entry with defaults filled in.
impl ModelEntry {
    /// The provider's model id.
    pub fn model_id(&self) -> &str {
        self.model.as_deref().unwrap_or(&self.name)
    }

    /// The base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url
            .as_deref()
            .or(self.provider.default_base_url())
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string()
    }

    /// Whether this entry's requests are streamed: as `stream` says; for `"auto"`, when
    /// `max_output_tokens` is above [`AUTO_STREAM_MAX_TOKENS`] or `timeout_secs` above
    /// [`AUTO_STREAM_TIMEOUT_SECS`].
    pub fn streams(&self) -> bool {
        match (self.provider, self.stream.unwrap_or_default()) {
            (Provider::Replay, _) | (_, StreamMode::Never) => false,
            (_, StreamMode::Always) => true,
            (_, StreamMode::Auto) => {
                self.max_output_tokens > AUTO_STREAM_MAX_TOKENS
                    || self.timeout_secs > AUTO_STREAM_TIMEOUT_SECS
            }
        }
    }

    /// Whether the provider has a batch API refbench speaks.
    pub fn has_batch_api(&self) -> bool {
        matches!(
            self.provider,
            Provider::OpenaiChat | Provider::OpenaiResponses | Provider::Anthropic
        )
    }

    /// The discount on batch replies: `batch_discount`, else the provider's
    /// [`PROVIDER_BATCH_DISCOUNT`]; `None` without a batch API.
    pub fn batch_discount(&self) -> Option<f64> {
        self.has_batch_api()
            .then(|| self.batch_discount.unwrap_or(PROVIDER_BATCH_DISCOUNT))
    }

    /// The request field for the output token limit.
    pub fn token_limit_field(&self) -> &str {
        match (&self.token_limit_field, self.provider) {
            (Some(f), _) => f,
            (None, Provider::OpenaiChat) => "max_completion_tokens",
            (None, Provider::OpenaiResponses) => "max_output_tokens",
            (None, _) => "max_tokens",
        }
    }
}

/// Line of key `key` in the `[table]` table (or of its header).
fn key_line(text: &str, table: &str, key: &str) -> Option<usize> {
    let header = format!("[{table}]");
    let mut found = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if line.starts_with('[') {
            if found.is_some() {
                break;
            }
            if line.starts_with(&header) {
                found = Some(i + 1);
            }
        } else if found.is_some()
            && line
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        {
            return Some(i + 1);
        }
    }
    found
}

/// Line of key `key` inside the `index`-th `[[model]]` table (or of the table header).
fn entry_line(text: &str, index: usize, key: &str) -> Option<usize> {
    let mut seen = 0usize;
    let mut inside = false;
    let mut header = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if line.starts_with("[[model]]") {
            inside = seen == index;
            if inside {
                header = Some(i + 1);
            }
            seen += 1;
            continue;
        }
        if line.starts_with("[[") || (line.starts_with('[') && !line.starts_with("[model.")) {
            inside = false;
        }
        if inside {
            if let Some(rest) = line.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return Some(i + 1);
                }
            }
        }
    }
    header
}

impl Config {
    /// Loads and validates `path`. Every problem is returned, not only the first.
    pub fn load(path: &Path) -> Result<Config, Vec<FileError>> {
        let (file, text) = toml_file::load::<ConfigFile>(path).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, m) in file.model.iter().enumerate() {
            let err = |key: &str, message: String| FileError {
                path: path.to_path_buf(),
                line: entry_line(&text, i, key.rsplit('.').next().unwrap_or(key)),
                key: format!("model[{i}].{key}"),
                message,
            };
            if m.name.is_empty()
                || !m
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
            {
                errors.push(err(
                    "name",
                    format!("expected letters, digits and - _ . : /, found `{}`", m.name),
                ));
            }
            if ["gold", "empty", "oracle", "nop"].contains(&m.name.as_str()) {
                errors.push(err(
                    "name",
                    format!("`{}` is a built-in model; choose another name", m.name),
                ));
            }
            if let Some(first) = seen.insert(&m.name, i) {
                errors.push(err(
                    "name",
                    format!("`{}` is already the name of model[{first}]", m.name),
                ));
            }
            match m.provider {
                Provider::Replay => {
                    if m.file.is_none() {
                        errors.push(err(
                            "file",
                            "a replay model needs `file`: the JSONL written by `refbench run --record FILE`, or a folder of hand-written replies FIXTURE/TASK.md".into(),
                        ));
                    }
                }
                _ => {
                    if m.file.is_some() {
                        errors.push(err("file", "only replay models read a file".into()));
                    }
                    if m.model.is_none() {
                        errors.push(err(
                            "model",
                            "required key `model` (the provider's model id) is missing".into(),
                        ));
                    }
                }
            }
            if m.provider == Provider::OpenaiCompatible && m.base_url.is_none() {
                errors.push(err(
                    "base_url",
                    "an openai-compatible model needs `base_url`, e.g. \"http://localhost:8000/v1\"".into(),
                ));
            }
            if let Some(url) = &m.base_url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    errors.push(err(
                        "base_url",
                        format!("expected an http:// or https:// URL, found `{url}`"),
                    ));
                }
            }
            if matches!(
                m.provider,
                Provider::OpenaiChat | Provider::OpenaiResponses | Provider::Anthropic
            ) && m.api_key_env.is_none()
            {
                errors.push(err(
                    "api_key_env",
                    format!(
                        "{} needs `api_key_env`, the name of the environment variable holding the key",
                        m.provider
                    ),
                ));
            }
            if let Some(var) = &m.api_key_env {
                if var.is_empty()
                    || !var
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                {
                    errors.push(err(
                        "api_key_env",
                        "expected the NAME of an environment variable (A-Z, 0-9, _), not a key"
                            .into(),
                    ));
                }
            }
            if m.max_concurrency == 0 {
                errors.push(err(
                    "max_concurrency",
                    "expected at least 1, found 0".into(),
                ));
            }
            if m.requests_per_minute == Some(0) {
                errors.push(err(
                    "requests_per_minute",
                    "expected at least 1, found 0".into(),
                ));
            }
            if m.tokens_per_minute == Some(0) {
                errors.push(err(
                    "tokens_per_minute",
                    "expected at least 1, found 0".into(),
                ));
            }
            if m.max_output_tokens == 0 {
                errors.push(err(
                    "max_output_tokens",
                    "expected at least 1, found 0".into(),
                ));
            }
            if m.timeout_secs == 0 {
                errors.push(err("timeout_secs", "expected at least 1, found 0".into()));
            }
            if m.stream.is_some() && m.provider == Provider::Replay {
                errors.push(err(
                    "stream",
                    "a replay model sends no request; remove `stream`".into(),
                ));
            }
            if let Some(d) = m.batch_discount {
                if !m.has_batch_api() {
                    errors.push(err(
                        "batch_discount",
                        format!(
                            "provider {} has no batch API refbench speaks (openai-chat, openai-responses and anthropic do); remove `batch_discount`",
                            m.provider
                        ),
                    ));
                } else if !(d.is_finite() && (0.0..1.0).contains(&d)) {
                    errors.push(err(
                        "batch_discount",
                        format!("expected a fraction from 0 up to (not including) 1, e.g. 0.5 for half price; found {d}"),
                    ));
                }
            }
            if let Some(p) = &m.price {
                let all = [
                    ("input", Some(p.input)),
                    ("cache_read", p.cache_read),
                    ("cache_write", p.cache_write),
                    ("output", Some(p.output)),
                ];
                for (k, v) in all {
                    if v.is_some_and(|v| !(v.is_finite() && v >= 0.0)) {
                        errors.push(err(
                            &format!("price.{k}"),
                            "expected a price in USD per million tokens, 0 or more".into(),
                        ));
                    }
                }
            }
            if m.reasoning_effort.is_some()
                && !matches!(
                    m.provider,
                    Provider::OpenaiChat | Provider::OpenaiResponses | Provider::OpenaiCompatible
                )
            {
                errors.push(err(
                    "reasoning_effort",
                    format!("not supported by provider {}", m.provider),
                ));
            }
            if m.token_limit_field.is_some()
                && !matches!(
                    m.provider,
                    Provider::OpenaiChat | Provider::OpenaiCompatible
                )
            {
                errors.push(err(
                    "token_limit_field",
                    format!(
                        "only openai-chat and openai-compatible take it; {} uses `{}`",
                        m.provider,
                        m.token_limit_field()
                    ),
                ));
            }
            let known = m.provider.sampling_params();
            for (k, v) in &m.sampling {
                if !known.contains(&k.as_str()) {
                    errors.push(err(
                        &format!("sampling.{k}"),
                        format!(
                            "provider {} has no sampling parameter `{k}`; known: {}",
                            m.provider,
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                } else if !(v.is_integer() || v.is_float()) {
                    errors.push(err(
                        &format!("sampling.{k}"),
                        format!("expected a number, found {}", v.type_str()),
                    ));
                }
            }
        }
        for (key, message) in file.agent.problems() {
            errors.push(FileError {
                path: path.to_path_buf(),
                line: key_line(&text, "agent", key),
                key: format!("agent.{key}"),
                message,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let models = file
            .model
            .into_iter()
            .map(|mut m| {
                if let Some(f) = &m.file {
                    if f.is_relative() {
                        m.file = Some(dir.join(f));
                    }
                }
                m
            })
            .collect();
        Ok(Config {
            path: Some(path.to_path_buf()),
            models,
            agent: file.agent,
        })
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Config, Vec<FileError>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refbench.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(&path)
    }

    #[test]
    fn shipped_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("refbench.toml");
        let config = Config::load(&path).unwrap();
        let gpt = config.get("gpt-5.5").unwrap();
        assert_eq!(gpt.provider, Provider::OpenaiResponses);
        assert!(gpt.price.is_some() && gpt.sampling.is_empty());
        let claude = config.get("claude-opus-4-7").unwrap();
        assert_eq!(claude.provider, Provider::Anthropic);
        assert_eq!(claude.base_url(), "https://api.anthropic.com/v1");
        // Both flagship entries ask for long replies: streamed, and billed at half in batches.
        assert!(gpt.streams() && claude.streams());
        assert_eq!(claude.batch_discount(), Some(0.5));
    }

    #[test]
    fn errors_name_line_and_key() {
        let text = "[[model]]\nname = \"a\"\nprovider = \"openai-chat\"\nmodel = \"x\"\napi_key_env = \"K\"\n\n[[model]]\nname = \"b\"\nprovider = \"anthropic\"\nmodel = \"y\"\napi_key_env = \"sk-secret\"\nmax_concurrency = 0\n[model.sampling]\nseed = 3\n";
        let errors = load_text(text).unwrap_err();
        let shown: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(
            shown
                .iter()
                .any(|s| s.contains(":11: key `model[1].api_key_env`")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.contains(":12: key `model[1].max_concurrency`")),
            "{shown:?}"
        );
        assert!(
            shown
                .iter()
                .any(|s| s.contains(":14: key `model[1].sampling.seed`")),
            "{shown:?}"
        );
    }

    #[test]
    fn unknown_provider_is_reported_with_its_line() {
        let errors = load_text("[[model]]\nname = \"a\"\nprovider = \"openai\"\n").unwrap_err();
        assert_eq!(errors[0].line, Some(3), "{}", errors[0]);
        assert!(
            errors[0].to_string().contains("openai-chat"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn compatible_needs_base_url_and_defaults_max_tokens() {
        let errors =
            load_text("[[model]]\nname = \"a\"\nprovider = \"openai-compatible\"\nmodel = \"m\"\n")
                .unwrap_err();
        assert!(errors[0].to_string().contains("base_url"), "{}", errors[0]);
        let ok = load_text("[[model]]\nname = \"a\"\nprovider = \"openai-compatible\"\nmodel = \"m\"\nbase_url = \"http://h/v1/\"\n").unwrap();
        assert_eq!(ok.models[0].token_limit_field(), "max_tokens");
        assert_eq!(ok.models[0].base_url(), "http://h/v1");
    }

    fn one(extra: &str) -> Result<ModelEntry, Vec<FileError>> {
        load_text(&format!(
            "[[model]]\nname = \"a\"\nprovider = \"anthropic\"\nmodel = \"m\"\napi_key_env = \"K\"\n{extra}"
        ))
        .map(|mut c| c.models.remove(0))
    }

    #[test]
    fn stream_is_true_false_or_auto_and_auto_streams_long_requests() {
        assert!(one("stream = true\nmax_output_tokens = 100\n")
            .unwrap()
            .streams());
        assert!(!one("stream = false\n").unwrap().streams());
        // Auto: the default 32000 output tokens may take over 10 minutes.
        assert!(one("").unwrap().streams());
        assert!(!one("max_output_tokens = 21333\n").unwrap().streams());
        assert!(one("max_output_tokens = 21334\n").unwrap().streams());
        assert!(
            one("stream = \"auto\"\nmax_output_tokens = 8000\ntimeout_secs = 900\n")
                .unwrap()
                .streams()
        );
        let errors = one("stream = \"sometimes\"\n").unwrap_err();
        let shown = errors[0].to_string();
        assert!(
            shown.contains(":6:") && shown.contains("expected true (always stream), false"),
            "{shown}"
        );
    }

    #[test]
    fn batch_discount_defaults_to_half_and_is_checked() {
        assert_eq!(one("").unwrap().batch_discount(), Some(0.5));
        assert_eq!(
            one("batch_discount = 0.25\n").unwrap().batch_discount(),
            Some(0.25)
        );
        let shown = one("batch_discount = 1.5\n").unwrap_err()[0].to_string();
        assert!(
            shown.contains(":6: key `model[0].batch_discount`") && shown.contains("0.5 for half"),
            "{shown}"
        );
        let errors = load_text("[[model]]\nname = \"a\"\nprovider = \"openai-compatible\"\nmodel = \"m\"\nbase_url = \"http://h/v1\"\nbatch_discount = 0.5\n").unwrap_err();
        assert!(
            errors[0].to_string().contains("no batch API"),
            "{}",
            errors[0]
        );
        let prices = Prices {
            input: 5.0,
            cache_read: Some(0.5),
            cache_write: None,
            output: 25.0,
        }
        .discounted(0.5);
        assert_eq!(
            (prices.input, prices.cache_read, prices.output),
            (2.5, Some(0.25), 12.5)
        );
    }
}
