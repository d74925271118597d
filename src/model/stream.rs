//! Streamed replies: the server-sent events of one streamed completion, put back together.
//!
//! In: the events of a streamed response (their `event:` name and `data:` text, as
//! [`eventsource_stream`] parses them off the wire). Out: the same [`Parsed`] reply (text, stop
//! reason, usage) the non-streamed call would have returned, or a [`Fault`] saying why the
//! stream cannot give one.
//!
//! [`Assembler`] rebuilds the documented non-streamed JSON from the events and reads it with
//! [`wire::parse_json`], so normalisation (Anthropic's cache counts, refusals, truncation) is
//! shared with the non-streamed path:
//! - OpenAI Chat Completions: `choices[0].delta.content` (and `.refusal`) concatenated, the
//!   `finish_reason`, and the usage of the last chunk (sent because the request asks
//!   `stream_options.include_usage`); the stream ends with `data: [DONE]`.
//! - OpenAI Responses: `response.output_text.delta` per (output, content) index, replaced by
//!   `response.output_text.done` when it comes; status and usage from the final
//!   `response.completed` or `response.incomplete`.
//! - Anthropic Messages: `text_delta`s of `text` blocks in block order; usage from
//!   `message_start` with the (cumulative) counts of `message_delta` laid over it; the stream
//!   ends with `message_stop`.
//!
//! Reasoning never reaches the text: OpenAI's `reasoning_*` events, Anthropic's
//! `thinking_delta`s and the `reasoning_content` some OpenAI-compatible servers add to a chat
//! delta are all ignored. A stream that ends before its final event, an `error` event or a
//! `response.failed` is a [`Fault::Failed`]: the caller retries the whole request, and only the
//! attempt that completes is charged, since usage is read from its events alone.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};

use super::config::Provider;
use super::wire::{self, Parsed};

/// What one event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// More events are expected.
    More,
    /// That was the final event: the reply is complete.
    Done,
}

/// Why a stream gave no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The provider failed mid-way (an `error` event, a failed response, a cut connection):
    /// the same request may succeed when sent again.
    Failed(String),
    /// An event that is not what the API documents (retrying would not help).
    Malformed(String),
}

/// Reassembles one streamed reply, event by event.
#[derive(Debug)]
pub struct Assembler {
    provider: Provider,
    done: bool,
    events: usize,
    state: State,
}

#[derive(Debug)]
enum State {
    Chat {
        content: String,
        refusal: Option<String>,
        finish: Option<Value>,
        usage: Option<Value>,
        /// Tool call index -> (id, name, arguments so far).
        calls: BTreeMap<u64, (String, String, String)>,
    },
    Responses {
        parts: BTreeMap<(u64, u64), String>,
        refusal: Option<String>,
        last: Option<Value>,
        /// Output index -> a finished `function_call` item (`response.output_item.done`).
        calls: BTreeMap<u64, Value>,
    },
    Anthropic {
        /// Block index -> (block type, text; for a `tool_use` block, its input JSON so far).
        blocks: BTreeMap<u64, (String, String)>,
        /// Block index -> the `tool_use` block as `content_block_start` opened it.
        tool_blocks: BTreeMap<u64, Value>,
        stop: Option<Value>,
        usage: Option<Map<String, Value>>,
    },
}

/// The message of an error event, in any provider's shape.
fn error_text(v: &Value) -> String {
    let e = v.get("error").unwrap_or(v);
    let message = e
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| e.as_str())
        .unwrap_or("no message");
    // The kind: Anthropic's `error.type`, else OpenAI's `code` (a Responses error event's own
    // `type` is just "error").
    let kind = [e.get("type"), e.get("code")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find(|k| *k != "error");
    match kind {
        Some(kind) => format!("{kind}: {message}"),
        None => message.to_string(),
    }
}

