use super::*;
use crate::model::StopReason;

/// An SSE body: each event as `event:` (when named) and one `data:` line.
fn sse(events: &[(Option<&str>, String)]) -> String {
    let mut out = String::new();
    for (name, data) in events {
        if let Some(n) = name {
            out.push_str(&format!("event: {n}\n"));
        }
        out.push_str(&format!("data: {data}\n\n"));
    }
    out
}

/// Runs `body` through the SSE parser in 7-byte pieces (events split across reads), then the
/// assembler.
async fn assemble(provider: Provider, body: &str) -> Result<Parsed, Fault> {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.as_bytes().chunks(7).map(|c| Ok(c.to_vec())).collect();
    let mut events = futures_util::stream::iter(chunks).eventsource();
    let mut assembler = Assembler::new(provider);
    while let Some(event) = events.next().await {
        let event = event.expect("well-formed SSE");
        if assembler.push(&event.event, &event.data)? == Step::Done {
            break;
        }
    }
    assembler.finish()
}

fn chat_chunk(delta: Value, finish: Value) -> String {
    json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}],
        "usage": null})
    .to_string()
}

fn chat_stream(done: bool) -> String {
    let mut events = vec![
        (
            None,
            chat_chunk(json!({"role": "assistant", "content": ""}), Value::Null),
        ),
        // A server's reasoning field never reaches the text.
        (
            None,
            chat_chunk(json!({"reasoning_content": "let me think"}), Value::Null),
        ),
        (None, chat_chunk(json!({"content": "Hello, "}), Value::Null)),
        (None, chat_chunk(json!({"content": "wörld"}), Value::Null)),
        (None, chat_chunk(json!({}), json!("stop"))),
        (
            None,
            json!({"id": "c1", "object": "chat.completion.chunk", "choices": [],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120,
                "prompt_tokens_details": {"cached_tokens": 40},
                "completion_tokens_details": {"reasoning_tokens": 5}}})
            .to_string(),
        ),
    ];
    if done {
        events.push((None, "[DONE]".into()));
    }
    sse(&events)
}

#[tokio::test]
async fn chat_stream_gives_the_non_streamed_reply() {
    let streamed = assemble(Provider::OpenaiChat, &chat_stream(true))
        .await
        .unwrap();
    let plain = wire::parse_response(
        Provider::OpenaiChat,
        &json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello, wörld", "refusal": null}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120,
                "prompt_tokens_details": {"cached_tokens": 40},
                "completion_tokens_details": {"reasoning_tokens": 5}}})
        .to_string(),
    )
    .unwrap();
    assert_eq!(streamed, plain);
    assert_eq!(streamed.text, "Hello, wörld");
    assert_eq!(streamed.usage.unwrap().cached_input_tokens, Some(40));
}

#[tokio::test]
async fn chat_stream_without_done_or_with_an_error_fails() {
    let cut = assemble(Provider::OpenaiChat, &chat_stream(false)).await;
    assert!(
        matches!(&cut, Err(Fault::Failed(m)) if m.contains("before its final event")),
        "{cut:?}"
    );
    let body = sse(&[
        (None, chat_chunk(json!({"content": "Hel"}), Value::Null)),
        (
            None,
            json!({"error": {"message": "The server had an error", "type": "server_error"}})
                .to_string(),
        ),
    ]);
    let failed = assemble(Provider::OpenaiCompatible, &body).await;
    assert!(
        matches!(&failed, Err(Fault::Failed(m)) if m.contains("server_error: The server had an error")),
        "{failed:?}"
    );
    let bad = assemble(Provider::OpenaiChat, "data: {\"choices\": [\n\n").await;
    assert!(matches!(bad, Err(Fault::Malformed(_))), "{bad:?}");
}

fn responses_event(kind: &str, mut fields: Value) -> (Option<&str>, String) {
    fields["type"] = kind.into();
    fields["sequence_number"] = 1.into();
    (None, fields.to_string())
}

fn responses_final(status: &str) -> Value {
    json!({"id": "resp_1", "object": "response", "status": status,
        "incomplete_details": if status == "incomplete" { json!({"reason": "max_output_tokens"}) } else { Value::Null },
        "output": [{"type": "reasoning", "id": "rs_1", "summary": []},
                   {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                    "content": [{"type": "output_text", "text": "ab", "annotations": []},
                                {"type": "output_text", "text": "cd", "annotations": []}]}],
        "usage": {"input_tokens": 300, "input_tokens_details": {"cached_tokens": 100},
            "output_tokens": 50, "output_tokens_details": {"reasoning_tokens": 30}, "total_tokens": 350}})
}

fn responses_stream(terminal: Option<&str>) -> String {
    let mut events = vec![
        responses_event(
            "response.created",
            json!({"response": {"id": "resp_1", "status": "in_progress", "output": []}}),
        ),
        responses_event(
            "response.reasoning_summary_text.delta",
            json!({"item_id": "rs_1", "output_index": 0, "summary_index": 0, "delta": "thinking"}),
        ),
        responses_event(
            "response.output_text.delta",
            json!({"item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": "a"}),
        ),
        responses_event(
            "response.output_text.delta",
            json!({"item_id": "msg_1", "output_index": 1, "content_index": 1, "delta": "cd"}),
        ),
        responses_event(
            "response.output_text.delta",
            json!({"item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": "b"}),
        ),
        responses_event(
            "response.output_text.done",
            json!({"item_id": "msg_1", "output_index": 1, "content_index": 0, "text": "ab"}),
        ),
    ];
    if let Some(status) = terminal {
        let kind = if status == "completed" {
            "response.completed"
        } else {
            "response.incomplete"
        };
        events.push(responses_event(
            kind,
            json!({"response": responses_final(status)}),
        ));
    }
    sse(&events)
}

