//! Tool calling on the wire: the request bodies and the tool calls of an agent conversation, in
//! each provider's documented format.
//!
//! In: a model entry, the system text, the conversation so far (a list of [`Message`]s) and
//! the tools offered ([`ToolSpec`]). Out: the JSON request body of the next turn
//! ([`request_body`]); and, from a response, the tool calls the model made ([`ToolCall`],
//! read by [`super::wire`] into [`super::wire::Parsed::tool_calls`], streamed or not).
//!
//! | provider | tools offered | a call | its result |
//! |---|---|---|---|
//! | `openai-chat`, `openai-compatible` | `tools: [{type: function, function: {name, description, parameters}}]` | `choices[0].message.tool_calls[] {id, type: function, function: {name, arguments}}` | a message `{role: tool, tool_call_id, content}` |
//! | `openai-responses` | `tools: [{type: function, name, description, parameters, strict: false}]` | an output item `{type: function_call, call_id, name, arguments}` | an input item `{type: function_call_output, call_id, output}` |
//! | `anthropic` | `tools: [{name, description, input_schema}]` | a content block `{type: tool_use, id, name, input}` | a user content block `{type: tool_result, tool_use_id, content, is_error}` |
//!
//! Every turn sends the whole conversation (Responses with `store: false`: nothing is kept
//! server-side), so a turn's body is the full request and [`super::reply_cache::key`] of it
//! keys that turn: a rerun replays a whole conversation from the cache. The model's earlier
//! turns are sent back as text plus tool calls; reasoning items (OpenAI) are not kept between
//! turns (they would need `include: reasoning.encrypted_content`), and refbench does not turn
//! on Anthropic's extended thinking, whose blocks would have to be sent back.

pub mod limits;
pub mod turn;

pub use limits::{AgentInfo, AgentLimits, AgentStop, LimitKind, Mode};
pub use turn::{BuiltinAgent, TurnReply};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::config::{ModelEntry, Provider};
use super::prompt::Prompt;
use super::wire;

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    /// Its name (letters, digits, `_`, `-`).
    pub name: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// The JSON Schema of its arguments (an object schema).
    pub parameters: Value,
}

/// One call of a tool by the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id for the call (`call_id`, `tool_calls[].id`, `tool_use.id`); the
    /// result is matched to the call by it.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text, as the model wrote them (may not parse: the tool says so).
    pub arguments: String,
}

/// The result of one tool call, sent back to the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The call's id.
    pub call_id: String,
    /// What the tool printed or answered.
    pub output: String,
    /// Whether the call failed (bad arguments, a refused path, a missing string).
    pub is_error: bool,
}

/// One message of an agent conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "kebab-case")]
pub enum Message {
    /// The user's text (the task).
    User {
        /// The text.
        text: String,
    },
    /// A model turn: its text and the calls it made.
    Assistant {
        /// The text (may be empty).
        text: String,
        /// The calls, in the model's order.
        calls: Vec<ToolCall>,
    },
    /// The results of the previous turn's calls, in the same order.
    ToolResults {
        /// One per call.
        results: Vec<ToolResult>,
    },
}

/// Chat Completions has no error flag on a tool message: an error says so in its text.
const ERROR_PREFIX: &str = "error: ";

fn result_text(r: &ToolResult) -> String {
    if r.is_error {
        format!("{ERROR_PREFIX}{}", r.output)
    } else {
        r.output.clone()
    }
}

/// The arguments as a JSON object (Anthropic's `input` must be one): the model's text when it
/// is an object, else that text kept under `_raw` so nothing it wrote is lost.
fn arguments_object(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ => json!({ "_raw": arguments }),
    }
}

