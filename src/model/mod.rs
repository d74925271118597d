//! Ask: gets a reply for a task from a model.
//!
//! In: a [`Model`] (resolved by name through a [`ModelSet`], which reads `refbench.toml`), the
//! [`Task`], the sample index and the context text the caller packed. Out: a [`Reply`] (the raw
//! text the apply stage reads, token usage and cost, the stop reason, the prompt and its
//! template hash), or a [`ModelError`] that the run records as a `model-error` outcome.
//!
//! Models:
//! - built-ins `gold` (the task's gold patch) and `empty` (nothing), which need no config and
//!   no context and bound every leaderboard;
//! - HTTP providers (`openai-chat`, `openai-responses`, `anthropic`, `openai-compatible`),
//!   small reqwest clients speaking each documented wire format ([`wire`]); and
//! - `replay`, replies read back from a file written by `refbench run --record FILE`.
//!
//! HTTP behaviour ([`client`]): per model a semaphore (`max_concurrency`) and governor rate
//! limiters (requests and tokens per minute); retries with jittered exponential backoff on 408,
//! 409, 429, 5xx (529 included), timeouts, connection errors and broken streams, honouring
//! `retry-after-ms` then `retry-after`; no retry on other 4xx. A 401, a 402 or an exhausted
//! quota (`insufficient_quota`, spend or credit limits) also stops the model's later attempts
//! without a request. Long requests are streamed (server-sent events, [`stream`]) as
//! `stream` in refbench.toml says. Calls are async (tokio); [`Model::ask`] blocks on a runtime
//! the set owns, so today's synchronous run loop can call it and an async loop can call
//! [`Model::ask_async`] instead. [`batch`] submits many requests at once through the
//! providers' batch APIs, at their batch prices.
//!
//! Usage is normalised: `input_tokens` is all input (OpenAI's `prompt_tokens` already includes
//! cached tokens; Anthropic's `input_tokens` excludes cache reads and writes, which are added);
//! cost in USD comes from the entry's prices; a response without usage leaves usage `None`
//! (unknown), never zero. Successful replies are cached ([`reply_cache`]) under
//! `CACHE/responses/`, keyed by everything that changes the answer: provider, base URL, model
//! id, the full request body and the sample index; errors are never cached, so a repeated run
//! of a finished configuration makes no HTTP request. Keys come only from the entry's
//! environment variable and are replaced by `[REDACTED]` in every error and reply.

pub mod batch;
pub mod client;
pub mod config;
pub mod prompt;
pub mod reply_cache;
pub mod stream;
pub mod tools;
pub mod wire;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use crate::catalog::{FileError, Task};
use client::{HttpModel, Transport};
use config::{Config, ModelEntry, Prices, Provider};
use reply_cache::ReplyCache;

