//! `refbench run --batch` end to end: the real binary against wiremock servers speaking the
//! OpenAI Batch and Anthropic Message Batches wire formats. Every attempt's reply comes from
//! the batch (no direct request, recorded as a batch reply at batch prices, charged once), and
//! a run killed while its batch runs resumes polling the recorded job instead of submitting
//! again.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::mini_project;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "sk-fake-refbench-batch-0ddba11";
const KEY_VAR: &str = "REFBENCH_TEST_API_KEY";

#[derive(Clone, Copy, PartialEq, Debug)]
enum Api {
    Chat,
    Anthropic,
}

fn gold_reply(root: &Path) -> String {
    let gold =
        std::fs::read_to_string(root.join("repos-fixtures/mini/tasks/add-sub/gold.patch")).unwrap();
    format!("Here is the change.\n\n```diff\n{gold}```\n")
}

fn config(api: Api, base: &str) -> String {
    let provider = match api {
        Api::Chat => "openai-chat",
        Api::Anthropic => "anthropic",
    };
    // 2 USD per million input tokens, 8 per million output; batches at half price.
    format!(
        "[[model]]\nname = \"m\"\nprovider = \"{provider}\"\nmodel = \"m-id\"\nbase_url = \"{base}/v1\"\napi_key_env = \"{KEY_VAR}\"\nmax_output_tokens = 4000\nmax_retries = 1\nretry_base_ms = 10\ntimeout_secs = 5\n[model.price]\ninput = 2.0\noutput = 8.0\n"
    )
}

/// The custom ids of what was submitted, in order.
#[derive(Clone, Default)]
struct Submitted(Arc<Mutex<Vec<String>>>);

