//! Request bodies and response parsing per provider, as each API documents them.
//!
//! In: a model entry and a prompt (for a body), or a response body (for a reply). Out: the JSON
//! request body, or the [`Parsed`] reply (text, stop reason, usage). Pure functions with no
//! I/O, so every shape is unit-tested here and checked again end to end; an agent loop builds
//! its per-turn bodies and reads its per-turn replies through the same functions. Streamed
//! replies ([`super::stream`]) are reassembled into the documented non-streamed shape and read
//! by [`parse_json`] too, so both transports give the same reply by construction.

use serde_json::{json, Map, Value};

use super::config::{ModelEntry, Provider};
use super::prompt::Prompt;
use super::{StopReason, Usage};

/// The request path under the entry's base URL.
pub fn endpoint(provider: Provider) -> &'static str {
    match provider {
        Provider::OpenaiChat | Provider::OpenaiCompatible => "/chat/completions",
        Provider::OpenaiResponses => "/responses",
        Provider::Anthropic => "/messages",
        Provider::Replay => "",
    }
}

fn sampling(entry: &ModelEntry, body: &mut Map<String, Value>) {
    for (k, v) in &entry.sampling {
        let v = v
            .as_integer()
            .map(Value::from)
            .or_else(|| v.as_float().map(Value::from))
            .unwrap_or(Value::Null);
        body.insert(k.clone(), v);
    }
}

/// The JSON body for `prompt`. Only the parameters the entry allows are sent.
pub fn request_body(entry: &ModelEntry, prompt: &Prompt) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), entry.model_id().into());
    match entry.provider {
        Provider::OpenaiChat | Provider::OpenaiCompatible => {
            body.insert(
                "messages".into(),
                json!([
                    {"role": "system", "content": prompt.system},
                    {"role": "user", "content": prompt.user},
                ]),
            );
            body.insert(
                entry.token_limit_field().into(),
                entry.max_output_tokens.into(),
            );
            if let Some(e) = entry.reasoning_effort {
                body.insert("reasoning_effort".into(), e.as_str().into());
            }
        }
        Provider::OpenaiResponses => {
            body.insert("instructions".into(), prompt.system.clone().into());
            body.insert(
                "input".into(),
                json!([{"role": "user", "content": prompt.user}]),
            );
            body.insert("max_output_tokens".into(), entry.max_output_tokens.into());
            if let Some(e) = entry.reasoning_effort {
                body.insert("reasoning".into(), json!({"effort": e.as_str()}));
            }
            // Nothing is kept server-side: each attempt is independent.
            body.insert("store".into(), false.into());
        }
        Provider::Anthropic => {
            body.insert("max_tokens".into(), entry.max_output_tokens.into());
            body.insert("system".into(), prompt.system.clone().into());
            body.insert(
                "messages".into(),
                json!([{"role": "user", "content": prompt.user}]),
            );
        }
        Provider::Replay => {}
    }
    sampling(entry, &mut body);
    Value::Object(body)
}

/// The fields a streamed request adds to `body`: `stream: true`, and for Chat Completions
/// `stream_options.include_usage`, without which the stream carries no usage. Kept out of the
/// response cache key: they change how the answer arrives, not what it is.
pub fn stream_body(provider: Provider, body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(map) = body.as_object_mut() {
        map.insert("stream".into(), true.into());
        if matches!(provider, Provider::OpenaiChat | Provider::OpenaiCompatible) {
            map.insert("stream_options".into(), json!({"include_usage": true}));
        }
    }
    body
}

/// What a successful (2xx) response carried. Also the form a reply is kept in the response
/// cache, whichever transport brought it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parsed {
    /// The reply text (for a refusal: the refusal message).
    pub text: String,
    /// Why generation stopped.
    pub stop: StopReason,
    /// Token counts (cost not yet priced); `None` when the response had no usage.
    pub usage: Option<Usage>,
    /// The tools the model called (agent mode), in order; none for a plain reply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<super::tools::ToolCall>,
}

fn count(v: &Value, path: &[&str]) -> Option<u64> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_u64()
}

/// Parses a 2xx body. `Err` says what is missing.
pub fn parse_response(provider: Provider, body: &str) -> Result<Parsed, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("response is not JSON: {e}"))?;
    parse_json(provider, &v)
}