/// Model-stage failures. Messages never hold an API key.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A name that is neither built in nor configured.
    #[error("unknown model `{name}`; built-in models: gold, empty, oracle, nop (agents); add `+agent` to a provider model's name for agent mode{configured}")]
    Unknown {
        /// The name given.
        name: String,
        /// The configured names, formatted for the message.
        configured: String,
    },
    /// refbench.toml has problems.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Config(Vec<FileError>),
    /// The key variable is unset.
    #[error("model {model}: environment variable {var} (its api_key_env) is not set; export the key in it")]
    MissingKey {
        /// The model.
        model: String,
        /// The variable's name.
        var: String,
    },
    /// The HTTP client could not be built.
    #[error("model {model}: cannot build the HTTP client: {message}")]
    Client {
        /// The model.
        model: String,
        /// The cause.
        message: String,
    },
    /// HTTP 401: the key is wrong; the model's remaining attempts are not sent.
    #[error("model {model}: unauthorized: {message}")]
    Unauthorized {
        /// The model.
        model: String,
        /// The provider's message.
        message: String,
    },
    /// The account cannot pay (HTTP 402, or a quota, spend or credit limit): not retried, and
    /// the model's remaining attempts are not sent.
    #[error("model {model}: quota exhausted (HTTP {status}, not retried): {message}; the model's remaining attempts are not sent")]
    Quota {
        /// The model.
        model: String,
        /// The status (402, or the 400/403/429 that named the quota).
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// A 4xx refusal of the request (bad parameter, no such model, forbidden).
    #[error("model {model}: request rejected with HTTP {status} (not retried): {message}")]
    Rejected {
        /// The model.
        model: String,
        /// The status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// Retryable failures until the retry budget ran out.
    #[error("model {model}: gave up after {requests} request(s): {last}")]
    GaveUp {
        /// The model.
        model: String,
        /// Requests sent.
        requests: u32,
        /// The last failure.
        last: String,
    },
    /// A 2xx response that is not what the API documents.
    #[error("model {model}: malformed response: {message}")]
    Malformed {
        /// The model.
        model: String,
        /// What is wrong.
        message: String,
    },
    /// An earlier attempt got a 401, a 402 or an exhausted quota.
    #[error("model {model}: not asked, an earlier request failed: {reason}")]
    Stopped {
        /// The model.
        model: String,
        /// The earlier failure.
        reason: String,
    },
    /// The model cannot do what was asked (a batch for a provider without a batch API).
    #[error("model {model}: {what}")]
    Unsupported {
        /// The model.
        model: String,
        /// What it cannot do, and what to do instead.
        what: String,
    },
    /// A batch as a whole cannot be submitted, polled or collected.
    #[error("model {model}: batch {batch}: {message}")]
    Batch {
        /// The model.
        model: String,
        /// The batch id (or `-` before it has one).
        batch: String,
        /// What is wrong.
        message: String,
    },
    /// One request of a batch has no reply (errored, expired, canceled).
    #[error("model {model}: batch request {custom_id}: {message}")]
    BatchItem {
        /// The model.
        model: String,
        /// The request's custom id.
        custom_id: String,
        /// What happened to it.
        message: String,
    },
    /// The replay file has no reply for this attempt, or cannot be read.
    #[error("model {model}: replay: {message}")]
    Replay {
        /// The model.
        model: String,
        /// What is wrong.
        message: String,
    },
    /// The `--record` file cannot be written.
    #[error("recording replies to {path}: {message}")]
    Record {
        /// The file.
        path: PathBuf,
        /// The cause.
        message: String,
    },
}

/// Why generation stopped, normalised across providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// The model finished.
    Complete,
    /// Cut at the output token limit.
    Truncated,
    /// The model declined.
    Refusal,
    /// The provider's content filter stopped it.
    ContentFilter,
    /// The model stopped to have its tool calls run (agent mode).
    ToolUse,
    /// Anything else the provider reported.
    Other,
}

/// Token usage and cost of one reply. Unknown fields stay `None`, never zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// All input tokens, cached ones included.
    pub input_tokens: Option<u64>,
    /// Of the input, tokens read from the provider's prompt cache.
    pub cached_input_tokens: Option<u64>,
    /// Of the input, tokens written to the provider's prompt cache (Anthropic).
    pub cache_write_tokens: Option<u64>,
    /// Output tokens, reasoning included.
    pub output_tokens: Option<u64>,
    /// Of the output, reasoning tokens.
    pub reasoning_tokens: Option<u64>,
    /// Cost in USD (unknown without prices or without input and output counts).
    pub cost_usd: Option<f64>,
}

impl Usage {
    /// Prices the counts. Missing cache counts mean no caching; missing input or output count
    /// leaves the cost unknown.
    pub fn priced(mut self, prices: Option<&Prices>) -> Usage {
        self.cost_usd = match (prices, self.input_tokens, self.output_tokens) {
            (Some(p), Some(input), Some(output)) => {
                let read = self.cached_input_tokens.unwrap_or(0);
                let write = self.cache_write_tokens.unwrap_or(0);
                let plain = input.saturating_sub(read + write);
                let micro = plain as f64 * p.input
                    + read as f64 * p.cache_read.unwrap_or(p.input)
                    + write as f64 * p.cache_write.unwrap_or(p.input)
                    + output as f64 * p.output;
                Some(micro / 1_000_000.0)
            }
            _ => None,
        };
        self
    }
}

/// How a reply was obtained, stored with the attempt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AskInfo {
    /// Hash of the prompt template (see [`prompt::template_hash`]); `None` for the built-ins.
    pub prompt_hash: Option<String>,
    /// Why generation stopped, when the provider said.
    pub stop_reason: Option<StopReason>,
    /// HTTP requests sent for this reply (retries included; 0 from the cache or a replay).
    pub http_requests: u32,
    /// Served from the response cache.
    pub cached: bool,
    /// How the reply came back (`None` from the cache, a replay or a built-in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// Agent mode: how the loop stopped, its turns and tool calls (HTTP requests and the
    /// cache flag above are summed over turns).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<tools::AgentInfo>,
}