impl Submitted {
    fn ids(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Every `"custom_id":"..."` in a request body (JSON or a multipart JSONL upload).
fn custom_ids(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    for part in text.split("\"custom_id\":").skip(1) {
        let part = part.trim_start().trim_start_matches('"');
        if let Some(end) = part.find('"') {
            out.push(part[..end].to_string());
        }
    }
    out
}

struct Capture {
    submitted: Submitted,
    body: Value,
}

impl Respond for Capture {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.submitted
            .0
            .lock()
            .unwrap()
            .extend(custom_ids(&request.body));
        ResponseTemplate::new(200).set_body_json(self.body.clone())
    }
}

/// The batch's status: running until `done` is set.
struct Status {
    api: Api,
    done: Arc<AtomicBool>,
    base: String,
}

impl Respond for Status {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let ended = self.done.load(Ordering::SeqCst);
        let body = match (self.api, ended) {
            (Api::Anthropic, false) => json!({"id": "msgbatch_7", "type": "message_batch",
                "processing_status": "in_progress",
                "request_counts": {"processing": 2, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
                "results_url": null}),
            (Api::Anthropic, true) => json!({"id": "msgbatch_7", "type": "message_batch",
                "processing_status": "ended",
                "request_counts": {"processing": 0, "succeeded": 2, "errored": 0, "canceled": 0, "expired": 0},
                "results_url": format!("{}/v1/messages/batches/msgbatch_7/results", self.base)}),
            (Api::Chat, false) => {
                json!({"id": "batch_7", "object": "batch", "status": "in_progress",
                "request_counts": {"total": 2, "completed": 0, "failed": 0}})
            }
            (Api::Chat, true) => json!({"id": "batch_7", "object": "batch", "status": "completed",
                "output_file_id": "file-out",
                "request_counts": {"total": 2, "completed": 2, "failed": 0}}),
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

/// One result line per submitted request, each the gold reply with 1M input and 100k output
/// tokens.
struct Results {
    api: Api,
    submitted: Submitted,
    reply: String,
}

impl Respond for Results {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut out = String::new();
        for id in self.submitted.ids() {
            let line = match self.api {
                Api::Anthropic => {
                    json!({"custom_id": id, "result": {"type": "succeeded", "message": {
                    "id": "msg_1", "type": "message", "role": "assistant", "model": "m-id",
                    "content": [{"type": "text", "text": self.reply}],
                    "stop_reason": "end_turn",
                    "usage": {"input_tokens": 1_000_000, "output_tokens": 100_000}}}})
                }
                Api::Chat => json!({"id": "r", "custom_id": id, "error": null,
                    "response": {"status_code": 200, "body": {"id": "chatcmpl-1", "object": "chat.completion",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": self.reply}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 100_000, "total_tokens": 1_100_000}}}}),
            };
            out.push_str(&format!("{line}\n"));
        }
        ResponseTemplate::new(200).set_body_string(out)
    }
}

struct Provider {
    server: MockServer,
    submitted: Submitted,
    done: Arc<AtomicBool>,
}

async fn provider(api: Api, reply: String) -> Provider {
    let server = MockServer::start().await;
    let submitted = Submitted::default();
    let done = Arc::new(AtomicBool::new(false));
    let status = Status {
        api,
        done: done.clone(),
        base: server.uri(),
    };
    let results = Results {
        api,
        submitted: submitted.clone(),
        reply,
    };
    match api {
        Api::Anthropic => {
            Mock::given(method("POST"))
                .and(path("/v1/messages/batches"))
                .respond_with(Capture {
                    submitted: submitted.clone(),
                    body: json!({"id": "msgbatch_7", "type": "message_batch",
                        "processing_status": "in_progress", "results_url": null,
                        "request_counts": {"processing": 2, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}}),
                })
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/v1/messages/batches/msgbatch_7"))
                .respond_with(status)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/v1/messages/batches/msgbatch_7/results"))
                .respond_with(results)
                .mount(&server)
                .await;
        }
        Api::Chat => {
            Mock::given(method("POST"))
                .and(path("/v1/files"))
                .respond_with(Capture {
                    submitted: submitted.clone(),
                    body: json!({"id": "file-in", "object": "file", "purpose": "batch"}),
                })
                .mount(&server)
                .await;
            Mock::given(method("POST"))
                .and(path("/v1/batches"))
                .respond_with(
                    ResponseTemplate::new(200).set_body_json(json!({"id": "batch_7",
                    "object": "batch", "status": "validating", "input_file_id": "file-in",
                    "request_counts": {"total": 0, "completed": 0, "failed": 0}})),
                )
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/v1/batches/batch_7"))
                .respond_with(status)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/v1/files/file-out/content"))
                .respond_with(results)
                .mount(&server)
                .await;
        }
    }
    Provider {
        server,
        submitted,
        done,
    }
}

/// Requests `server` received with this method and exact path.
async fn count(server: &MockServer, verb: &str, at: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == at)
        .count()
}

fn records(run: &Path) -> Vec<Value> {
    std::fs::read_to_string(run.join("attempts.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Both samples' replies came from the batch: recorded as batch replies (not cached), no
/// direct request, half the list price (1M input at 2 + 100k output at 8 = 2.80, so 1.40).
fn assert_batch_records(run: &Path) {
    let recs = records(run);
    assert_eq!(recs.len(), 2, "{recs:?}");
    for rec in &recs {
        assert_eq!(rec["key"]["model"], "m", "{rec}");
        assert_eq!(rec["ask"]["transport"], "batch", "{rec}");
        assert_eq!(rec["ask"]["cached"], false, "{rec}");
        assert_eq!(rec["ask"]["http_requests"], 0, "{rec}");
        let cost = rec["usage"]["cost_usd"].as_f64().unwrap();
        assert!((cost - 1.40).abs() < 0.005, "cost {cost}: {rec}");
        assert_eq!(rec["verdict"]["tests"]["grade"], "FULL", "{rec}");
        assert_eq!(rec["outcome"], "resolved", "{rec}");
    }
    let text = std::fs::read_to_string(run.join("attempts.jsonl")).unwrap();
    assert!(!text.contains(KEY), "the key reached the records");
}

async fn batch_run(api: Api) {
    let project = mini_project();
    let root = project.path();
    let p = provider(api, gold_reply(root)).await;
    p.done.store(true, Ordering::SeqCst);
    let cfg = config(api, &p.server.uri());
    let out = tokio::task::spawn_blocking({
        let root = root.to_path_buf();
        move || {
            common::run_with_config(&root, &cfg)
                .args(["--model", "m", "--samples", "2", "--jobs", "1"])
                .args(["--batch", "--batch-poll", "0.05"])
                .env(KEY_VAR, KEY)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{api:?}: {stderr}");
    assert!(stderr.contains("submitted (2 requests)"), "{stderr}");
    assert!(stderr.contains("collected 2 replies"), "{stderr}");
    assert_eq!(p.submitted.ids().len(), 2, "{api:?}");
    let direct = match api {
        Api::Anthropic => count(&p.server, "POST", "/v1/messages").await,
        Api::Chat => count(&p.server, "POST", "/v1/chat/completions").await,
    };
    assert_eq!(direct, 0, "{api:?}: an attempt asked directly");
    let run = common::only_run(&root.join("runs"));
    assert_batch_records(&run);
    assert!(!stderr.contains(KEY));
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_batch_run_answers_every_attempt_at_batch_prices() {
    batch_run(Api::Chat).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn anthropic_batch_run_answers_every_attempt_at_batch_prices() {
    batch_run(Api::Anthropic).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_while_its_batch_runs_resumes_polling_without_resubmitting() {
    let project = mini_project();
    let root = project.path().to_path_buf();
    let api = Api::Anthropic;
    let p = provider(api, gold_reply(&root)).await;
    let cfg = config(api, &p.server.uri());
    let (stderr, code) = tokio::task::spawn_blocking({
        let root = root.clone();
        move || {
            let mut cmd = common::run_with_config(&root, &cfg);
            cmd.args(["--model", "m", "--samples", "2", "--jobs", "1"])
                .args(["--batch", "--batch-poll", "0.05"])
                .env(KEY_VAR, KEY);
            // Submitted and recorded; the batch is still running.
            common::interrupt_when(cmd, "running, 0 of 2 done")
        }
    })
    .await
    .unwrap();
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("resume with:"), "{stderr}");
    let run = common::only_run(&root.join("runs"));
    let run_id = run.file_name().unwrap().to_string_lossy().into_owned();
    let jobs: Vec<_> = std::fs::read_dir(run.join("batches")).unwrap().collect();
    assert_eq!(jobs.len(), 1, "the job is recorded before it is polled");
    assert!(records(&run).is_empty());

    // The batch ends while refbench is down; the resume polls and collects the recorded job.
    p.done.store(true, Ordering::SeqCst);
    let out = tokio::task::spawn_blocking({
        let root = root.clone();
        move || {
            common::refbench_cmd_in(&root)
                .arg("--config")
                .arg(root.join("refbench.toml"))
                .args(["run", "--resume", &run_id, "--batch-poll", "0.05"])
                .env(KEY_VAR, KEY)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        count(&p.server, "POST", "/v1/messages/batches").await,
        1,
        "the resume submitted the batch again: {stderr}"
    );
    assert_eq!(count(&p.server, "POST", "/v1/messages").await, 0);
    assert!(stderr.contains("collected 2 replies"), "{stderr}");
    assert_batch_records(&run);
}
