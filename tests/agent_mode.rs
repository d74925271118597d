//! Agent mode end to end: the built-in agents on the mini project, and scripted multi-turn
//! tool conversations with each provider format (wiremock), through the real binary.

#[path = "common/browser.rs"]
mod browser;
mod common;

use common::{attempt_records, mini_project, only_run, text};

#[test]
fn oracle_resolves_and_nop_does_not() {
    let project = mini_project();
    let root = project.path();
    let out = common::refbench_in(root, &["run", "--model", "oracle", "--model", "nop"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let run = only_run(&root.join("runs"));
    let records = attempt_records(&run);
    let outcome = |model: &str| {
        records
            .iter()
            .find(|r| r["key"]["model"] == model)
            .unwrap_or_else(|| panic!("no {model} attempt: {records:?}"))
    };
    let oracle = outcome("oracle");
    assert_eq!(oracle["outcome"], "resolved", "{oracle}");
    assert_eq!(
        oracle["ask"]["agent"]["stop"]["kind"], "submitted",
        "{oracle}"
    );
    assert_eq!(oracle["ask"]["agent"]["turns"], 3);
    let nop = outcome("nop");
    assert_eq!(nop["outcome"], "unresolved", "{nop}");
    assert_eq!(nop["ask"]["agent"]["stop"]["kind"], "no-tool-call", "{nop}");

    // The trajectory is kept and `show --attempt` prints it.
    let id = "mini__add-sub__oracle__s0";
    let trajectory: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.join("artifacts").join(id).join("trajectory.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(trajectory["schema_version"], "ATIF-v1.6");
    let steps = trajectory["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5, "system, user, three agent turns");
    assert_eq!(steps[3]["tool_calls"][0]["function_name"], "shell");
    assert_eq!(
        steps[3]["observation"]["results"][0]["source_call_id"],
        steps[3]["tool_calls"][0]["tool_call_id"]
    );
    let run_id = run.file_name().unwrap().to_string_lossy().into_owned();
    let show = common::refbench_in(root, &["show", &run_id, "--attempt", "oracle"]);
    let shown = text(&show.stdout);
    assert!(show.status.success(), "{}", text(&show.stderr));
    assert!(
        shown.contains("agent: submitted after 3 turn(s)"),
        "{shown}"
    );
    assert!(shown.contains("-> shell("), "{shown}");
    assert!(shown.contains("git apply"), "{shown}");
    // The patch graded is the final tree's diff, without the gold file the oracle wrote.
    let patch =
        std::fs::read_to_string(run.join("artifacts").join(id).join("model.patch")).unwrap();
    assert!(patch.contains("calc/ops.py"), "{patch}");
    assert!(!patch.contains(".refbench-gold.patch"), "{patch}");

    // report.html: both agents are agent rows; each attempt's page shows its steps collapsed.
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(
        html.contains("<tr class=\"model-row\"><td>oracle</td><td>agent</td>"),
        "{html}"
    );
    assert!(html.contains("<tr class=\"model-row\"><td>nop</td><td>agent</td>"));
    let page = std::fs::read_to_string(run.join("report").join(format!("{id}.html"))).unwrap();
    assert!(
        page.contains(
            "<details class=\"trajectory\"><summary>Trajectory: 5 steps &middot; submitted"
        ),
        "{page}"
    );
    assert!(
        page.contains("<summary>step 3 &middot; agent &middot; editor"),
        "{page}"
    );
    // The page with its trajectory renders in a browser without a console message.
    if let Some(browser) = browser::Browser::find() {
        let (dom, messages) = browser.dump(&run.join("report").join(format!("{id}.html")));
        assert!(messages.is_empty(), "console: {messages:#?}");
        assert!(dom.contains("class=\"trajectory\""), "{dom}");
    }
}

#[test]
fn mode_agent_needs_models_and_has_no_gold_or_empty() {
    let project = mini_project();
    let root = project.path();
    let out = common::refbench_in(root, &["run", "--mode", "agent"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--model"),
        "{}",
        text(&out.stderr)
    );
    let out = common::refbench_in(root, &["run", "--mode", "agent", "--model", "gold"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("gold+agent") && stderr.contains("oracle and nop"),
        "{stderr}"
    );
    assert!(
        !root.join("runs").exists() || std::fs::read_dir(root.join("runs")).unwrap().count() == 0,
        "no run folder for a refused run"
    );
}

mod scripted {
    //! A scripted tool-calling model behind wiremock, for each provider's wire format. Its
    //! reply depends only on the request (the number of turns so far), so retries and reruns
    //! see the same conversation; it refuses (HTTP 400) a request whose tool results do not
    //! match its tool calls.

    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};

    use serde_json::{json, Value};
    use wiremock::matchers::{method, path_regex};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

    use super::common::run_with_config;

    pub const KEY: &str = "sk-fake-agent-0123456789abcdef";
    pub const KEY_VAR: &str = "REFBENCH_AGENT_TEST_KEY";

    #[derive(Clone, Copy, PartialEq, Debug)]
    pub enum Api {
        Chat,
        Responses,
        Anthropic,
        Compatible,
    }

    impl Api {
        pub fn provider(self) -> &'static str {
            match self {
                Api::Chat => "openai-chat",
                Api::Responses => "openai-responses",
                Api::Anthropic => "anthropic",
                Api::Compatible => "openai-compatible",
            }
        }
    }

    /// The tool calls of a whole conversation, one per turn; after the last, `submit`.
    pub type Script = Vec<(&'static str, Value)>;

    pub struct Scripted {
        pub api: Api,
        pub script: Script,
        /// Answer the first request of this turn with a 503 (once).
        pub fail_turn: Option<(usize, AtomicBool)>,
        /// Output tokens each turn reports.
        pub output_tokens: u64,
    }

    /// How many turns the model already took, and whether every call has its result.
    fn read(api: Api, body: &Value) -> Result<usize, String> {
        if body["tools"].as_array().map_or(0, Vec::len) != 3 {
            return Err(format!("expected 3 tools, got {}", body["tools"]));
        }
        let mut calls = Vec::new();
        let mut results = Vec::new();
        let mut turns = 0;
        match api {
            Api::Chat | Api::Compatible => {
                for m in body["messages"].as_array().ok_or("no messages")? {
                    match m["role"].as_str() {
                        Some("assistant") => {
                            turns += 1;
                            for c in m["tool_calls"].as_array().into_iter().flatten() {
                                calls.push(c["id"].as_str().unwrap_or("").to_string());
                                if c["type"] != "function"
                                    || !c["function"]["arguments"].is_string()
                                {
                                    return Err(format!("bad tool call {c}"));
                                }
                            }
                        }
                        Some("tool") => {
                            results.push(m["tool_call_id"].as_str().unwrap_or("").to_string())
                        }
                        _ => {}
                    }
                }
            }
            Api::Responses => {
                if body["store"] != false {
                    return Err("store must be false".into());
                }
                for item in body["input"].as_array().ok_or("no input")? {
                    match item["type"].as_str() {
                        Some("function_call") => {
                            turns += 1;
                            calls.push(item["call_id"].as_str().unwrap_or("").to_string());
                        }
                        Some("function_call_output") => {
                            if !item["output"].is_string() {
                                return Err(format!("output is not a string: {item}"));
                            }
                            results.push(item["call_id"].as_str().unwrap_or("").to_string())
                        }
                        _ => {}
                    }
                }
            }
            Api::Anthropic => {
                for m in body["messages"].as_array().ok_or("no messages")? {
                    let blocks = m["content"].as_array().cloned().unwrap_or_default();
                    match m["role"].as_str() {
                        Some("assistant") => {
                            turns += 1;
                            for b in blocks.iter().filter(|b| b["type"] == "tool_use") {
                                if !b["input"].is_object() {
                                    return Err(format!("input is not an object: {b}"));
                                }
                                calls.push(b["id"].as_str().unwrap_or("").to_string());
                            }
                        }
                        _ => {
                            for b in blocks.iter().filter(|b| b["type"] == "tool_result") {
                                results.push(b["tool_use_id"].as_str().unwrap_or("").to_string())
                            }
                        }
                    }
                }
            }
        }
        if calls != results {
            return Err(format!(
                "tool results {results:?} do not match calls {calls:?}"
            ));
        }
        Ok(turns)
    }

    impl Scripted {
        fn body(&self, turn: usize, name: &str, args: &Value) -> Value {
            let (input, output) = (1000u64, self.output_tokens);
            let id = format!("call_{turn}");
            match self.api {
                Api::Chat | Api::Compatible => json!({
                    "id": format!("chatcmpl-{turn}"), "object": "chat.completion", "model": "m",
                    "choices": [{"index": 0, "finish_reason": "tool_calls",
                        "message": {"role": "assistant", "content": null, "refusal": null,
                            "tool_calls": [{"id": id, "type": "function",
                                "function": {"name": name, "arguments": args.to_string()}}]}}],
                    "usage": {"prompt_tokens": input, "completion_tokens": output,
                        "total_tokens": input + output}}),
                Api::Responses => json!({
                    "id": format!("resp_{turn}"), "object": "response", "status": "completed",
                    "output": [{"type": "reasoning", "id": "rs_1", "summary": []},
                        {"type": "function_call", "id": format!("fc_{turn}"), "call_id": id,
                         "name": name, "arguments": args.to_string(), "status": "completed"}],
                    "usage": {"input_tokens": input, "output_tokens": output,
                        "total_tokens": input + output}}),
                Api::Anthropic => json!({
                    "id": format!("msg_{turn}"), "type": "message", "role": "assistant",
                    "model": "m", "stop_reason": "tool_use",
                    "content": [{"type": "text", "text": format!("step {turn}")},
                        {"type": "tool_use", "id": format!("toolu_{turn}"), "name": name,
                         "input": args}],
                    "usage": {"input_tokens": input, "output_tokens": output}}),
            }
        }
    }

    impl Respond for Scripted {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            let body: Value = match serde_json::from_slice(&request.body) {
                Ok(v) => v,
                Err(e) => return ResponseTemplate::new(400).set_body_string(e.to_string()),
            };
            let turn = match read(self.api, &body) {
                Ok(t) => t,
                Err(e) => {
                    return ResponseTemplate::new(400)
                        .set_body_json(json!({"error": {"message": e}}))
                }
            };
            if let Some((fail, once)) = &self.fail_turn {
                if *fail == turn && !once.swap(true, Ordering::SeqCst) {
                    return ResponseTemplate::new(503)
                        .set_body_json(json!({"error": {"message": "overloaded"}}));
                }
            }
            let (name, args) = self
                .script
                .get(turn)
                .cloned()
                .unwrap_or(("submit", json!({})));
            ResponseTemplate::new(200).set_body_json(self.body(turn, name, &args))
        }
    }

    pub async fn serve(server: &MockServer, name: &str, scripted: Scripted) {
        Mock::given(method("POST"))
            .and(path_regex(format!("^/{name}/v1/")))
            .respond_with(scripted)
            .mount(server)
            .await;
    }

    pub fn model_toml(api: Api, name: &str, base: &str) -> String {
        format!(
            "[[model]]\nname = \"{name}\"\nprovider = \"{}\"\nmodel = \"{name}-id\"\nbase_url = \"{base}/{name}/v1\"\napi_key_env = \"{KEY_VAR}\"\nmax_output_tokens = 4000\nmax_retries = 3\nretry_base_ms = 10\ntimeout_secs = 5\nmode = \"agent\"\n[model.price]\ninput = 2.0\noutput = 8.0\n\n",
            api.provider()
        )
    }

    /// Runs refbench on a blocking thread (the mock server lives on the test's runtime).
    pub async fn run_async(root: &Path, config: &str, args: &[&str]) -> std::process::Output {
        let (root, config) = (root.to_path_buf(), config.to_string());
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run(&root, &config, &args)
        })
        .await
        .unwrap()
    }

    pub fn run(root: &Path, config: &str, args: &[&str]) -> std::process::Output {
        run_with_config(root, config)
            .args(args)
            .env(KEY_VAR, KEY)
            .output()
            .unwrap()
    }

    pub async fn requests_to(server: &MockServer, name: &str) -> Vec<Value> {
        server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.url.path().starts_with(&format!("/{name}/")))
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect()
    }
}

use scripted::{requests_to, serve, Api, Scripted};
use serde_json::{json, Value};
use std::path::Path;

/// Explore, fix the race, make a failing edit, add `sub`, run the visible tests, submit. The
/// test run prints only its count: every tool output must be the same on a rerun for the
/// cached turns (keyed by the whole conversation) to replay it without a request.
fn fixing_script() -> scripted::Script {
    vec![
        ("shell", json!({"command": "cat calc/counter.py"})),
        (
            "editor",
            json!({"command": "str_replace", "path": "calc/counter.py",
                "old_str": "        self.value += 1\n",
                "new_str": "        with self._lock:\n            self.value += 1\n"}),
        ),
        (
            "editor",
            json!({"command": "str_replace", "path": "calc/ops.py", "old_str": "def nothing_here", "new_str": ""}),
        ),
        (
            "editor",
            json!({"command": "create", "path": "calc/ops.py", "file_text":
                "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n\n\ndef sub(a, b):\n    return a - b\n"}),
        ),
        (
            "shell",
            json!({"command": "python -m pytest -q 2>&1 | grep -o '[0-9]* passed'"}),
        ),
    ]
}

/// The last run's record of the `mode = "agent"` entry `model`: recorded as `model+agent`.
fn record_of(root: &Path, model: &str) -> Value {
    let model = format!("{model}{}", refbench::model::AGENT_SUFFIX);
    let mut runs: Vec<_> = std::fs::read_dir(root.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    runs.sort();
    attempt_records(runs.last().unwrap())
        .into_iter()
        .find(|r| r["key"]["model"] == model.as_str())
        .unwrap_or_else(|| panic!("no attempt of {model}"))
}

/// The text of every tool result in the last request, in order (the error flag of Chat and
/// Responses is the `error: ` prefix).
fn results_in(api: Api, body: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match api {
        Api::Chat | Api::Compatible => {
            for m in body["messages"].as_array().unwrap() {
                if m["role"] == "tool" {
                    out.push(m["content"].as_str().unwrap().to_string());
                }
            }
        }
        Api::Responses => {
            for i in body["input"].as_array().unwrap() {
                if i["type"] == "function_call_output" {
                    out.push(i["output"].as_str().unwrap().to_string());
                }
            }
        }
        Api::Anthropic => {
            for m in body["messages"].as_array().unwrap() {
                for b in m["content"].as_array().into_iter().flatten() {
                    if b["type"] == "tool_result" {
                        let error = if b["is_error"] == true { "error: " } else { "" };
                        out.push(format!("{error}{}", b["content"].as_str().unwrap()));
                    }
                }
            }
        }
    }
    out
}

async fn conversation_edits_runs_tests_and_submits(api: Api) {
    let server = wiremock::MockServer::start().await;
    let name = format!("agent-{}", api.provider());
    serve(
        &server,
        &name,
        Scripted {
            api,
            script: fixing_script(),
            fail_turn: Some((2, Default::default())),
            output_tokens: 10,
        },
    )
    .await;
    let project = mini_project();
    let root = project.path().to_path_buf();
    let config = scripted::model_toml(api, &name, &server.uri());
    let out = scripted::run_async(&root, &config, &["--model", &name, "--no-cache"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let record = record_of(&root, &name);
    assert_eq!(record["outcome"], "resolved", "{record}");
    let ask = &record["ask"];
    assert_eq!(ask["agent"]["stop"]["kind"], "submitted", "{ask}");
    assert_eq!(ask["agent"]["turns"], 6);
    assert_eq!(ask["agent"]["tool_calls"], 6);
    // Six turns and one retried 503: seven requests, charged for six turns only.
    assert_eq!(ask["http_requests"], 7, "{ask}");
    assert_eq!(record["usage"]["input_tokens"], 6000);
    assert_eq!(record["usage"]["output_tokens"], 60);
    let cost = record["usage"]["cost_usd"].as_f64().unwrap();
    assert!(
        (cost - (6000.0 * 2.0 + 60.0 * 8.0) / 1e6).abs() < 1e-12,
        "{cost}"
    );

    let requests = requests_to(&server, &name).await;
    assert_eq!(requests.len(), 7);
    let results = results_in(api, requests.last().unwrap());
    assert_eq!(results.len(), 5, "{results:?}");
    assert!(results[0].contains("class Counter"), "{}", results[0]);
    assert!(
        results[2].starts_with("error: `old_str` occurs 0 times"),
        "{}",
        results[2]
    );
    assert!(results[4].contains("2 passed"), "{}", results[4]);
    assert!(
        !requests
            .iter()
            .any(|r| r.to_string().contains(scripted::KEY)),
        "the key reached a request body"
    );

    // A rerun with the cache replays the whole conversation; a second one asks nothing.
    let out = scripted::run_async(&root, &config, &["--model", &name]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = requests_to(&server, &name).await.len();
    let out = scripted::run_async(&root, &config, &["--model", &name]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        requests_to(&server, &name).await.len(),
        before,
        "a rerun sent requests"
    );
    let rerun = record_of(&root, &name);
    assert_eq!(rerun["outcome"], "resolved");
    assert_eq!(rerun["ask"]["http_requests"], 0);
    assert_eq!(rerun["ask"]["cached"], true);
    assert_eq!(rerun["usage"]["output_tokens"], 60);
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_conversation_edits_runs_tests_and_submits() {
    conversation_edits_runs_tests_and_submits(Api::Chat).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_conversation_edits_runs_tests_and_submits() {
    conversation_edits_runs_tests_and_submits(Api::Responses).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_conversation_edits_runs_tests_and_submits() {
    conversation_edits_runs_tests_and_submits(Api::Anthropic).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn compatible_conversation_edits_runs_tests_and_submits() {
    conversation_edits_runs_tests_and_submits(Api::Compatible).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_limit_ends_the_attempt_and_is_named() {
    let server = wiremock::MockServer::start().await;
    // (model, [agent] table, script, expected stop, expected turns)
    let cases: Vec<(&str, &str, scripted::Script, Value, u64)> = vec![
        (
            "turns",
            "max_turns = 2",
            fixing_script(),
            json!({"kind": "limit", "limit": "turns"}),
            2,
        ),
        (
            "tokens",
            "max_output_tokens = 25",
            fixing_script(),
            json!({"kind": "limit", "limit": "output-tokens"}),
            3,
        ),
        // Each turn costs (1000 x 2 + 10 x 8) / 1e6 = 0.00208 USD.
        (
            "cost",
            "max_cost_usd = 0.005",
            fixing_script(),
            json!({"kind": "limit", "limit": "cost-usd"}),
            3,
        ),
        (
            "wall",
            "max_wall_secs = 1",
            vec![("shell", json!({"command": "sleep 5"}))],
            json!({"kind": "limit", "limit": "wall-time"}),
            1,
        ),
        (
            "command",
            "command_timeout_secs = 1",
            vec![("shell", json!({"command": "echo started; sleep 5"}))],
            json!({"kind": "submitted"}),
            2,
        ),
    ];
    let project = mini_project();
    let root = project.path();
    for (name, table, script, stop, turns) in cases {
        serve(
            &server,
            name,
            Scripted {
                api: Api::Chat,
                script,
                fail_turn: None,
                output_tokens: 10,
            },
        )
        .await;
        let config = format!(
            "[agent]\n{table}\n\n{}",
            scripted::model_toml(Api::Chat, name, &server.uri())
        );
        let out = scripted::run_async(root, &config, &["--model", name, "--no-cache"]).await;
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let record = record_of(root, name);
        let agent = &record["ask"]["agent"];
        assert_eq!(agent["stop"], stop, "{name}: {record}");
        assert_eq!(agent["turns"], turns, "{name}: {agent}");
        // A limit ends the loop, not the attempt: the tree is graded as it is.
        assert_eq!(record["outcome"], "unresolved", "{name}: {record}");
        if name == "command" {
            assert_eq!(agent["command_timeouts"], 1);
            let last = requests_to(&server, name).await.pop().unwrap();
            let results = results_in(Api::Chat, &last);
            assert!(results[0].starts_with("error: started\n"), "{results:?}");
            assert!(
                results[0].contains("per-command time limit of 1 s"),
                "{results:?}"
            );
        }
        if name == "wall" {
            let ms = agent["wall_ms"].as_u64().unwrap();
            assert!(ms < 4000, "the command outlived the wall limit: {ms} ms");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_calls_get_error_results_and_the_loop_goes_on() {
    let server = wiremock::MockServer::start().await;
    serve(
        &server,
        "bad",
        Scripted {
            api: Api::Anthropic,
            script: vec![
                ("teleport", json!({})),
                ("shell", json!({"cmd": "ls"})),
                (
                    "editor",
                    json!({"command": "view", "path": "../../etc/passwd"}),
                ),
            ],
            fail_turn: None,
            output_tokens: 10,
        },
    )
    .await;
    let project = mini_project();
    let root = project.path();
    let config = scripted::model_toml(Api::Anthropic, "bad", &server.uri());
    let out = scripted::run_async(root, &config, &["--model", "bad", "--no-cache"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let record = record_of(root, "bad");
    assert_eq!(
        record["ask"]["agent"]["stop"]["kind"], "submitted",
        "{record}"
    );
    let last = requests_to(&server, "bad").await.pop().unwrap();
    let results = results_in(Api::Anthropic, &last);
    assert!(
        results[0].starts_with("error: unknown tool `teleport`"),
        "{results:?}"
    );
    assert!(
        results[1].starts_with("error: `shell` takes"),
        "{results:?}"
    );
    assert!(results[2].starts_with("error: refused path"), "{results:?}");
}
