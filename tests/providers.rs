//! Provider models end to end: the real `refbench run` against wiremock servers speaking each
//! API's documented wire format, failures included.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{mini_project, project_root, refbench, text};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "sk-fake-refbench-7d1c0ffee5ca1ab1e";
const KEY_VAR: &str = "REFBENCH_TEST_API_KEY";

#[derive(Clone, Copy, PartialEq)]
enum Api {
    Chat,
    Responses,
    Anthropic,
    Compatible,
}

impl Api {
    fn provider(self) -> &'static str {
        match self {
            Api::Chat => "openai-chat",
            Api::Responses => "openai-responses",
            Api::Anthropic => "anthropic",
            Api::Compatible => "openai-compatible",
        }
    }
    fn endpoint(self) -> &'static str {
        match self {
            Api::Chat | Api::Compatible => "chat/completions",
            Api::Responses => "responses",
            Api::Anthropic => "messages",
        }
    }

    /// A 200 body in the API's shape. `usage` is (uncached input, cache read, cache write,
    /// output, reasoning) in the provider's own accounting; `stop` is complete / truncated /
    /// refusal.
    fn ok_body(self, text: &str, stop: &str, usage: Option<[u64; 5]>) -> Value {
        match self {
            Api::Chat | Api::Compatible => {
                let (content, refusal) = if stop == "refusal" {
                    (Value::Null, Value::from(text))
                } else {
                    (Value::from(text), Value::Null)
                };
                let mut v = json!({
                    "id": "chatcmpl-1", "object": "chat.completion", "model": "m",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": refusal},
                                 "finish_reason": if stop == "truncated" { "length" } else { "stop" }}],
                });
                if let Some([input, read, _, output, reasoning]) = usage {
                    // prompt_tokens includes the cached tokens.
                    v["usage"] = json!({"prompt_tokens": input + read, "completion_tokens": output,
                        "total_tokens": input + read + output,
                        "prompt_tokens_details": {"cached_tokens": read},
                        "completion_tokens_details": {"reasoning_tokens": reasoning}});
                }
                v
            }
            Api::Responses => {
                let part = if stop == "refusal" {
                    json!({"type": "refusal", "refusal": text})
                } else {
                    json!({"type": "output_text", "text": text, "annotations": []})
                };
                let mut v = json!({
                    "id": "resp_1", "object": "response",
                    "status": if stop == "truncated" { "incomplete" } else { "completed" },
                    "incomplete_details": if stop == "truncated" { json!({"reason": "max_output_tokens"}) } else { Value::Null },
                    "output": [{"type": "reasoning", "id": "rs_1", "summary": []},
                               {"type": "message", "id": "msg_1", "role": "assistant", "content": [part]}],
                });
                if let Some([input, read, _, output, reasoning]) = usage {
                    v["usage"] = json!({"input_tokens": input + read, "input_tokens_details": {"cached_tokens": read},
                        "output_tokens": output, "output_tokens_details": {"reasoning_tokens": reasoning},
                        "total_tokens": input + read + output});
                }
                v
            }
            Api::Anthropic => {
                let mut v = json!({
                    "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
                    "content": [{"type": "text", "text": text}],
                    "stop_reason": match stop { "truncated" => "max_tokens", "refusal" => "refusal", _ => "end_turn" },
                });
                if let Some([input, read, write, output, _]) = usage {
                    // input_tokens excludes cache reads and writes.
                    v["usage"] = json!({"input_tokens": input, "cache_read_input_tokens": read,
                        "cache_creation_input_tokens": write, "output_tokens": output});
                }
                v
            }
        }
    }

    fn overloaded_status(self) -> u16 {
        if self == Api::Anthropic {
            529
        } else {
            503
        }
    }

    fn quota_body(self) -> Value {
        match self {
            Api::Anthropic => json!({"type": "error", "error": {"type": "rate_limit_error",
                "message": "This request would exceed your organization's monthly spend limit."}}),
            _ => {
                json!({"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})
            }
        }
    }
}

/// Token counts used by every success: 800k uncached input, 200k cache read, 100k cache write
/// (Anthropic only), 100k output of which 40k reasoning.
const USAGE: [u64; 5] = [800_000, 200_000, 100_000, 100_000, 40_000];
/// Prices: input 2, cache read 0.5, cache write 3, output 8 USD per million.
const PRICE_TOML: &str =
    "[model.price]\ninput = 2.0\ncache_read = 0.5\ncache_write = 3.0\noutput = 8.0\n";

/// The expected (total input, cached, cost) for [`USAGE`] at [`PRICE_TOML`].
fn expected_usage(api: Api) -> (u64, u64, f64) {
    match api {
        // 0.8*2 + 0.2*0.5 + 0.1*3 + 0.1*8
        Api::Anthropic => (1_100_000, 200_000, 2.80),
        // 0.8*2 + 0.2*0.5 + 0.1*8
        _ => (1_000_000, 200_000, 2.50),
    }
}

fn gold_reply() -> String {
    let project = mini_project();
    let gold = std::fs::read_to_string(
        project
            .path()
            .join("repos-fixtures/mini/tasks/add-sub/gold.patch"),
    )
    .unwrap();
    format!("Here is the change.\n\n```diff\n{gold}```\n")
}

fn model_toml(api: Api, name: &str, base: &str, extra: &str) -> String {
    let sampling = match api {
        Api::Compatible => "[model.sampling]\ntemperature = 0.2\n",
        _ => "",
    };
    let effort = match api {
        Api::Chat | Api::Responses => "reasoning_effort = \"high\"\n",
        _ => "",
    };
    format!(
        "[[model]]\nname = \"{name}\"\nprovider = \"{}\"\nmodel = \"{name}-id\"\nbase_url = \"{base}/{name}/v1\"\napi_key_env = \"{KEY_VAR}\"\nmax_output_tokens = 4000\nmax_retries = 3\nretry_base_ms = 10\ntimeout_secs = 5\n{effort}{extra}{PRICE_TOML}{sampling}\n",
        api.provider()
    )
}

fn run(root: &Path, config: &str, args: &[&str]) -> std::process::Output {
    common::run_with_config(root, config)
        .args(args)
        .env(KEY_VAR, KEY)
        .env("REFBENCH_LOG", "debug")
        .output()
        .unwrap()
}

/// Every record of the newest run, keyed by `model#sample`.
fn records(root: &Path) -> BTreeMap<String, Value> {
    let mut runs: Vec<_> = std::fs::read_dir(root.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    runs.sort();
    let jsonl = std::fs::read_to_string(runs.last().unwrap().join("attempts.jsonl")).unwrap();
    let mut out = BTreeMap::new();
    for line in jsonl.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let key = format!(
            "{}#{}",
            v["key"]["model"].as_str().unwrap(),
            v["key"]["sample"]
        );
        assert!(out.insert(key.clone(), v).is_none(), "{key} recorded twice");
    }
    out
}

async fn requests_to(server: &MockServer, prefix: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().starts_with(&format!("/{prefix}/")))
        .collect()
}