/// A model's reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// Raw text, as the model gave it.
    pub text: String,
    /// Usage, when the model reports it (`None` for the built-ins and when unknown).
    pub usage: Option<Usage>,
    /// How it was obtained.
    #[serde(default)]
    pub info: AskInfo,
    /// The prompt sent (system, then user), for the attempt's artifacts.
    #[serde(skip)]
    pub prompt: Option<String>,
}

/// Options of the model stage for one run.
#[derive(Debug, Clone, Default)]
pub struct ModelSettings {
    /// refbench.toml (`None`: built-ins only).
    pub config: Option<PathBuf>,
    /// Where the response cache lives (`None`: no cache).
    pub cache: Option<crate::cache::CacheLayout>,
    /// Append every reply to this JSONL file (for `replay`).
    pub record: Option<PathBuf>,
}

struct Shared {
    runtime: OnceLock<tokio::runtime::Runtime>,
    cache: Option<ReplyCache>,
    recorder: Option<(PathBuf, Mutex<std::fs::File>)>,
    /// Response cache keys a batch of this run answered (see [`batch`]).
    batch_served: Mutex<std::collections::HashSet<String>>,
}

impl Shared {
    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime can be built")
        })
    }
}

// One per model, behind an Arc: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Kind {
    Gold,
    Empty,
    Oracle,
    Nop,
    Http(HttpModel),
    Replay { entry: ModelEntry, replies: Replies },
}

/// A model refbench can ask. Cheap to clone; clones share limits and the 401 stop.
#[derive(Clone)]
pub struct Model {
    name: String,
    mode: tools::Mode,
    agent_limits: tools::AgentLimits,
    kind: Arc<Kind>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Model({})", self.name)
    }
}

impl PartialEq for Model {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// One line of a `--record` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedReply {
    /// The task id.
    pub task: String,
    /// The model name.
    pub model: String,
    /// The sample index.
    pub sample: u32,
    /// The reply text.
    pub text: String,
    /// Its usage.
    pub usage: Option<Usage>,
    /// The template hash and stop reason.
    #[serde(default)]
    pub info: AskInfo,
}

impl Model {
    /// Resolves a built-in name (`gold`, `empty`) without any configuration.
    pub fn resolve(name: &str) -> Result<Model, ModelError> {
        ModelSet::builtin().resolve(name)
    }

    /// The name used in results.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why the model has nothing to say on `task`, if so: a folder of hand-written replies
    /// holds none for it. Such attempts are skipped (and said so) rather than planned and
    /// failed: adding a task must not break a run of the examples. (A recording made with
    /// `--record` that lacks an attempt is a model error instead: the recording is incomplete.)
    pub fn unanswered(&self, task: &crate::catalog::TaskId) -> Option<String> {
        match &*self.kind {
            Kind::Replay {
                entry,
                replies: Replies::PerTask(map),
            } if !map.contains_key(&task.0) => Some(format!(
                "no reply for it in {} (expected {task}.md there)",
                entry.file.as_deref().unwrap_or(Path::new("?")).display()
            )),
            _ => None,
        }
    }

    /// Whether the model reads a context (the built-ins and replays do not).
    pub fn needs_context(&self) -> bool {
        matches!(*self.kind, Kind::Http(_))
    }

    /// Gets the reply for `task`, sample `sample`, blocking. `context` is the repository text
    /// the prompt carries (ignored by models that need none).
    pub fn ask(&self, task: &Task, sample: u32, context: &str) -> Result<Reply, ModelError> {
        match *self.kind {
            Kind::Http(_) => self
                .shared
                .runtime()
                .block_on(self.ask_async(task, sample, context)),
            _ => self.finish(task, sample, self.ask_local(task, sample)?),
        }
    }

    /// The async form of [`Model::ask`], for a caller that has its own runtime.
    pub async fn ask_async(
        &self,
        task: &Task,
        sample: u32,
        context: &str,
    ) -> Result<Reply, ModelError> {
        let reply = match &*self.kind {
            Kind::Http(http) => self.ask_http(http, task, sample, context).await?,
            _ => self.ask_local(task, sample)?,
        };
        self.finish(task, sample, reply)
    }