#[tokio::test]
async fn responses_stream_gives_the_non_streamed_reply() {
    let streamed = assemble(
        Provider::OpenaiResponses,
        &responses_stream(Some("completed")),
    )
    .await
    .unwrap();
    let plain = wire::parse_json(Provider::OpenaiResponses, &responses_final("completed")).unwrap();
    assert_eq!(streamed, plain);
    assert_eq!(streamed.text, "abcd");
    let truncated = assemble(
        Provider::OpenaiResponses,
        &responses_stream(Some("incomplete")),
    )
    .await
    .unwrap();
    assert_eq!(truncated.stop, StopReason::Truncated);
    assert_eq!(truncated.usage.unwrap().reasoning_tokens, Some(30));
}

#[tokio::test]
async fn responses_stream_cut_error_or_failed_is_a_failure() {
    let cut = assemble(Provider::OpenaiResponses, &responses_stream(None)).await;
    assert!(matches!(cut, Err(Fault::Failed(_))), "{cut:?}");
    let error = sse(&[responses_event(
        "error",
        json!({"code": "server_error", "message": "try again", "param": null}),
    )]);
    let failed = assemble(Provider::OpenaiResponses, &error).await;
    assert!(
        matches!(&failed, Err(Fault::Failed(m)) if m.contains("server_error: try again")),
        "{failed:?}"
    );
    let failed_response = sse(&[responses_event(
        "response.failed",
        json!({"response": {"id": "r", "status": "failed", "error": {"code": "server_error", "message": "boom"}, "output": []}}),
    )]);
    let failed = assemble(Provider::OpenaiResponses, &failed_response).await;
    assert!(
        matches!(&failed, Err(Fault::Failed(m)) if m.contains("boom")),
        "{failed:?}"
    );
}

fn anthropic_event(kind: &'static str, mut fields: Value) -> (Option<&'static str>, String) {
    fields["type"] = kind.into();
    (Some(kind), fields.to_string())
}

fn anthropic_stream(stop: bool) -> String {
    let mut events = vec![
        anthropic_event(
            "message_start",
            json!({"message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": 10, "cache_read_input_tokens": 90,
                    "cache_creation_input_tokens": 5, "output_tokens": 1}}}),
        ),
        anthropic_event(
            "content_block_start",
            json!({"index": 0, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
        ),
        anthropic_event("ping", json!({})),
        anthropic_event(
            "content_block_delta",
            json!({"index": 0, "delta": {"type": "thinking_delta", "thinking": "secret plan"}}),
        ),
        anthropic_event(
            "content_block_delta",
            json!({"index": 0, "delta": {"type": "signature_delta", "signature": "sig"}}),
        ),
        anthropic_event("content_block_stop", json!({"index": 0})),
        anthropic_event(
            "content_block_start",
            json!({"index": 1, "content_block": {"type": "text", "text": ""}}),
        ),
        anthropic_event(
            "content_block_delta",
            json!({"index": 1, "delta": {"type": "text_delta", "text": "Here "}}),
        ),
        anthropic_event(
            "content_block_delta",
            json!({"index": 1, "delta": {"type": "text_delta", "text": "it is"}}),
        ),
        anthropic_event("content_block_stop", json!({"index": 1})),
        anthropic_event(
            "message_delta",
            json!({"delta": {"stop_reason": "max_tokens", "stop_sequence": null},
                "usage": {"output_tokens": 7, "input_tokens": null,
                    "cache_read_input_tokens": null, "cache_creation_input_tokens": null}}),
        ),
    ];
    if stop {
        events.push(anthropic_event("message_stop", json!({})));
    }
    sse(&events)
}

#[tokio::test]
async fn anthropic_stream_gives_the_non_streamed_reply_without_thinking() {
    let streamed = assemble(Provider::Anthropic, &anthropic_stream(true))
        .await
        .unwrap();
    let plain = wire::parse_response(
        Provider::Anthropic,
        &json!({"content": [{"type": "thinking", "thinking": "secret plan", "signature": "sig"},
                            {"type": "text", "text": "Here it is"}],
            "stop_reason": "max_tokens",
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 90,
                "cache_creation_input_tokens": 5, "output_tokens": 7}})
        .to_string(),
    )
    .unwrap();
    assert_eq!(streamed, plain);
    assert!(!streamed.text.contains("secret"));
    let usage = streamed.usage.unwrap();
    // message_start's input counts, message_delta's output count.
    assert_eq!(
        (usage.input_tokens, usage.output_tokens),
        (Some(105), Some(7))
    );
}

#[tokio::test]
async fn anthropic_stream_cut_or_error_fails() {
    let cut = assemble(Provider::Anthropic, &anthropic_stream(false)).await;
    assert!(matches!(cut, Err(Fault::Failed(_))), "{cut:?}");
    let overloaded = sse(&[anthropic_event(
        "error",
        json!({"error": {"type": "overloaded_error", "message": "Overloaded"}}),
    )]);
    let failed = assemble(Provider::Anthropic, &overloaded).await;
    assert!(
        matches!(&failed, Err(Fault::Failed(m)) if m.contains("overloaded_error: Overloaded")),
        "{failed:?}"
    );
}