fn respond(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

async fn mount(server: &MockServer, api: Api, name: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(format!("/{name}/v1/{}", api.endpoint())))
        .respond_with(response)
        .mount(server)
        .await;
}

/// Mounts `first` for the first `times` requests, then a success.
async fn mount_then_ok(
    server: &MockServer,
    api: Api,
    name: &str,
    first: ResponseTemplate,
    times: u64,
) {
    let ok = respond(200, api.ok_body(&gold_reply(), "complete", Some(USAGE)));
    mount_first_then(server, api, name, (first, times), ok).await;
}

/// Mounts `first` for its first `n` requests, then `then`.
async fn mount_first_then(
    server: &MockServer,
    api: Api,
    name: &str,
    (first, n): (ResponseTemplate, u64),
    then: ResponseTemplate,
) {
    Mock::given(method("POST"))
        .and(path(format!("/{name}/v1/{}", api.endpoint())))
        .respond_with(first)
        .up_to_n_times(n)
        .with_priority(1)
        .mount(server)
        .await;
    mount(server, api, name, then).await;
}

fn assert_usage(api: Api, record: &Value) {
    let (input, cached, cost) = expected_usage(api);
    let u = &record["usage"];
    assert_eq!(u["input_tokens"], input, "{record}");
    assert_eq!(u["cached_input_tokens"], cached, "{record}");
    assert_eq!(u["output_tokens"], USAGE[3], "{record}");
    let got = u["cost_usd"].as_f64().unwrap();
    assert!((got - cost).abs() < 0.005, "cost {got} != {cost}");
}

