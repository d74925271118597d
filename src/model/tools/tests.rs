use serde_json::json;

use super::*;
use crate::model::config::Config;
use crate::model::stream::{Assembler, Step};
use crate::model::StopReason;

fn entry(provider: &str) -> ModelEntry {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refbench.toml");
    std::fs::write(
        &path,
        format!("[[model]]\nname = \"a\"\nprovider = \"{provider}\"\nmodel = \"m\"\nbase_url = \"http://h/v1\"\napi_key_env = \"K\"\nmax_output_tokens = 100\n"),
    )
    .unwrap();
    Config::load(&path).unwrap().models.remove(0)
}

fn tools() -> Vec<ToolSpec> {
    vec![ToolSpec {
        name: "shell",
        description: "run a command",
        parameters: json!({"type": "object", "properties": {"command": {"type": "string"}},
            "required": ["command"]}),
    }]
}

fn conversation() -> Vec<Message> {
    vec![
        Message::User {
            text: "fix it".into(),
        },
        Message::Assistant {
            text: String::new(),
            calls: vec![ToolCall {
                id: "c1".into(),
                name: "shell".into(),
                arguments: r#"{"command":"ls"}"#.into(),
            }],
        },
        Message::ToolResults {
            results: vec![ToolResult {
                call_id: "c1".into(),
                output: "no such dir".into(),
                is_error: true,
            }],
        },
    ]
}

#[test]
fn chat_body_carries_tools_calls_and_tool_messages() {
    let body = request_body(&entry("openai-chat"), "sys", &conversation(), &tools());
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["name"], "shell");
    let m = &body["messages"];
    assert_eq!(m[0], json!({"role": "system", "content": "sys"}));
    assert_eq!(m[2]["role"], "assistant");
    assert_eq!(m[2]["content"], Value::Null);
    assert_eq!(m[2]["tool_calls"][0]["id"], "c1");
    assert_eq!(
        m[2]["tool_calls"][0]["function"]["arguments"],
        r#"{"command":"ls"}"#
    );
    assert_eq!(
        m[3],
        json!({"role": "tool", "tool_call_id": "c1", "content": "error: no such dir"})
    );
    assert_eq!(body["max_completion_tokens"], 100);
}

#[test]
fn responses_body_uses_function_call_items() {
    let body = request_body(&entry("openai-responses"), "sys", &conversation(), &tools());
    assert_eq!(body["instructions"], "sys");
    assert_eq!(body["store"], false);
    assert_eq!(
        body["tools"][0],
        json!({"type": "function", "name": "shell", "description": "run a command",
            "parameters": tools()[0].parameters, "strict": false})
    );
    let input = &body["input"];
    assert_eq!(input[0], json!({"role": "user", "content": "fix it"}));
    assert_eq!(
        input[1],
        json!({"type": "function_call", "call_id": "c1", "name": "shell",
            "arguments": r#"{"command":"ls"}"#})
    );
    assert_eq!(input[2]["type"], "function_call_output");
    assert_eq!(input[2]["call_id"], "c1");
}

#[test]
fn anthropic_body_uses_tool_use_and_tool_result_blocks() {
    let body = request_body(&entry("anthropic"), "sys", &conversation(), &tools());
    assert_eq!(body["system"], "sys");
    assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
    let m = &body["messages"];
    assert_eq!(
        m[1],
        json!({"role": "assistant", "content": [{"type": "tool_use", "id": "c1",
            "name": "shell", "input": {"command": "ls"}}]})
    );
    assert_eq!(
        m[2],
        json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1",
            "content": "no such dir", "is_error": true}]})
    );
}

#[test]
fn calls_are_read_from_each_response_shape() {
    let chat = json!({"choices": [{"index": 0, "finish_reason": "tool_calls",
        "message": {"role": "assistant", "content": null, "tool_calls": [
            {"id": "a", "type": "function", "function": {"name": "shell", "arguments": "{\"command\":\"ls\"}"}}]}}]});
    let p = wire::parse_json(Provider::OpenaiChat, &chat).unwrap();
    assert_eq!(p.stop, StopReason::ToolUse);
    assert_eq!(p.tool_calls[0].id, "a");
    assert_eq!(p.tool_calls[0].arguments, "{\"command\":\"ls\"}");

    let responses = json!({"status": "completed", "output": [
        {"type": "reasoning", "id": "r", "summary": []},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "shell",
         "arguments": "{}", "status": "completed"}]});
    let p = wire::parse_json(Provider::OpenaiResponses, &responses).unwrap();
    assert_eq!(p.tool_calls.len(), 1);
    assert_eq!(p.tool_calls[0].id, "call_1", "the call_id, not the item id");

    let anthropic = json!({"type": "message", "stop_reason": "tool_use", "content": [
        {"type": "text", "text": "looking"},
        {"type": "tool_use", "id": "toolu_1", "name": "shell", "input": {"command": "ls"}}]});
    let p = wire::parse_json(Provider::Anthropic, &anthropic).unwrap();
    assert_eq!((p.text.as_str(), p.stop), ("looking", StopReason::ToolUse));
    assert_eq!(
        serde_json::from_str::<Value>(&p.tool_calls[0].arguments).unwrap(),
        json!({"command": "ls"})
    );
}

fn assemble(provider: Provider, events: &[Value]) -> crate::model::wire::Parsed {
    let mut a = Assembler::new(provider);
    for e in events {
        if a.push("message", &e.to_string()).unwrap() == Step::Done {
            break;
        }
    }
    if provider != Provider::Anthropic && provider != Provider::OpenaiResponses {
        a.push("message", "[DONE]").unwrap();
    }
    a.finish().unwrap()
}