/// Parses a 2xx body already read as JSON (a batch result line holds one).
pub fn parse_json(provider: Provider, v: &Value) -> Result<Parsed, String> {
    if !v.is_object() {
        return Err("response is not a JSON object".into());
    }
    let mut parsed = match provider {
        Provider::OpenaiChat | Provider::OpenaiCompatible => parse_chat(v),
        Provider::OpenaiResponses => parse_responses(v),
        Provider::Anthropic => parse_anthropic(v),
        Provider::Replay => Err("replay has no wire format".into()),
    }?;
    parsed.tool_calls = super::tools::calls_in_response(provider, v);
    Ok(parsed)
}

fn parse_chat(v: &Value) -> Result<Parsed, String> {
    let choice = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or("response has no `choices[0]`")?;
    let message = choice
        .get("message")
        .ok_or("response has no `choices[0].message`")?;
    let refusal = message.get("refusal").and_then(Value::as_str);
    let content = message.get("content").and_then(Value::as_str);
    let mut stop = match choice.get("finish_reason").and_then(Value::as_str) {
        Some("stop") => StopReason::Complete,
        Some("length") => StopReason::Truncated,
        Some("content_filter") => StopReason::ContentFilter,
        Some("tool_calls") | Some("function_call") => StopReason::ToolUse,
        _ => StopReason::Other,
    };
    if refusal.is_some() {
        stop = StopReason::Refusal;
    }
    let usage = v.get("usage").filter(|u| u.is_object()).map(|u| Usage {
        input_tokens: count(u, &["prompt_tokens"]),
        cached_input_tokens: count(u, &["prompt_tokens_details", "cached_tokens"]),
        cache_write_tokens: None,
        output_tokens: count(u, &["completion_tokens"]),
        reasoning_tokens: count(u, &["completion_tokens_details", "reasoning_tokens"]),
        cost_usd: None,
    });
    Ok(Parsed {
        text: refusal.or(content).unwrap_or_default().to_string(),
        stop,
        usage,
        tool_calls: vec![],
    })
}

fn parse_responses(v: &Value) -> Result<Parsed, String> {
    let output = v
        .get("output")
        .and_then(Value::as_array)
        .ok_or("response has no `output` array")?;
    let mut text = String::new();
    let mut refusal = None;
    for item in output {
        if item.get("type").and_then(Value::as_str) != Some("message") {
            continue;
        }
        for part in item
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match part.get("type").and_then(Value::as_str) {
                Some("output_text") => {
                    text.push_str(part.get("text").and_then(Value::as_str).unwrap_or_default())
                }
                Some("refusal") => {
                    refusal = part
                        .get("refusal")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                }
                _ => {}
            }
        }
    }
    let reason = v
        .get("incomplete_details")
        .and_then(|d| d.get("reason"))
        .and_then(Value::as_str);
    let mut stop = match (v.get("status").and_then(Value::as_str), reason) {
        (Some("completed"), _) => StopReason::Complete,
        (Some("incomplete"), Some("max_output_tokens")) => StopReason::Truncated,
        (Some("incomplete"), Some("content_filter")) => StopReason::ContentFilter,
        (Some("failed"), _) => {
            let message = v
                .get("error")
                .and_then(|e| e.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("no message");
            return Err(format!("the response failed: {message}"));
        }
        _ => StopReason::Other,
    };
    if refusal.is_some() {
        stop = StopReason::Refusal;
    }
    let usage = v.get("usage").filter(|u| u.is_object()).map(|u| Usage {
        input_tokens: count(u, &["input_tokens"]),
        cached_input_tokens: count(u, &["input_tokens_details", "cached_tokens"]),
        cache_write_tokens: None,
        output_tokens: count(u, &["output_tokens"]),
        reasoning_tokens: count(u, &["output_tokens_details", "reasoning_tokens"]),
        cost_usd: None,
    });
    Ok(Parsed {
        text: refusal.unwrap_or(text),
        stop,
        usage,
        tool_calls: vec![],
    })
}

fn parse_anthropic(v: &Value) -> Result<Parsed, String> {
    let content = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or("response has no `content` array")?;
    let text: String = content
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    let stop = match v.get("stop_reason").and_then(Value::as_str) {
        Some("end_turn") | Some("stop_sequence") => StopReason::Complete,
        Some("max_tokens") | Some("model_context_window_exceeded") => StopReason::Truncated,
        Some("refusal") => StopReason::Refusal,
        Some("tool_use") => StopReason::ToolUse,
        _ => StopReason::Other,
    };
    // Anthropic's input_tokens counts only the uncached part; normalise to all input.
    let usage = v.get("usage").filter(|u| u.is_object()).map(|u| {
        let uncached = count(u, &["input_tokens"]);
        let read = count(u, &["cache_read_input_tokens"]);
        let write = count(u, &["cache_creation_input_tokens"]);
        Usage {
            input_tokens: uncached.map(|n| n + read.unwrap_or(0) + write.unwrap_or(0)),
            cached_input_tokens: read,
            cache_write_tokens: write,
            output_tokens: count(u, &["output_tokens"]),
            reasoning_tokens: None,
            cost_usd: None,
        }
    });
    Ok(Parsed {
        text,
        stop,
        usage,
        tool_calls: vec![],
    })
}