    fn ask_local(&self, task: &Task, sample: u32) -> Result<Reply, ModelError> {
        Ok(match &*self.kind {
            Kind::Gold => Reply {
                text: task.gold_patch.clone(),
                usage: None,
                info: AskInfo::default(),
                prompt: None,
            },
            Kind::Empty => Reply {
                text: String::new(),
                usage: None,
                info: AskInfo::default(),
                prompt: None,
            },
            Kind::Replay { entry, replies } => {
                let r = replies
                    .get(&task.id.0, entry.model_id(), sample)
                    .ok_or_else(|| ModelError::Replay {
                        model: self.name.clone(),
                        message: match replies {
                            Replies::Recorded(_) => format!(
                                "no reply recorded for task {}, model {}, sample {sample}",
                                task.id,
                                entry.model_id()
                            ),
                            Replies::PerTask(_) => format!(
                                "no reply for task {}: expected {}/{}.md",
                                task.id,
                                entry.file.as_deref().unwrap_or(Path::new("?")).display(),
                                task.id
                            ),
                        },
                    })?;
                Reply {
                    text: r.text.clone(),
                    usage: r.usage.clone(),
                    info: AskInfo {
                        http_requests: 0,
                        cached: false,
                        ..r.info.clone()
                    },
                    prompt: None,
                }
            }
            Kind::Http(_) => unreachable!("HTTP models are asked asynchronously"),
            Kind::Oracle | Kind::Nop => {
                return Err(ModelError::Unsupported {
                    model: self.name.clone(),
                    what: "a built-in agent works in the attempt's tree (agent mode), it gives no single reply".into(),
                })
            }
        })
    }

    async fn ask_http(
        &self,
        http: &HttpModel,
        task: &Task,
        sample: u32,
        context: &str,
    ) -> Result<Reply, ModelError> {
        let entry = &http.entry;
        let prompt = prompt::build(task, context, entry.edit_format);
        let body = wire::request_body(entry, &prompt);
        let key = reply_cache::key(entry, &body, sample);
        let cached = self.shared.cache.as_ref().and_then(|c| c.get(&key));
        let (parsed, requests, transport) = match cached {
            Some(parsed) if self.shared.take_batch_served(&key) => {
                (parsed, 0, Some(Transport::Batch))
            }
            Some(parsed) => (parsed, 0, None),
            None => {
                let exchange = http.send(&body).await?;
                // Only a reply that parsed is cached: errors never are.
                if let Some(cache) = &self.shared.cache {
                    cache.put(&key, &exchange.parsed);
                }
                (exchange.parsed, exchange.requests, Some(exchange.transport))
            }
        };
        Ok(Reply {
            text: http.redact(&parsed.text),
            usage: parsed
                .usage
                .map(|u| u.priced(batch::prices(entry, transport).as_ref())),
            prompt: Some(prompt_artifact(&prompt)),
            info: AskInfo {
                prompt_hash: Some(prompt.template_hash),
                stop_reason: Some(parsed.stop),
                http_requests: requests,
                cached: transport.is_none(),
                transport,
                agent: None,
            },
        })
    }