fn index(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

impl Assembler {
    /// A new reply for `provider` (`Replay` has no stream: every event is malformed).
    pub fn new(provider: Provider) -> Assembler {
        let state = match provider {
            Provider::OpenaiResponses => State::Responses {
                parts: BTreeMap::new(),
                refusal: None,
                last: None,
                calls: BTreeMap::new(),
            },
            Provider::Anthropic => State::Anthropic {
                blocks: BTreeMap::new(),
                tool_blocks: BTreeMap::new(),
                stop: None,
                usage: None,
            },
            _ => State::Chat {
                content: String::new(),
                refusal: None,
                finish: None,
                usage: None,
                calls: BTreeMap::new(),
            },
        };
        Assembler {
            provider,
            done: false,
            events: 0,
            state,
        }
    }

    /// Whether the final event was seen.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Takes one event: `name` is its `event:` field (`message` when absent), `data` its
    /// `data:` text.
    pub fn push(&mut self, name: &str, data: &str) -> Result<Step, Fault> {
        if self.done {
            return Ok(Step::Done);
        }
        if self.provider == Provider::Replay {
            return Err(Fault::Malformed("replay has no stream".into()));
        }
        self.events += 1;
        let is_chat = matches!(self.state, State::Chat { .. });
        if is_chat && data.trim() == "[DONE]" {
            self.done = true;
            return Ok(Step::Done);
        }
        if data.trim().is_empty() {
            // Keep-alive comments and empty events carry nothing.
            return Ok(Step::More);
        }
        let v: Value = serde_json::from_str(data).map_err(|e| {
            Fault::Malformed(format!("event {} (`{name}`) is not JSON: {e}", self.events))
        })?;
        // The `type` field names the event in Responses and Anthropic streams; the SSE name
        // is the fallback.
        let kind = v.get("type").and_then(Value::as_str).unwrap_or(name);
        if kind == "error"
            || name == "error"
            || (is_chat && v.get("error").is_some_and(|e| !e.is_null()))
        {
            return Err(Fault::Failed(format!("error event: {}", error_text(&v))));
        }
        let step = match &mut self.state {
            State::Chat {
                content,
                refusal,
                finish,
                usage,
                calls,
            } => {
                for choice in v
                    .get("choices")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|c| index(c, "index") == 0)
                {
                    let delta = choice.get("delta");
                    let text = |key| delta.and_then(|d| d.get(key)).and_then(Value::as_str);
                    if let Some(t) = text("content") {
                        content.push_str(t);
                    }
                    if let Some(t) = text("refusal") {
                        refusal.get_or_insert_with(String::new).push_str(t);
                    }
                    // A call's id and name come in its first delta, its arguments in pieces.
                    for call in delta
                        .and_then(|d| d.get("tool_calls"))
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let entry = calls.entry(index(call, "index")).or_default();
                        let function = call.get("function").unwrap_or(&Value::Null);
                        if let Some(id) = call.get("id").and_then(Value::as_str) {
                            entry.0 = id.to_string();
                        }
                        if let Some(name) = function.get("name").and_then(Value::as_str) {
                            entry.1.push_str(name);
                        }
                        if let Some(args) = function.get("arguments").and_then(Value::as_str) {
                            entry.2.push_str(args);
                        }
                    }
                    if let Some(f) = choice.get("finish_reason").filter(|f| !f.is_null()) {
                        *finish = Some(f.clone());
                    }
                }
                if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
                    *usage = Some(u.clone());
                }
                Step::More
            }
            State::Responses {
                parts,
                refusal,
                last,
                calls,
            } => match kind {
                "response.output_item.done" => {
                    if let Some(item) = v
                        .get("item")
                        .filter(|i| i.get("type").and_then(Value::as_str) == Some("function_call"))
                    {
                        calls.insert(index(&v, "output_index"), item.clone());
                    }
                    Step::More
                }
                "response.output_text.delta" => {
                    let key = (index(&v, "output_index"), index(&v, "content_index"));
                    let delta = v.get("delta").and_then(Value::as_str).unwrap_or_default();
                    parts.entry(key).or_default().push_str(delta);
                    Step::More
                }
                "response.output_text.done" => {
                    let key = (index(&v, "output_index"), index(&v, "content_index"));
                    if let Some(text) = v.get("text").and_then(Value::as_str) {
                        parts.insert(key, text.to_string());
                    }
                    Step::More
                }
                "response.refusal.delta" => {
                    let delta = v.get("delta").and_then(Value::as_str).unwrap_or_default();
                    refusal.get_or_insert_with(String::new).push_str(delta);
                    Step::More
                }
                "response.refusal.done" => {
                    if let Some(text) = v.get("refusal").and_then(Value::as_str) {
                        *refusal = Some(text.to_string());
                    }
                    Step::More
                }
                "response.failed" => {
                    let response = v.get("response").unwrap_or(&Value::Null);
                    return Err(Fault::Failed(format!(
                        "the response failed: {}",
                        response
                            .get("error")
                            .map(error_text)
                            .unwrap_or_else(|| "no message".into())
                    )));
                }
                "response.completed" | "response.incomplete" => {
                    let response =
                        v.get("response").filter(|r| r.is_object()).ok_or_else(|| {
                            Fault::Malformed(format!("`{kind}` event has no `response` object"))
                        })?;
                    *last = Some(response.clone());
                    Step::Done
                }
                _ => Step::More,
            },
            State::Anthropic {
                blocks,
                tool_blocks,
                stop,
                usage,
            } => match kind {
                "message_start" => {
                    if let Some(u) = v
                        .get("message")
                        .and_then(|m| m.get("usage"))
                        .and_then(Value::as_object)
                    {
                        *usage = Some(u.clone());
                    }
                    Step::More
                }
                "content_block_start" => {
                    let block = v.get("content_block").unwrap_or(&Value::Null);
                    let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
                    let text = block.get("text").and_then(Value::as_str).unwrap_or("");
                    blocks.insert(index(&v, "index"), (kind.to_string(), text.to_string()));
                    if kind == "tool_use" {
                        tool_blocks.insert(index(&v, "index"), block.clone());
                    }
                    Step::More
                }
                "content_block_delta" => {
                    let delta = v.get("delta").unwrap_or(&Value::Null);
                    let (piece, default_kind) = match delta.get("type").and_then(Value::as_str) {
                        Some("text_delta") => (delta.get("text"), "text"),
                        Some("input_json_delta") => (delta.get("partial_json"), "tool_use"),
                        _ => (None, ""),
                    };
                    if let Some(piece) = piece.and_then(Value::as_str) {
                        blocks
                            .entry(index(&v, "index"))
                            .or_insert_with(|| (default_kind.into(), String::new()))
                            .1
                            .push_str(piece);
                    }
                    Step::More
                }
                "message_delta" => {
                    if let Some(s) = v
                        .get("delta")
                        .and_then(|d| d.get("stop_reason"))
                        .filter(|s| !s.is_null())
                    {
                        *stop = Some(s.clone());
                    }
                    // Counts here are cumulative: each replaces the one before; a null leaves
                    // message_start's count in place.
                    if let Some(u) = v.get("usage").and_then(Value::as_object) {
                        let merged = usage.get_or_insert_with(Map::new);
                        for (k, n) in u.iter().filter(|(_, n)| !n.is_null()) {
                            merged.insert(k.clone(), n.clone());
                        }
                    }
                    Step::More
                }
                "message_stop" => Step::Done,
                _ => Step::More,
            },
        };
        if step == Step::Done {
            self.done = true;
        }
        Ok(step)
    }

    /// The reply. A stream that never reached its final event is a [`Fault::Failed`].
    pub fn finish(self) -> Result<Parsed, Fault> {
        if !self.done {
            return Err(Fault::Failed(format!(
                "the stream ended after {} event(s), before its final event",
                self.events
            )));
        }
        let document = match self.state {
            State::Chat {
                content,
                refusal,
                finish,
                usage,
                calls,
            } => {
                let mut v = json!({"choices": [{"index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "finish_reason": finish}]});
                if !calls.is_empty() {
                    v["choices"][0]["message"]["tool_calls"] = calls
                        .into_values()
                        .map(|(id, name, arguments)| {
                            json!({"id": id, "type": "function",
                                "function": {"name": name, "arguments": arguments}})
                        })
                        .collect();
                }
                if let Some(u) = usage {
                    v["usage"] = u;
                }
                v
            }
            State::Responses {
                parts,
                refusal,
                last,
                calls,
            } => {
                let mut v = last.expect("done means the final response was seen");
                // The final response lists the calls; the items' own events are the fallback.
                let mut final_calls: Vec<Value> = v
                    .get("output")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|i| i.get("type").and_then(Value::as_str) == Some("function_call"))
                    .cloned()
                    .collect();
                if final_calls.is_empty() {
                    final_calls = calls.into_values().collect();
                }
                // The deltas are the text; the final object's output is used only when the
                // stream sent none (some servers put everything in the final event).
                if !parts.is_empty() || refusal.is_some() {
                    let mut content: Vec<Value> = parts
                        .into_values()
                        .map(|text| json!({"type": "output_text", "text": text}))
                        .collect();
                    if let Some(r) = refusal {
                        content.push(json!({"type": "refusal", "refusal": r}));
                    }
                    let mut output = vec![json!({"type": "message", "content": content})];
                    output.extend(final_calls);
                    v["output"] = Value::Array(output);
                } else if !final_calls.is_empty() {
                    let output = v["output"].as_array().cloned().unwrap_or_default();
                    if !output.iter().any(|i| i["type"] == "function_call") {
                        v["output"] = Value::Array(output.into_iter().chain(final_calls).collect());
                    }
                }
                v
            }
            State::Anthropic {
                blocks,
                mut tool_blocks,
                stop,
                usage,
            } => {
                let content: Vec<Value> = blocks
                    .into_iter()
                    .filter_map(|(i, (kind, text))| match kind.as_str() {
                        "text" => Some(json!({"type": "text", "text": text})),
                        "tool_use" => {
                            let mut block = tool_blocks.remove(&i).unwrap_or_else(
                                || json!({"type": "tool_use", "id": "", "name": ""}),
                            );
                            // The input arrives as JSON text in pieces; none means `{}`.
                            let input = if text.trim().is_empty() {
                                Ok(json!({}))
                            } else {
                                serde_json::from_str::<Value>(&text)
                            };
                            block["input"] = match input {
                                Ok(v) => v,
                                Err(_) => json!({ "_raw": text }),
                            };
                            Some(block)
                        }
                        _ => None,
                    })
                    .collect();
                let mut v = json!({"type": "message", "content": content, "stop_reason": stop});
                if let Some(u) = usage {
                    v["usage"] = Value::Object(u);
                }
                v
            }
        };
        wire::parse_json(self.provider, &document).map_err(Fault::Malformed)
    }
}

/// Limits on reading one stream.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// Longest silence between two events.
    pub idle: Duration,
    /// Longest whole stream.
    pub total: Duration,
}

/// Reads a 2xx streamed `response` to its end. A server that ignored `stream: true` and sent
/// one JSON body is read as such.
pub async fn read_reply(
    provider: Provider,
    response: reqwest::Response,
    limits: StreamLimits,
) -> Result<Parsed, Fault> {
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let deadline = Instant::now() + limits.total;
    if is_json {
        let body = tokio::time::timeout(limits.total, response.text())
            .await
            .map_err(|_| {
                Fault::Failed(format!(
                    "no complete response within {} s",
                    limits.total.as_secs()
                ))
            })?
            .map_err(|e| Fault::Failed(format!("reading the response failed: {e}")))?;
        return wire::parse_response(provider, &body).map_err(Fault::Malformed);
    }
    let mut events = response.bytes_stream().eventsource();
    let mut assembler = Assembler::new(provider);
    while !assembler.is_done() {
        let now = Instant::now();
        if now >= deadline {
            return Err(Fault::Failed(format!(
                "the stream was still going after {} s",
                limits.total.as_secs()
            )));
        }
        let wait = limits.idle.min(deadline - now);
        let next = tokio::time::timeout(wait, events.next())
            .await
            .map_err(|_| {
                Fault::Failed(format!(
                    "no event for {} s, the stream stalled",
                    wait.as_secs()
                ))
            })?;
        match next {
            None => break,
            Some(Err(e)) => return Err(Fault::Failed(format!("the stream broke: {e}"))),
            Some(Ok(event)) => {
                assembler.push(&event.event, &event.data)?;
            }
        }
    }
    assembler.finish()
}

#[cfg(test)]
mod tests;