/// The provider's error message in an error body (`error.message` for OpenAI and Anthropic).
pub fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        v.get("error")
            .and_then(|e| e.get("message").or(Some(e)))
            .and_then(|m| m.as_str().map(str::to_string))
    });
    let message = from_json.unwrap_or_else(|| body.trim().to_string());
    let mut short: String = message.chars().take(300).collect();
    if short.len() < message.len() {
        short.push_str("...");
    }
    short
}

/// Whether an error response means the account cannot pay, so that retrying, or sending the
/// model's other attempts, cannot help: HTTP 402 (Payment Required; Anthropic's
/// `billing_error`), or a 400, 403 or 429 naming OpenAI's `insufficient_quota`, a spend limit,
/// a credit balance or billing (Anthropic answers "Your credit balance is too low" with a 400).
pub fn is_quota_exhausted(status: u16, body: &str) -> bool {
    if status == 402 {
        return true;
    }
    if !matches!(status, 400 | 403 | 429) {
        return false;
    }
    let lower = body.to_ascii_lowercase();
    [
        "insufficient_quota",
        "billing_error",
        "spend limit",
        "credit balance",
        "billing",
    ]
    .iter()
    .any(|s| lower.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_input_is_normalised_to_include_cache() {
        let body = r#"{"content":[{"type":"text","text":"hi"}],"stop_reason":"max_tokens",
            "usage":{"input_tokens":10,"cache_read_input_tokens":90,"cache_creation_input_tokens":5,"output_tokens":7}}"#;
        let p = parse_response(Provider::Anthropic, body).unwrap();
        let u = p.usage.unwrap();
        assert_eq!(u.input_tokens, Some(105));
        assert_eq!(u.cached_input_tokens, Some(90));
        assert_eq!(p.stop, StopReason::Truncated);
    }

    #[test]
    fn chat_refusal_and_missing_usage() {
        let body =
            r#"{"choices":[{"message":{"content":null,"refusal":"no"},"finish_reason":"stop"}]}"#;
        let p = parse_response(Provider::OpenaiChat, body).unwrap();
        assert_eq!((p.text.as_str(), p.stop), ("no", StopReason::Refusal));
        assert_eq!(p.usage, None);
        assert!(parse_response(Provider::OpenaiChat, "{\"choices\":[]}").is_err());
        assert!(parse_response(Provider::OpenaiChat, "{not json").is_err());
    }

    #[test]
    fn responses_incomplete_is_truncated() {
        let body = r#"{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},
            "output":[{"type":"reasoning"},{"type":"message","content":[{"type":"output_text","text":"ab"}]}],
            "usage":{"input_tokens":3,"input_tokens_details":{"cached_tokens":1},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":1}}}"#;
        let p = parse_response(Provider::OpenaiResponses, body).unwrap();
        assert_eq!((p.text.as_str(), p.stop), ("ab", StopReason::Truncated));
        assert_eq!(p.usage.unwrap().reasoning_tokens, Some(1));
    }

    #[test]
    fn quota_429s_are_recognised() {
        assert!(is_quota_exhausted(
            429,
            r#"{"error":{"type":"insufficient_quota","code":"insufficient_quota"}}"#
        ));
        assert!(!is_quota_exhausted(
            429,
            r#"{"error":{"type":"rate_limit_error","message":"slow down"}}"#
        ));
        assert!(is_quota_exhausted(402, "{}"));
        assert!(is_quota_exhausted(
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}"#
        ));
        assert!(!is_quota_exhausted(
            400,
            r#"{"error":{"message":"max_tokens is too large"}}"#
        ));
        // A server error that mentions billing is still a server error, retried.
        assert!(!is_quota_exhausted(500, "billing service unavailable"));
        assert_eq!(
            error_message(r#"{"error":{"message":"bad key"}}"#),
            "bad key"
        );
    }
}
