//! One turn of an agent conversation with a model.
//!
//! In: the model, the sample index, the system text, the conversation so far and the tools.
//! Out: a [`TurnReply`] (the model's text, its tool calls, the stop reason, the turn's priced
//! usage, the HTTP requests it took and whether it came from the cache), or a [`ModelError`].
//!
//! A turn is one request through [`HttpModel::send`]: streamed or not as the entry says,
//! retried as any request is, charged once (usage is read from the response that completed).
//! Its body is the whole conversation, so the response cache keys it by everything said so
//! far: a rerun of a finished conversation makes no request at all. Only HTTP models hold
//! conversations; the built-in agents (`oracle`, `nop`) are scripted by the agent stage (agent/).

use serde_json::Value;

use super::{Message, ToolCall, ToolSpec};
use crate::model::client::{HttpModel, Transport};
use crate::model::{reply_cache, Kind, Model, ModelError, StopReason, Usage};

/// The model's answer in one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnReply {
    /// Its text (key redacted).
    pub text: String,
    /// The tools it called, in order.
    pub calls: Vec<ToolCall>,
    /// Why generation stopped.
    pub stop: StopReason,
    /// The turn's usage, priced with the entry's prices (`None`: unknown).
    pub usage: Option<Usage>,
    /// HTTP requests sent (0 from the cache; retries included).
    pub http_requests: u32,
    /// How the reply came back (`None` from the cache).
    pub transport: Option<Transport>,
}

/// A scripted agent built into refbench.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinAgent {
    /// Applies the task's gold patch through the tools, then submits.
    Oracle,
    /// Submits at once.
    Nop,
}

impl Model {
    /// Whether the model attempts tasks as an agent (built-in agents, `NAME+agent`, and
    /// entries with `mode = "agent"`).
    pub fn is_agent(&self) -> bool {
        self.mode == super::Mode::Agent
    }

    /// The limits of this model's agent attempts (refbench.toml's `[agent]`).
    pub fn agent_limits(&self) -> super::AgentLimits {
        self.agent_limits
    }

    /// The built-in agent this model is, if it is one.
    pub fn builtin_agent(&self) -> Option<BuiltinAgent> {
        match *self.kind {
            Kind::Oracle => Some(BuiltinAgent::Oracle),
            Kind::Nop => Some(BuiltinAgent::Nop),
            _ => None,
        }
    }

    /// The body of the next turn (also what keys its cached reply).
    pub fn turn_body(
        &self,
        system: &str,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<Value, ModelError> {
        Ok(super::request_body(
            &self.http()?.entry,
            system,
            messages,
            tools,
        ))
    }

    fn http(&self) -> Result<&HttpModel, ModelError> {
        match &*self.kind {
            Kind::Http(http) => Ok(http),
            _ => Err(ModelError::Unsupported {
                model: self.name.clone(),
                what: "only provider models hold tool-calling conversations".into(),
            }),
        }
    }

    /// One turn, blocking on the model set's runtime.
    pub fn turn(
        &self,
        sample: u32,
        system: &str,
        messages: &[Message],
        tools: &[ToolSpec],
    ) -> Result<TurnReply, ModelError> {
        let body = self.turn_body(system, messages, tools)?;
        self.shared
            .runtime()
            .block_on(self.turn_async(sample, &body))
    }

    /// One turn with the body from [`Model::turn_body`], for a caller with its own runtime.
    pub async fn turn_async(&self, sample: u32, body: &Value) -> Result<TurnReply, ModelError> {
        let http = self.http()?;
        let key = reply_cache::key(&http.entry, body, sample);
        let cached = self.shared.cache.as_ref().and_then(|c| c.get(&key));
        let (parsed, requests, transport) = match cached {
            Some(parsed) => (parsed, 0, None),
            None => {
                let exchange = http.send(body).await?;
                if let Some(cache) = &self.shared.cache {
                    cache.put(&key, &exchange.parsed);
                }
                (exchange.parsed, exchange.requests, Some(exchange.transport))
            }
        };
        Ok(TurnReply {
            text: http.redact(&parsed.text),
            calls: parsed
                .tool_calls
                .into_iter()
                .map(|c| ToolCall {
                    arguments: http.redact(&c.arguments),
                    ..c
                })
                .collect(),
            stop: parsed.stop,
            usage: parsed.usage.map(|u| u.priced(http.entry.price.as_ref())),
            http_requests: requests,
            transport,
        })
    }
}