fn check_request_shape(api: Api, req: &Request) {
    let h = |name: &str| {
        req.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(h("content-type").as_deref(), Some("application/json"));
    let body: Value = serde_json::from_slice(&req.body).unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let user_text = |v: &Value| v.as_str().unwrap().to_string();
    let user;
    match api {
        Api::Chat | Api::Compatible => {
            assert_eq!(h("authorization"), Some(format!("Bearer {KEY}")));
            assert_eq!(body["messages"][0]["role"], "system");
            assert_eq!(body["messages"][1]["role"], "user");
            user = user_text(&body["messages"][1]["content"]);
            if api == Api::Chat {
                // Reasoning models reject max_tokens and temperature.
                assert_eq!(body["max_completion_tokens"], 4000, "{body}");
                assert_eq!(body["reasoning_effort"], "high");
                let mut sorted = keys.clone();
                sorted.sort();
                assert_eq!(
                    sorted,
                    [
                        "max_completion_tokens",
                        "messages",
                        "model",
                        "reasoning_effort"
                    ]
                );
            } else {
                assert_eq!(body["max_tokens"], 4000, "{body}");
                assert_eq!(body["temperature"], 0.2, "the entry allows temperature");
            }
        }
        Api::Responses => {
            assert_eq!(h("authorization"), Some(format!("Bearer {KEY}")));
            assert_eq!(body["max_output_tokens"], 4000);
            assert_eq!(body["reasoning"]["effort"], "high");
            assert_eq!(body["input"][0]["role"], "user");
            assert!(body["instructions"].is_string());
            user = user_text(&body["input"][0]["content"]);
            assert!(!keys.contains(&"temperature") && !keys.contains(&"max_tokens"));
        }
        Api::Anthropic => {
            assert_eq!(h("x-api-key").as_deref(), Some(KEY));
            assert_eq!(h("anthropic-version").as_deref(), Some("2023-06-01"));
            assert_eq!(h("authorization"), None);
            assert_eq!(body["max_tokens"], 4000);
            assert!(body["system"].is_string());
            assert_eq!(body["messages"][0]["role"], "user");
            user = user_text(&body["messages"][0]["content"]);
            assert!(!keys.contains(&"temperature"));
        }
    }
    assert!(body["model"].as_str().unwrap().ends_with("-id"));
    // The prompt carries statement, requirements, interface, context and edit instructions.
    for part in [
        "The calculator cannot subtract",
        "- calc.ops.sub(a, b) returns a - b",
        "calc.ops.sub(a: int, b: int) -> int",
        "## calc/ops.py",
        "unified diff",
    ] {
        assert!(user.contains(part), "prompt lacks {part:?}");
    }
}

/// Every scenario of the bar for one provider, in one run (one model entry per scenario).
async fn scenarios(api: Api) {
    let server = MockServer::start().await;
    let base = server.uri();
    let ok = |stop: &str, text: &str, usage: Option<[u64; 5]>| {
        respond(200, api.ok_body(text, stop, usage))
    };
    let gold = gold_reply();
    mount(&server, api, "ok", ok("complete", &gold, Some(USAGE))).await;
    mount_then_ok(
        &server,
        api,
        "retry-after",
        respond(
            429,
            json!({"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}),
        )
        .insert_header("retry-after", "1"),
        1,
    )
    .await;
    mount_then_ok(
        &server,
        api,
        "overloaded",
        respond(
            api.overloaded_status(),
            json!({"error": {"message": "Overloaded", "type": "overloaded_error"}}),
        ),
        2,
    )
    .await;
    mount(&server, api, "quota", respond(429, api.quota_body())).await;
    mount(
        &server,
        api,
        "unauthorized",
        respond(401, json!({"error": {"message": format!("Incorrect API key provided: {KEY}"), "type": "invalid_request_error"}})),
    )
    .await;
    let cut = &gold[..gold.len() * 2 / 3];
    mount(&server, api, "truncated", ok("truncated", cut, Some(USAGE))).await;
    mount(
        &server,
        api,
        "refusal",
        ok("refusal", "I can't help with that.", Some(USAGE)),
    )
    .await;
    mount(
        &server,
        api,
        "malformed",
        ResponseTemplate::new(200).set_body_raw("{\"choices\": [", "application/json"),
    )
    .await;
    mount(&server, api, "no-usage", ok("complete", &gold, None)).await;
    mount(
        &server,
        api,
        "slow",
        ok("complete", &gold, Some(USAGE)).set_delay(Duration::from_secs(4)),
    )
    .await;

    let names = [
        "ok",
        "retry-after",
        "overloaded",
        "quota",
        "unauthorized",
        "truncated",
        "refusal",
        "malformed",
        "no-usage",
        "slow",
    ];
    let mut config = String::new();
    for name in names {
        let mut entry = model_toml(api, name, &base, "");
        if name == "slow" {
            entry = entry
                .replace("timeout_secs = 5", "timeout_secs = 1")
                .replace("max_retries = 3", "max_retries = 1");
        }
        config.push_str(&entry);
    }
    let project = mini_project();
    let root = project.path().to_path_buf();
    let mut args = vec!["--no-cache"];
    for n in names {
        args.extend(["--model", n]);
    }
    let out = tokio::task::spawn_blocking({
        let root = root.clone();
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        move || {
            run(
                &root,
                &config,
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        }
    })
    .await
    .unwrap();
    let stderr = text(&out.stderr);
    // Model errors make the run exit 3, like harness errors.
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let recs = records(&root);
    let outcome = |m: &str| {
        recs[&format!("{m}#0")]["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let error = |m: &str| {
        recs[&format!("{m}#0")]["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let ask = |m: &str| recs[&format!("{m}#0")]["ask"].clone();

    assert_eq!(outcome("ok"), "resolved", "{stderr}");
    assert_usage(api, &recs["ok#0"]);
    assert_eq!(ask("ok")["stop_reason"], "complete");
    assert_eq!(ask("ok")["http_requests"], 1);
    assert_eq!(ask("ok")["prompt_hash"].as_str().unwrap().len(), 16);
    if api != Api::Anthropic {
        assert_eq!(recs["ok#0"]["usage"]["reasoning_tokens"], USAGE[4]);
    }

    assert_eq!(outcome("retry-after"), "resolved");
    assert_eq!(ask("retry-after")["http_requests"], 2);
    let waited = recs["retry-after#0"]["timing"]["ask_ms"].as_u64().unwrap();
    assert!(
        waited >= 1000,
        "retry-after: 1 was not honoured ({waited} ms; backoff alone is 10 ms)"
    );
    assert_usage(api, &recs["retry-after#0"]);

    assert_eq!(outcome("overloaded"), "resolved");
    assert_eq!(ask("overloaded")["http_requests"], 3);
    assert_usage(api, &recs["overloaded#0"]);

    assert_eq!(outcome("quota"), "model-error");
    assert!(
        error("quota").contains("quota exhausted (HTTP 429, not retried)"),
        "{}",
        error("quota")
    );
    assert_eq!(
        requests_to(&server, "quota").await.len(),
        1,
        "a quota 429 is not retried"
    );

    assert_eq!(outcome("unauthorized"), "model-error");
    assert!(error("unauthorized").contains("unauthorized: HTTP 401 (check REFBENCH_TEST_API_KEY)"));
    assert!(error("unauthorized").contains("[REDACTED]"));
    assert_eq!(requests_to(&server, "unauthorized").await.len(), 1);

    // The partial edit is applied as far as it parses; it never resolves the task.
    assert!(
        ["apply-failed", "unresolved"].contains(&outcome("truncated").as_str()),
        "{}",
        outcome("truncated")
    );
    assert_eq!(ask("truncated")["stop_reason"], "truncated");
    assert_usage(api, &recs["truncated#0"]);

    assert_eq!(outcome("refusal"), "unresolved");
    assert_eq!(ask("refusal")["stop_reason"], "refusal");
    assert_eq!(recs["refusal#0"]["apply"]["status"], "empty");
    assert_usage(api, &recs["refusal#0"]);

    assert_eq!(outcome("malformed"), "model-error");
    assert!(
        error("malformed").contains("malformed response"),
        "{}",
        error("malformed")
    );
    assert_eq!(requests_to(&server, "malformed").await.len(), 1);

    assert_eq!(outcome("no-usage"), "resolved");
    assert_eq!(
        recs["no-usage#0"]["usage"],
        Value::Null,
        "unknown usage is not zero"
    );

    assert_eq!(outcome("slow"), "model-error");
    assert!(
        error("slow").contains("gave up after 2 request(s): no response within 1 s"),
        "{}",
        error("slow")
    );

    for req in requests_to(&server, "ok").await {
        check_request_shape(api, &req);
    }
    // The leaderboard counts a model error under errors, outside the rate.
    let stdout = text(&out.stdout);
    let row = stdout.lines().find(|l| l.starts_with("quota ")).unwrap();
    assert!(row.contains("n/a") && row.ends_with(" 1"), "{row}");
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_chat_scenarios() {
    scenarios(Api::Chat).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_responses_scenarios() {
    scenarios(Api::Responses).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_scenarios() {
    scenarios(Api::Anthropic).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_compatible_scenarios() {
    scenarios(Api::Compatible).await;
}

/// Fails 30% of requests with a retryable status, at random.
struct Chaos {
    ok: ResponseTemplate,
    served_ok: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
}

impl Respond for Chaos {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        if rng.gen_bool(0.3) {
            self.failed.fetch_add(1, Ordering::SeqCst);
            let status = [408u16, 409, 429, 500, 502, 503, 529][rng.gen_range(0..7)];
            return ResponseTemplate::new(status)
                .set_body_json(json!({"error": {"message": "chaos", "type": "server_error"}}));
        }
        self.served_ok.fetch_add(1, Ordering::SeqCst);
        self.ok.clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn chaos_every_attempt_completes_once_and_cost_counts_once() {
    let server = MockServer::start().await;
    let served_ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/chaos/v1/chat/completions"))
        .respond_with(Chaos {
            ok: respond(
                200,
                Api::Chat.ok_body(&gold_reply(), "complete", Some(USAGE)),
            ),
            served_ok: served_ok.clone(),
            failed: failed.clone(),
        })
        .mount(&server)
        .await;
    let config = model_toml(Api::Chat, "chaos", &server.uri(), "")
        .replace("max_retries = 3", "max_retries = 12");
    let project = mini_project();
    let root = project.path().to_path_buf();
    let out = tokio::task::spawn_blocking({
        let root = root.clone();
        move || {
            run(
                &root,
                &config,
                &["--no-cache", "--model", "chaos", "--samples", "6"],
            )
        }
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let recs = records(&root);
    assert_eq!(recs.len(), 6);
    let total: f64 = recs
        .values()
        .map(|r| r["usage"]["cost_usd"].as_f64().unwrap())
        .sum();
    assert!(recs.values().all(|r| r["outcome"] == "resolved"));
    assert_eq!(
        served_ok.load(Ordering::SeqCst),
        6,
        "one success per attempt"
    );
    assert!((total - 6.0 * 2.50).abs() < 0.005, "total cost {total}");
    let requests: u64 = recs
        .values()
        .map(|r| r["ask"]["http_requests"].as_u64().unwrap())
        .sum();
    assert_eq!(requests as usize, 6 + failed.load(Ordering::SeqCst));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_stops_the_models_remaining_attempts_and_the_key_is_never_written() {
    let server = MockServer::start().await;
    mount(
        &server,
        Api::Chat,
        "bad-key",
        respond(401, json!({"error": {"message": format!("Incorrect API key provided: {KEY}."), "code": "invalid_api_key"}})),
    )
    .await;
    mount(
        &server,
        Api::Anthropic,
        "good",
        respond(
            200,
            Api::Anthropic.ok_body(
                &format!("{}\nkey was {KEY}", gold_reply()),
                "complete",
                Some(USAGE),
            ),
        ),
    )
    .await;
    let config = model_toml(Api::Chat, "bad-key", &server.uri(), "")
        + &model_toml(Api::Anthropic, "good", &server.uri(), "");
    let project = mini_project();
    let root = project.path().to_path_buf();
    let record = root.join("replies.jsonl");
    let out = tokio::task::spawn_blocking({
        let root = root.clone();
        let record = record.display().to_string();
        move || {
            run(
                &root,
                &config,
                &[
                    "--no-cache",
                    // One worker: with several, attempts already in flight when the 401
                    // arrives are sent too; the promise is that none is sent after it.
                    "--jobs",
                    "1",
                    "--model",
                    "bad-key",
                    "--model",
                    "good",
                    "--samples",
                    "3",
                    "--record",
                    &record,
                ],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let recs = records(&root);
    assert_eq!(
        requests_to(&server, "bad-key").await.len(),
        1,
        "no request after the 401"
    );
    for s in 0..3 {
        assert_eq!(recs[&format!("bad-key#{s}")]["outcome"], "model-error");
        assert_eq!(recs[&format!("good#{s}")]["outcome"], "resolved");
    }
    assert!(recs["bad-key#2"]["error"]
        .as_str()
        .unwrap()
        .contains("not asked"));

    // No occurrence of the key in the run directory, the record file, or the output.
    let mut leaks = Vec::new();
    for entry in walk(&root.join("runs")).into_iter().chain([record.clone()]) {
        let bytes = std::fs::read(&entry).unwrap();
        if String::from_utf8_lossy(&bytes).contains(KEY) {
            leaks.push(entry.display().to_string());
        }
    }
    assert!(leaks.is_empty(), "key found in {leaks:?}");
    assert!(!text(&out.stdout).contains(KEY) && !text(&out.stderr).contains(KEY));
    let shown = refbench()
        .arg("--runs-dir")
        .arg(root.join("runs"))
        .args(["show", "latest", "--format", "json"])
        .output()
        .unwrap();
    assert!(!text(&shown.stdout).contains(KEY));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_run_makes_no_request_and_a_recording_replays() {
    let server = MockServer::start().await;
    // A model id unique to this test run keeps the shared cache from answering the first run.
    let unique = format!(
        "cached{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    mount(
        &server,
        Api::Responses,
        &unique,
        respond(
            200,
            Api::Responses.ok_body(&gold_reply(), "complete", Some(USAGE)),
        ),
    )
    .await;
    let project = mini_project();
    let root = project.path().to_path_buf();
    let record = root.join("replies.jsonl");
    let config = model_toml(Api::Responses, &unique, &server.uri(), "")
        + &format!("[[model]]\nname = \"replayed\"\nprovider = \"replay\"\nmodel = \"{unique}\"\nfile = \"replies.jsonl\"\n");
    let go = |args: Vec<String>| {
        let root = root.clone();
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            run(
                &root,
                &config,
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        })
    };
    let record_arg = record.display().to_string();
    let first = go(vec![
        "--model".into(),
        unique.clone(),
        "--samples".into(),
        "2".into(),
        "--record".into(),
        record_arg,
    ])
    .await
    .unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(
        requests_to(&server, &unique).await.len(),
        2,
        "samples differ in the cache key"
    );
    let second = go(vec![
        "--model".into(),
        unique.clone(),
        "--model".into(),
        "replayed".into(),
        "--samples".into(),
        "2".into(),
    ])
    .await
    .unwrap();
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(
        requests_to(&server, &unique).await.len(),
        2,
        "the repeated run sent requests"
    );
    let recs = records(&root);
    for s in 0..2 {
        let cached = &recs[&format!("{unique}#{s}")];
        assert_eq!(cached["ask"]["cached"], true);
        assert_eq!(cached["ask"]["http_requests"], 0);
        assert_usage(Api::Responses, cached);
        let replayed = &recs[&format!("replayed#{s}")];
        assert_eq!(replayed["outcome"], "resolved");
        assert_usage(Api::Responses, replayed);
        assert_eq!(replayed["ask"]["prompt_hash"], cached["ask"]["prompt_hash"]);
    }
}

#[test]
fn models_lists_entries_and_key_state_and_bad_config_names_the_line() {
    let out = refbench()
        .arg("--config")
        .arg(project_root().join("refbench.toml"))
        .arg("models")
        .env_remove("OPENAI_API_KEY")
        .env("ANTHROPIC_API_KEY", KEY)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.contains("gpt-5.5") && stdout.contains("OPENAI_API_KEY (NOT SET)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("claude-opus-4-7") && stdout.contains("ANTHROPIC_API_KEY (set)"),
        "{stdout}"
    );
    assert!(!stdout.contains(KEY));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("refbench.toml");
    std::fs::write(&bad, "[[model]]\nname = \"x\"\nprovider = \"openai-chat\"\nmodel = \"m\"\napi_key_env = \"K\"\nmax_output_tokens = \"lots\"\n").unwrap();
    let out = refbench()
        .arg("--config")
        .arg(&bad)
        .arg("models")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("refbench.toml:6: key `model[0].max_output_tokens`: expected u32"),
        "{stderr}"
    );

    // A model whose key variable is unset is refused before the run starts.
    let project = mini_project();
    let config = model_toml(Api::Chat, "m", "http://127.0.0.1:9", "");
    std::fs::write(project.path().join("refbench.toml"), config).unwrap();
    let out = refbench()
        .arg("--root")
        .arg(project.path())
        .arg("--runs-dir")
        .arg(project.path().join("runs"))
        .args(["run", "--model", "m"])
        .env_remove(KEY_VAR)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr)
        .contains("environment variable REFBENCH_TEST_API_KEY (its api_key_env) is not set"));
}

/// How a streamed test response ends.
#[derive(Clone, Copy, PartialEq)]
enum Ending {
    /// With the API's final event.
    Complete,
    /// The connection closes half-way through the text, before the final event.
    Cut,
    /// Half-way through, the server sends an `error` event.
    ErrorEvent,
}

/// The `text/event-stream` body streaming what [`Api::ok_body`] returns in one piece (with a
/// reasoning or thinking part that must not reach the text), ending as `ending` says.
fn sse_body(api: Api, text: &str, usage: [u64; 5], ending: Ending) -> String {
    let [input, read, write, output, reasoning] = usage;
    let pieces: Vec<String> = {
        let chars: Vec<char> = text.chars().collect();
        chars
            .chunks(chars.len().div_ceil(4).max(1))
            .map(|c| c.iter().collect())
            .collect()
    };
    let half = pieces.len() / 2;
    let mut events: Vec<(Option<&str>, Value)> = Vec::new();
    let mut deltas: Vec<(Option<&str>, Value)> = Vec::new();
    let mut tail: Vec<(Option<&str>, Value)> = Vec::new();
    let error: (Option<&str>, Value);
    match api {
        Api::Chat | Api::Compatible => {
            let chunk = |delta: Value, finish: Value| {
                json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": null})
            };
            events.push((
                None,
                chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            ));
            events.push((
                None,
                chunk(json!({"reasoning_content": "THINKING"}), Value::Null),
            ));
            for p in &pieces {
                deltas.push((None, chunk(json!({"content": p}), Value::Null)));
            }
            tail.push((None, chunk(json!({}), json!("stop"))));
            tail.push((
                None,
                json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
                "usage": {"prompt_tokens": input + read, "completion_tokens": output,
                    "total_tokens": input + read + output,
                    "prompt_tokens_details": {"cached_tokens": read},
                    "completion_tokens_details": {"reasoning_tokens": reasoning}}}),
            ));
            tail.push((None, Value::String("[DONE]".into())));
            error = (
                None,
                json!({"error": {"message": "The server had an error", "type": "server_error"}}),
            );
        }
        Api::Responses => {
            let event = |kind: &str, mut v: Value| {
                v["type"] = kind.into();
                v["sequence_number"] = 0.into();
                (None, v)
            };
            events.push(event(
                "response.created",
                json!({"response": {"id": "resp_1", "status": "in_progress", "output": []}}),
            ));
            events.push(event("response.reasoning_summary_text.delta",
                json!({"item_id": "rs_1", "output_index": 0, "summary_index": 0, "delta": "THINKING"})));
            for p in &pieces {
                deltas.push(event(
                    "response.output_text.delta",
                    json!({"item_id": "msg_1", "output_index": 1, "content_index": 0, "delta": p}),
                ));
            }
            tail.push(event(
                "response.output_text.done",
                json!({"item_id": "msg_1", "output_index": 1, "content_index": 0, "text": text}),
            ));
            tail.push(event(
                "response.completed",
                json!({"response": api.ok_body(text, "complete", Some(usage))}),
            ));
            error = event(
                "error",
                json!({"code": "server_error", "message": "The server had an error", "param": null}),
            );
        }
        Api::Anthropic => {
            let event = |kind: &'static str, mut v: Value| {
                v["type"] = kind.into();
                (Some(kind), v)
            };
            events.push(event(
                "message_start",
                json!({"message": {"id": "msg_1", "type": "message",
                "role": "assistant", "model": "m", "content": [], "stop_reason": null,
                "usage": {"input_tokens": input, "cache_read_input_tokens": read,
                    "cache_creation_input_tokens": write, "output_tokens": 1}}}),
            ));
            events.push(event(
                "content_block_start",
                json!({"index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
            ));
            events.push(event(
                "content_block_delta",
                json!({"index": 0, "delta": {"type": "thinking_delta", "thinking": "THINKING"}}),
            ));
            events.push(event("content_block_stop", json!({"index": 0})));
            events.push(event("ping", json!({})));
            events.push(event(
                "content_block_start",
                json!({"index": 1, "content_block": {"type": "text", "text": ""}}),
            ));
            for p in &pieces {
                deltas.push(event(
                    "content_block_delta",
                    json!({"index": 1, "delta": {"type": "text_delta", "text": p}}),
                ));
            }
            tail.push(event("content_block_stop", json!({"index": 1})));
            tail.push(event(
                "message_delta",
                json!({"delta": {"stop_reason": "end_turn", "stop_sequence": null},
                "usage": {"output_tokens": output}}),
            ));
            tail.push(event("message_stop", json!({})));
            error = event(
                "error",
                json!({"error": {"type": "overloaded_error", "message": "Overloaded"}}),
            );
        }
    }
    match ending {
        Ending::Complete => {
            events.extend(deltas);
            events.extend(tail);
        }
        Ending::Cut => events.extend(deltas.into_iter().take(half)),
        Ending::ErrorEvent => {
            events.extend(deltas.into_iter().take(half));
            events.push(error);
        }
    }
    let mut body = String::new();
    for (name, data) in events {
        if let Some(n) = name {
            body.push_str(&format!("event: {n}\n"));
        }
        let data = match data {
            Value::String(s) => s,
            v => v.to_string(),
        };
        body.push_str(&format!("data: {data}\n\n"));
    }
    body
}

fn sse(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

/// For one API, in one run: the same reply sent as JSON and as a stream gives the same text
/// and usage; a stream cut mid-way and one broken by an `error` event are retried whole and
/// charged once.
async fn stream_scenarios(api: Api) {
    let server = MockServer::start().await;
    let base = server.uri();
    let gold = gold_reply();
    mount(
        &server,
        api,
        "plain",
        respond(200, api.ok_body(&gold, "complete", Some(USAGE))),
    )
    .await;
    mount(
        &server,
        api,
        "streamed",
        sse(sse_body(api, &gold, USAGE, Ending::Complete)),
    )
    .await;
    for (name, ending) in [("cut", Ending::Cut), ("error-event", Ending::ErrorEvent)] {
        let first = sse(sse_body(api, &gold, USAGE, ending));
        let then = sse(sse_body(api, &gold, USAGE, Ending::Complete));
        mount_first_then(&server, api, name, (first, 1), then).await;
    }
    let names = ["plain", "streamed", "cut", "error-event"];
    let mut config = String::new();
    for name in names {
        let mode = if name == "plain" { "false" } else { "true" };
        config.push_str(&model_toml(api, name, &base, &format!("stream = {mode}\n")));
    }
    let project = mini_project();
    let root = project.path().to_path_buf();
    let mut args = vec!["--no-cache".to_string()];
    for n in names {
        args.extend(["--model".to_string(), n.to_string()]);
    }
    let out = tokio::task::spawn_blocking({
        let root = root.clone();
        move || {
            run(
                &root,
                &config,
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
            )
        }
    })
    .await
    .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let recs = records(&root);
    for name in names {
        let rec = &recs[&format!("{name}#0")];
        assert_eq!(rec["outcome"], "resolved", "{name}: {rec}");
        // Usage from the final events, charged once even where a first stream broke.
        assert_usage(api, rec);
        if api != Api::Anthropic {
            assert_eq!(rec["usage"]["reasoning_tokens"], USAGE[4], "{name}");
        }
        assert_eq!(rec["usage"], recs["plain#0"]["usage"], "{name}");
        assert_eq!(rec["ask"]["stop_reason"], "complete", "{name}");
        let transport = if name == "plain" { "json" } else { "stream" };
        assert_eq!(rec["ask"]["transport"], transport, "{name}");
        let requests = if name == "cut" || name == "error-event" {
            2
        } else {
            1
        };
        assert_eq!(rec["ask"]["http_requests"], requests, "{name}");
        assert_eq!(
            requests_to(&server, name).await.len(),
            requests as usize,
            "{name}"
        );
    }
    // The text reassembled from the events is the reply, with no reasoning in it.
    let replies: Vec<_> = walk(&root.join("runs"))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "reply.txt"))
        .collect();
    assert_eq!(replies.len(), names.len());
    for reply in replies {
        assert_eq!(
            std::fs::read_to_string(&reply).unwrap(),
            gold,
            "{}",
            reply.display()
        );
    }
    // What the streamed requests asked for.
    for req in requests_to(&server, "streamed").await {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["stream"], true);
        if matches!(api, Api::Chat | Api::Compatible) {
            assert_eq!(body["stream_options"]["include_usage"], true);
        }
    }
    for req in requests_to(&server, "plain").await {
        check_request_shape(api, &req);
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        assert!(body.get("stream").is_none());
    }
    assert!(
        stderr.contains("retry 1 of 3"),
        "the broken streams were retried: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_chat_streams() {
    stream_scenarios(Api::Chat).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_responses_streams() {
    stream_scenarios(Api::Responses).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_streams() {
    stream_scenarios(Api::Anthropic).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_402_or_an_exhausted_quota_stops_the_models_remaining_attempts() {
    let server = MockServer::start().await;
    mount(
        &server,
        Api::Chat,
        "payment",
        respond(
            402,
            json!({"error": {"message": "Payment required", "type": "billing_error"}}),
        ),
    )
    .await;
    mount(
        &server,
        Api::Responses,
        "quota",
        respond(429, Api::Responses.quota_body()),
    )
    .await;
    mount(&server, Api::Anthropic, "credit",
        respond(400, json!({"type": "error", "error": {"type": "invalid_request_error",
            "message": "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}))).await;
    let config = model_toml(Api::Chat, "payment", &server.uri(), "")
        + &model_toml(Api::Responses, "quota", &server.uri(), "")
        + &model_toml(Api::Anthropic, "credit", &server.uri(), "");
    let project = mini_project();
    let root = project.path().to_path_buf();
    let out = tokio::task::spawn_blocking({
        let root = root.clone();
        move || {
            run(
                &root,
                &config,
                &[
                    "--no-cache",
                    "--jobs",
                    "1",
                    "--samples",
                    "3",
                    "--model",
                    "payment",
                    "--model",
                    "quota",
                    "--model",
                    "credit",
                ],
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let recs = records(&root);
    for (name, status) in [("payment", 402), ("quota", 429), ("credit", 400)] {
        assert_eq!(
            requests_to(&server, name).await.len(),
            1,
            "{name}: no request after the first"
        );
        let errors: Vec<String> = (0..3)
            .map(|s| {
                let rec = &recs[&format!("{name}#{s}")];
                assert_eq!(rec["outcome"], "model-error");
                rec["error"].as_str().unwrap().to_string()
            })
            .collect();
        let first = errors.iter().find(|e| !e.contains("not asked")).unwrap();
        assert!(
            first.contains(&format!("quota exhausted (HTTP {status}, not retried)")),
            "{first}"
        );
        assert_eq!(
            errors
                .iter()
                .filter(|e| e.contains("not asked, an earlier request failed: quota exhausted"))
                .count(),
            2,
            "{errors:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_differing_only_in_base_url_do_not_share_cached_replies() {
    let server = MockServer::start().await;
    let unique = format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let (here, there) = (format!("here{unique}"), format!("there{unique}"));
    for (name, text) in [
        (&here, gold_reply()),
        (
            &there,
            format!("{}\n(from the other server)\n", gold_reply()),
        ),
    ] {
        mount(
            &server,
            Api::Chat,
            name,
            respond(200, Api::Chat.ok_body(&text, "complete", Some(USAGE))),
        )
        .await;
    }
    // Same provider, model id, prompt and sample; only base_url differs.
    let config = model_toml(Api::Chat, &here, &server.uri(), "")
        + &model_toml(Api::Chat, &there, &server.uri(), "").replace(
            &format!("model = \"{there}-id\""),
            &format!("model = \"{here}-id\""),
        );
    let project = mini_project();
    let root = project.path().to_path_buf();
    let go = |model: String| {
        let root = root.clone();
        let config = config.clone();
        tokio::task::spawn_blocking(move || run(&root, &config, &["--model", &model]))
    };
    for (model, sent_here, sent_there) in [(&here, 1, 0), (&there, 1, 1), (&there, 1, 1)] {
        let out = go(model.clone()).await.unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(
            requests_to(&server, &here).await.len(),
            sent_here,
            "{model}"
        );
        assert_eq!(
            requests_to(&server, &there).await.len(),
            sent_there,
            "{model}: the other server's reply was served"
        );
    }
    // The two requests were the same body: the base URL alone told them apart.
    assert_eq!(
        requests_to(&server, &here).await[0].body,
        requests_to(&server, &there).await[0].body
    );
    // The last run was served from the cache, with the other server's reply.
    let rec = &records(&root)[&format!("{there}#0")];
    assert_eq!(rec["ask"]["cached"], true);
}