    fn finish(&self, task: &Task, sample: u32, reply: Reply) -> Result<Reply, ModelError> {
        if let Some((path, file)) = &self.shared.recorder {
            let line = RecordedReply {
                task: task.id.0.clone(),
                model: self.name.clone(),
                sample,
                text: reply.text.clone(),
                usage: reply.usage.clone(),
                info: reply.info.clone(),
            };
            let mut json = serde_json::to_string(&line).expect("replies serialize");
            json.push('\n');
            let mut f = file.lock().expect("not poisoned");
            f.write_all(json.as_bytes())
                .and_then(|_| f.flush())
                .map_err(|e| ModelError::Record {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
        }
        Ok(reply)
    }
}

/// The prompt as the attempt's artifact shows it (system, then user).
fn prompt_artifact(prompt: &prompt::Prompt) -> String {
    format!(
        "### system\n\n{}\n\n### user\n\n{}",
        prompt.system, prompt.user
    )
}

/// Added to a provider model's name (`gpt-5.5+agent`) to run it in agent mode, as its own
/// leaderboard row.
pub const AGENT_SUFFIX: &str = "+agent";

/// How the attempts recorded under `name` were made: `NAME+agent` and the built-in agents
/// (`oracle`, `nop`) work as agents, every other name answered one prompt
/// ([`ModelSet::resolve`] records an agent-mode entry as `NAME+agent`).
pub fn mode_of_name(name: &str) -> tools::Mode {
    if name.ends_with(AGENT_SUFFIX) || name == "oracle" || name == "nop" {
        tools::Mode::Agent
    } else {
        tools::Mode::Single
    }
}

/// The models of a run: the built-ins plus refbench.toml's entries, resolved once each so
/// every attempt of a model shares its limits.
pub struct ModelSet {
    config: Config,
    shared: Arc<Shared>,
    resolved: Mutex<HashMap<String, Model>>,
}

impl ModelSet {
    /// Only the built-ins; no cache, no recording.
    pub fn builtin() -> ModelSet {
        ModelSet {
            config: Config::default(),
            shared: Arc::new(Shared {
                runtime: OnceLock::new(),
                cache: None,
                recorder: None,
                batch_served: Mutex::default(),
            }),
            resolved: Mutex::new(HashMap::new()),
        }
    }

    /// Loads the config (when given) and opens the record file (when given).
    pub fn load(settings: &ModelSettings) -> Result<ModelSet, ModelError> {
        let config = match &settings.config {
            Some(path) => Config::load(path).map_err(ModelError::Config)?,
            None => Config::default(),
        };
        let recorder = match &settings.record {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| ModelError::Record {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                Some((path.clone(), Mutex::new(file)))
            }
            None => None,
        };
        Ok(ModelSet {
            config,
            shared: Arc::new(Shared {
                runtime: OnceLock::new(),
                cache: settings
                    .cache
                    .as_ref()
                    .map(|c| ReplyCache::new(c.responses())),
                recorder,
                batch_served: Mutex::default(),
            }),
            resolved: Mutex::new(HashMap::new()),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The model named `name` (the same instance on every call). Its [`Model::name`], the
    /// name its attempts are recorded under, is `name` except for an entry configured with
    /// `mode = "agent"` asked for without the suffix: that one is `NAME+agent`.
    pub fn resolve(&self, name: &str) -> Result<Model, ModelError> {
        if let Some(m) = self.resolved.lock().expect("not poisoned").get(name) {
            return Ok(m.clone());
        }
        let (base, suffix_agent) = match name.strip_suffix(AGENT_SUFFIX) {
            Some(base) => (base, true),
            None => (name, false),
        };
        let mut mode = if suffix_agent {
            tools::Mode::Agent
        } else {
            tools::Mode::Single
        };
        let kind = match base {
            "gold" | "empty" if suffix_agent => {
                return Err(ModelError::Unsupported {
                    model: name.to_string(),
                    what: "gold and empty give one reply; the built-in agents are oracle and nop"
                        .into(),
                })
            }
            "gold" => Kind::Gold,
            "empty" => Kind::Empty,
            "oracle" | "nop" if !suffix_agent => {
                mode = tools::Mode::Agent;
                if base == "oracle" {
                    Kind::Oracle
                } else {
                    Kind::Nop
                }
            }
            _ => {
                let entry = self.config.get(base).ok_or_else(|| ModelError::Unknown {
                    name: name.to_string(),
                    configured: match (&self.config.path, self.config.models.len()) {
                        (None, _) => "; no refbench.toml was found (pass --config PATH)".into(),
                        (Some(p), 0) => format!("; {} configures none", p.display()),
                        (Some(p), _) => format!(
                            "; configured in {}: {}",
                            p.display(),
                            self.config
                                .models
                                .iter()
                                .map(|m| m.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                })?;
                if entry.mode == tools::Mode::Agent {
                    mode = tools::Mode::Agent;
                }
                match entry.provider {
                    Provider::Replay if mode == tools::Mode::Agent => {
                        return Err(ModelError::Unsupported {
                            model: name.to_string(),
                            what: "a replay model has no tool-calling conversation to replay; run the provider model again with the response cache instead".into(),
                        })
                    }
                    Provider::Replay => Kind::Replay {
                        entry: entry.clone(),
                        replies: load_replay(entry)?,
                    },
                    _ => Kind::Http(HttpModel::new(entry.clone(), client::read_key(entry)?)?),
                }
            }
        };
        // A name in results says the mode: an entry configured with `mode = "agent"` is
        // recorded as `NAME+agent`, so reply and agent attempts never share a name (and a
        // leaderboard row), whichever way the agent mode was asked for.
        let canonical = match &kind {
            Kind::Http(_) if mode == tools::Mode::Agent && !suffix_agent => {
                format!("{base}{AGENT_SUFFIX}")
            }
            _ => name.to_string(),
        };
        let model = Model {
            name: canonical,
            mode,
            agent_limits: self.config.agent,
            kind: Arc::new(kind),
            shared: self.shared.clone(),
        };
        self.resolved
            .lock()
            .expect("not poisoned")
            .insert(name.to_string(), model.clone());
        Ok(model)
    }
}

/// Replies of a replay model, by (task, model, sample); or, read from a folder, one reply per
/// task that answers every sample.
#[derive(Debug)]
enum Replies {
    Recorded(HashMap<(String, String, u32), RecordedReply>),
    PerTask(HashMap<String, String>),
}

impl Replies {
    fn get(&self, task: &str, model: &str, sample: u32) -> Option<RecordedReply> {
        match self {
            Replies::Recorded(map) => map.get(&(task.into(), model.into(), sample)).cloned(),
            Replies::PerTask(map) => map.get(task).map(|text| RecordedReply {
                task: task.into(),
                model: model.into(),
                sample,
                text: text.clone(),
                usage: None,
                info: AskInfo::default(),
            }),
        }
    }
}

/// Reads a replay model's `file`: the JSONL written by `--record`, or a folder of hand-written
/// replies, `FIXTURE/TASK.md` for task `FIXTURE/TASK` (the reply's whole text).
fn load_replay(entry: &ModelEntry) -> Result<Replies, ModelError> {
    let path = entry.file.as_ref().expect("validated: replay has a file");
    let err = |message: String| ModelError::Replay {
        model: entry.name.clone(),
        message,
    };
    if path.is_dir() {
        let mut replies = HashMap::new();
        let fixtures = std::fs::read_dir(path)
            .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
        for fixture in fixtures.flatten().filter(|e| e.path().is_dir()) {
            let files = std::fs::read_dir(fixture.path())
                .map_err(|e| err(format!("cannot read {}: {e}", fixture.path().display())))?;
            for file in files.flatten() {
                let p = file.path();
                let (Some(stem), Some("md")) = (
                    p.file_stem().and_then(|s| s.to_str()),
                    p.extension().and_then(|s| s.to_str()),
                ) else {
                    continue;
                };
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| err(format!("cannot read {}: {e}", p.display())))?;
                let task = format!("{}/{stem}", fixture.file_name().to_string_lossy());
                replies.insert(task, text);
            }
        }
        return Ok(Replies::PerTask(replies));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
    let mut replies = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let r: RecordedReply = serde_json::from_str(line).map_err(|e| {
            err(format!(
                "{}:{}: not a recorded reply: {e}",
                path.display(),
                i + 1
            ))
        })?;
        // A later line (a re-recorded attempt) replaces an earlier one.
        replies.insert((r.task.clone(), r.model.clone(), r.sample), r);
    }
    Ok(Replies::Recorded(replies))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_uses_each_price_and_unknown_stays_unknown() {
        let prices = Prices {
            input: 5.0,
            cache_read: Some(0.5),
            cache_write: Some(6.25),
            output: 25.0,
        };
        let u = Usage {
            input_tokens: Some(1_100_000),
            cached_input_tokens: Some(200_000),
            cache_write_tokens: Some(100_000),
            output_tokens: Some(100_000),
            ..Default::default()
        }
        .priced(Some(&prices));
        assert!((u.cost_usd.unwrap() - 7.225).abs() < 1e-9, "{u:?}");
        let unknown = Usage {
            input_tokens: Some(10),
            ..Default::default()
        }
        .priced(Some(&prices));
        assert_eq!(unknown.cost_usd, None);
    }

    #[test]
    fn old_usage_records_still_load() {
        let u: Usage =
            serde_json::from_str(r#"{"input_tokens":1,"output_tokens":2,"cost_usd":null}"#)
                .unwrap();
        assert_eq!(u.cached_input_tokens, None);
    }
}