#[test]
fn streamed_calls_are_reassembled_for_each_provider() {
    let delta = |d: Value, finish: Value| json!({"choices": [{"index": 0, "delta": d, "finish_reason": finish}]});
    let chat = assemble(
        Provider::OpenaiChat,
        &[
            delta(
                json!({"role": "assistant", "tool_calls": [{"index": 0, "id": "a", "type": "function",
                "function": {"name": "shell", "arguments": ""}}]}),
                Value::Null,
            ),
            delta(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"comm"}}]}),
                Value::Null,
            ),
            delta(
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "and\":\"ls\"}"}}]}),
                Value::Null,
            ),
            delta(json!({}), json!("tool_calls")),
        ],
    );
    assert_eq!(chat.tool_calls[0].arguments, "{\"command\":\"ls\"}");
    assert_eq!(chat.stop, StopReason::ToolUse);

    let item = json!({"type": "function_call", "id": "fc", "call_id": "call_9", "name": "shell",
        "arguments": "{}", "status": "completed"});
    let responses = assemble(
        Provider::OpenaiResponses,
        &[
            json!({"type": "response.output_text.delta", "output_index": 0, "content_index": 0, "delta": "hi"}),
            json!({"type": "response.output_item.done", "output_index": 1, "item": item}),
            json!({"type": "response.completed", "response": {"status": "completed",
                "output": [{"type": "message", "content": [{"type": "output_text", "text": "hi"}]}, item]}}),
        ],
    );
    assert_eq!(responses.text, "hi");
    assert_eq!(responses.tool_calls[0].id, "call_9");
    // A server whose final response lists no output still gives the call from its item event.
    let sparse = assemble(
        Provider::OpenaiResponses,
        &[
            json!({"type": "response.output_item.done", "output_index": 0, "item": item}),
            json!({"type": "response.completed", "response": {"status": "completed", "output": []}}),
        ],
    );
    assert_eq!(sparse.tool_calls.len(), 1);

    let anthropic = assemble(
        Provider::Anthropic,
        &[
            json!({"type": "message_start", "message": {"usage": {"input_tokens": 5, "output_tokens": 1}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}}),
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "toolu_2", "name": "shell", "input": {}}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"command\": "}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "\"ls\"}"}}),
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 9}}),
            json!({"type": "message_stop"}),
        ],
    );
    assert_eq!(anthropic.text, "ok");
    assert_eq!(anthropic.stop, StopReason::ToolUse);
    assert_eq!(anthropic.tool_calls[0].id, "toolu_2");
    assert_eq!(
        serde_json::from_str::<Value>(&anthropic.tool_calls[0].arguments).unwrap(),
        json!({"command": "ls"})
    );
}

#[test]
fn a_cached_reply_keeps_its_calls_and_old_entries_still_read() {
    let with_calls = wire::parse_json(
        Provider::Anthropic,
        &json!({"content": [{"type": "tool_use", "id": "t", "name": "submit", "input": {}}],
            "stop_reason": "tool_use"}),
    )
    .unwrap();
    let json = serde_json::to_string(&with_calls).unwrap();
    assert_eq!(
        serde_json::from_str::<crate::model::wire::Parsed>(&json).unwrap(),
        with_calls
    );
    let old: crate::model::wire::Parsed =
        serde_json::from_str(r#"{"text":"x","stop":"complete","usage":null}"#).unwrap();
    assert!(old.tool_calls.is_empty());
}

#[test]
fn mode_and_agent_limits_are_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refbench.toml");
    std::fs::write(
        &path,
        "[agent]\nmax_turns = 7\n\n[[model]]\nname = \"a\"\nprovider = \"anthropic\"\nmodel = \"m\"\napi_key_env = \"K\"\nmode = \"agent\"\n",
    )
    .unwrap();
    let config = Config::load(&path).unwrap();
    assert_eq!(config.models[0].mode, Mode::Agent);
    assert_eq!(config.agent.max_turns, 7);
    assert_eq!(
        config.agent.command_timeout_secs,
        AgentLimits::default().command_timeout_secs
    );
    std::fs::write(&path, "[agent]\nmax_turns = 1\nmax_cost_usd = 0\n").unwrap();
    let errors = Config::load(&path).unwrap_err();
    let shown = errors[0].to_string();
    assert!(shown.contains(":3: key `agent.max_cost_usd`"), "{shown}");
    std::fs::write(&path, "[agent]\nturns = 1\n").unwrap();
    assert!(Config::load(&path).is_err(), "unknown keys are refused");
}

#[test]
fn the_shipped_agent_table_states_the_defaults() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("refbench.toml");
    assert_eq!(Config::load(&path).unwrap().agent, AgentLimits::default());
}

#[test]
fn a_name_in_results_says_its_mode() {
    use crate::model::mode_of_name;
    assert_eq!(mode_of_name("gpt-5.5+agent"), Mode::Agent);
    assert_eq!(mode_of_name("oracle"), Mode::Agent);
    assert_eq!(mode_of_name("nop"), Mode::Agent);
    assert_eq!(mode_of_name("gpt-5.5"), Mode::Single);
    assert_eq!(mode_of_name("gold"), Mode::Single);
    assert_eq!(
        mode_of_name("agent"),
        Mode::Single,
        "only the suffix counts"
    );
}