fn chat_messages(system: &str, messages: &[Message]) -> Value {
    let mut out = vec![json!({"role": "system", "content": system})];
    for m in messages {
        match m {
            Message::User { text } => out.push(json!({"role": "user", "content": text})),
            Message::Assistant { text, calls } => {
                let mut msg = json!({"role": "assistant", "content": text});
                if !calls.is_empty() {
                    if text.is_empty() {
                        msg["content"] = Value::Null;
                    }
                    msg["tool_calls"] = calls
                        .iter()
                        .map(|c| {
                            json!({"id": c.id, "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments}})
                        })
                        .collect();
                }
                out.push(msg);
            }
            Message::ToolResults { results } => {
                for r in results {
                    out.push(
                        json!({"role": "tool", "tool_call_id": r.call_id, "content": result_text(r)}),
                    );
                }
            }
        }
    }
    Value::Array(out)
}

fn responses_input(messages: &[Message]) -> Value {
    let mut out = Vec::new();
    for m in messages {
        match m {
            Message::User { text } => out.push(json!({"role": "user", "content": text})),
            Message::Assistant { text, calls } => {
                if !text.is_empty() {
                    out.push(json!({"role": "assistant", "content": text}));
                }
                for c in calls {
                    out.push(json!({"type": "function_call", "call_id": c.id,
                        "name": c.name, "arguments": c.arguments}));
                }
            }
            Message::ToolResults { results } => {
                for r in results {
                    out.push(json!({"type": "function_call_output", "call_id": r.call_id,
                        "output": result_text(r)}));
                }
            }
        }
    }
    Value::Array(out)
}

fn anthropic_messages(messages: &[Message]) -> Value {
    let mut out = Vec::new();
    for m in messages {
        match m {
            Message::User { text } => out.push(json!({"role": "user", "content": text})),
            Message::Assistant { text, calls } => {
                let mut blocks = Vec::new();
                if !text.is_empty() {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                for c in calls {
                    blocks.push(json!({"type": "tool_use", "id": c.id, "name": c.name,
                        "input": arguments_object(&c.arguments)}));
                }
                if !blocks.is_empty() {
                    out.push(json!({"role": "assistant", "content": blocks}));
                }
            }
            Message::ToolResults { results } => {
                let blocks: Vec<Value> = results
                    .iter()
                    .map(|r| {
                        json!({"type": "tool_result", "tool_use_id": r.call_id,
                            "content": r.output, "is_error": r.is_error})
                    })
                    .collect();
                out.push(json!({"role": "user", "content": blocks}));
            }
        }
    }
    Value::Array(out)
}

fn tool_list(provider: Provider, tools: &[ToolSpec]) -> Value {
    tools
        .iter()
        .map(|t| match provider {
            Provider::OpenaiResponses => json!({"type": "function", "name": t.name,
                "description": t.description, "parameters": t.parameters, "strict": false}),
            Provider::Anthropic => {
                json!({"name": t.name, "description": t.description, "input_schema": t.parameters})
            }
            _ => json!({"type": "function", "function": {"name": t.name,
                "description": t.description, "parameters": t.parameters}}),
        })
        .collect()
}

/// The body of the next turn: the entry's parameters (output limit, reasoning effort,
/// sampling: the same as [`wire::request_body`] sends), the whole conversation and the tools.
pub fn request_body(
    entry: &ModelEntry,
    system: &str,
    messages: &[Message],
    tools: &[ToolSpec],
) -> Value {
    let prompt = Prompt {
        system: system.to_string(),
        user: String::new(),
        template_hash: String::new(),
    };
    let mut body = wire::request_body(entry, &prompt);
    let Some(map) = body.as_object_mut() else {
        return body;
    };
    match entry.provider {
        Provider::OpenaiChat | Provider::OpenaiCompatible => {
            map.insert("messages".into(), chat_messages(system, messages));
        }
        Provider::OpenaiResponses => {
            map.insert("input".into(), responses_input(messages));
        }
        Provider::Anthropic => {
            map.insert("messages".into(), anthropic_messages(messages));
        }
        Provider::Replay => return body,
    }
    if !tools.is_empty() {
        map.insert("tools".into(), tool_list(entry.provider, tools));
    }
    body
}

/// The tool calls of a non-streamed response (or one rebuilt from a stream), in order.
pub fn calls_in_response(provider: Provider, v: &Value) -> Vec<ToolCall> {
    let str_of = |v: &Value, key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let items = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    match provider {
        Provider::OpenaiChat | Provider::OpenaiCompatible => items(
            v.get("choices")
                .and_then(|c| c.get(0))
                .and_then(|c| c.get("message"))
                .and_then(|m| m.get("tool_calls")),
        )
        .iter()
        .map(|c| {
            let f = c.get("function").unwrap_or(&Value::Null);
            ToolCall {
                id: str_of(c, "id"),
                name: str_of(f, "name"),
                arguments: match f.get("arguments") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) if !other.is_null() => other.to_string(),
                    _ => String::new(),
                },
            }
        })
        .collect(),
        Provider::OpenaiResponses => items(v.get("output"))
            .iter()
            .filter(|i| i.get("type").and_then(Value::as_str) == Some("function_call"))
            .map(|i| ToolCall {
                id: str_of(i, "call_id"),
                name: str_of(i, "name"),
                arguments: str_of(i, "arguments"),
            })
            .collect(),
        Provider::Anthropic => items(v.get("content"))
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
            .map(|b| ToolCall {
                id: str_of(b, "id"),
                name: str_of(b, "name"),
                arguments: b
                    .get("input")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "{}".into()),
            })
            .collect(),
        Provider::Replay => vec![],
    }
}

#[cfg(test)]
mod tests;
