//! Submit, poll and collect against wiremock servers speaking each provider's batch API.

use super::*;
use crate::model::client::ApiKey;
use crate::model::config::{Config, EditFormat};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "sk-batch-test-5eed1e55c0ffee";

fn entry(provider: &str, base: &str) -> ModelEntry {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("refbench.toml");
    std::fs::write(
        &file,
        format!(
            "[[model]]\nname = \"m\"\nprovider = \"{provider}\"\nmodel = \"m-id\"\nbase_url = \"{base}/v1\"\napi_key_env = \"REFBENCH_UNUSED_KEY\"\nmax_output_tokens = 1000\nmax_retries = 2\nretry_base_ms = 5\ntimeout_secs = 5\n[model.price]\ninput = 2.0\ncache_read = 0.5\ncache_write = 3.0\noutput = 8.0\n"
        ),
    )
    .unwrap();
    Config::load(&file).unwrap().models.remove(0)
}

fn http(entry: ModelEntry) -> HttpModel {
    HttpModel::new(entry, Some(ApiKey::for_tests(KEY))).unwrap()
}

fn requests(entry: &ModelEntry) -> Vec<BatchRequest> {
    (0..3)
        .map(|i| {
            let prompt = Prompt {
                system: "You edit code.".into(),
                user: format!("task {i}"),
                template_hash: prompt::template_hash(EditFormat::UnifiedDiff),
            };
            request(entry, &prompt, 0, &format!("attempt-{i}"))
        })
        .collect()
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

async fn received(server: &MockServer, verb: &str, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .collect()
}

/// A successful response body in `provider`'s shape: 1M input (200k cached), 100k output.
fn openai_body(provider: Provider) -> Value {
    match provider {
        Provider::OpenaiResponses => {
            json!({"id": "resp_1", "object": "response", "status": "completed",
            "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "the edit", "annotations": []}]}],
            "usage": {"input_tokens": 1_000_000, "input_tokens_details": {"cached_tokens": 200_000},
                "output_tokens": 100_000, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 1_100_000}})
        }
        _ => json!({"id": "chatcmpl-1", "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "the edit", "refusal": null}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 100_000, "total_tokens": 1_100_000,
                "prompt_tokens_details": {"cached_tokens": 200_000}}}),
    }
}

async fn openai_round_trip(provider: &str) {
    let server = MockServer::start().await;
    let entry = entry(provider, &server.uri());
    let provider = entry.provider;
    let endpoint = openai_endpoint(provider);
    Mock::given(method("POST"))
        .and(path("/v1/files"))
        .respond_with(ok(
            json!({"id": "file-in", "object": "file", "purpose": "batch", "bytes": 10}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/batches"))
        .respond_with(ok(
            json!({"id": "batch_1", "object": "batch", "endpoint": endpoint,
            "input_file_id": "file-in", "completion_window": "24h", "status": "validating",
            "request_counts": {"total": 0, "completed": 0, "failed": 0}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/batches/batch_1"))
        .respond_with(ok(
            json!({"id": "batch_1", "object": "batch", "status": "in_progress",
            "request_counts": {"total": 3, "completed": 1, "failed": 0}}),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    // It expired before the third request ran: partial results.
    Mock::given(method("GET"))
        .and(path("/v1/batches/batch_1"))
        .respond_with(ok(
            json!({"id": "batch_1", "object": "batch", "status": "expired",
            "output_file_id": "file-out", "error_file_id": "file-err",
            "request_counts": {"total": 3, "completed": 1, "failed": 1}}),
        ))
        .mount(&server)
        .await;
    let output = json!({"id": "batch_req_1", "custom_id": "attempt-0",
        "response": {"status_code": 200, "request_id": "req_1", "body": openai_body(provider)}, "error": null});
    Mock::given(method("GET"))
        .and(path("/v1/files/file-out/content"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("{output}\n")))
        .mount(&server)
        .await;
    let error = json!({"id": "batch_req_2", "custom_id": "attempt-1",
        "response": {"status_code": 400, "request_id": "req_2",
            "body": {"error": {"message": "max_output_tokens is too large", "type": "invalid_request_error"}}},
        "error": null});
    Mock::given(method("GET"))
        .and(path("/v1/files/file-err/content"))
        .respond_with(ResponseTemplate::new(200).set_body_string(format!("{error}\n")))
        .mount(&server)
        .await;

    let model = http(entry.clone());
    let reqs = requests(&entry);
    let job = submit(&model, &reqs).await.unwrap();
    assert_eq!(
        (job.id.as_str(), job.input_file_id.as_deref()),
        ("batch_1", Some("file-in"))
    );
    assert_eq!(job.requests.len(), 3);

    // The upload: multipart with purpose=batch and one JSONL line per request, unstreamed.
    let upload = &received(&server, "POST", "/v1/files").await[0];
    assert_eq!(
        upload
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Bearer {KEY}")
    );
    let text = String::from_utf8_lossy(&upload.body);
    assert!(
        text.contains("name=\"purpose\"") && text.contains("\r\n\r\nbatch\r\n"),
        "{text}"
    );
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with("{\"body\"") || l.starts_with("{\"custom_id\""))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["custom_id"], format!("attempt-{i}"));
        assert_eq!(
            (line["method"].as_str(), line["url"].as_str()),
            (Some("POST"), Some(endpoint.as_str()))
        );
        assert_eq!(line["body"], reqs[i].body);
        assert!(line["body"].get("stream").is_none());
    }
    let create: Value =
        serde_json::from_slice(&received(&server, "POST", "/v1/batches").await[0].body).unwrap();
    assert_eq!(create["input_file_id"], "file-in");
    assert_eq!(create["endpoint"], endpoint);
    assert_eq!(create["completion_window"], "24h");

    let counts = |total, succeeded, failed| BatchCounts {
        total,
        succeeded,
        failed,
    };
    assert_eq!(
        poll(&model, &job).await.unwrap(),
        BatchState::Running {
            counts: counts(3, 1, 0)
        }
    );
    assert_eq!(
        poll(&model, &job).await.unwrap(),
        BatchState::Ended {
            end: BatchEnd::Expired,
            counts: counts(3, 1, 1)
        }
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = ReplyCache::new(dir.path().to_path_buf());
    let results = collect(&model, Some(&cache), &job).await.unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r.custom_id.as_str()).collect();
    assert_eq!(ids, ["attempt-0", "attempt-1", "attempt-2"]);
    let reply = results[0].reply.as_ref().unwrap();
    assert_eq!(reply.text, "the edit");
    assert_eq!(reply.info.transport, Some(Transport::Batch));
    assert_eq!(
        reply.info.prompt_hash.as_deref(),
        Some(job.prompt_hash.as_str())
    );
    let usage = reply.usage.as_ref().unwrap();
    assert_eq!(usage.input_tokens, Some(1_000_000));
    // List: 0.8 x 2 + 0.2 x 0.5 + 0.1 x 8 = 2.50 USD; the batch bills half.
    assert!((usage.cost_usd.unwrap() - 1.25).abs() < 1e-9, "{usage:?}");
    let error = results[1].reply.as_ref().unwrap_err().to_string();
    assert!(
        error.contains("batch request attempt-1: HTTP 400: max_output_tokens is too large"),
        "{error}"
    );
    let missing = results[2].reply.as_ref().unwrap_err().to_string();
    assert!(
        missing.contains("the batch ended (expired) before this request ran"),
        "{missing}"
    );
    // The reply is cached under the key a direct request would use; the failures are not.
    assert_eq!(cache.get(&reqs[0].cache_key).unwrap().text, "the edit");
    assert_eq!(cache.get(&reqs[1].cache_key), None);
}

#[tokio::test]
async fn openai_chat_batch_is_uploaded_created_polled_and_collected() {
    openai_round_trip("openai-chat").await;
}

#[tokio::test]
async fn openai_responses_batch_is_uploaded_created_polled_and_collected() {
    openai_round_trip("openai-responses").await;
}

#[tokio::test]
async fn anthropic_batch_is_created_polled_and_collected_and_a_saved_job_resumes() {
    let server = MockServer::start().await;
    let entry = entry("anthropic", &server.uri());
    let running = json!({"id": "msgbatch_1", "type": "message_batch", "processing_status": "in_progress",
        "request_counts": {"processing": 3, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
        "ended_at": null, "cancel_initiated_at": null, "results_url": null});
    Mock::given(method("POST"))
        .and(path("/v1/messages/batches"))
        .respond_with(ok(running.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/messages/batches/msgbatch_1"))
        .respond_with(ok(running))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/messages/batches/msgbatch_1"))
        .respond_with(ok(json!({"id": "msgbatch_1", "type": "message_batch", "processing_status": "ended",
            "request_counts": {"processing": 0, "succeeded": 1, "errored": 1, "canceled": 0, "expired": 1},
            "ended_at": "2026-12-05T10:00:00Z", "cancel_initiated_at": null,
            "results_url": format!("{}/v1/messages/batches/msgbatch_1/results", server.uri())})))
        .mount(&server)
        .await;
    let lines = [
        json!({"custom_id": "attempt-0", "result": {"type": "succeeded", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "m-id",
            "content": [{"type": "thinking", "thinking": "hidden", "signature": "s"}, {"type": "text", "text": "the edit"}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 800_000, "cache_read_input_tokens": 200_000,
                "cache_creation_input_tokens": 100_000, "output_tokens": 100_000}}}}),
        json!({"custom_id": "attempt-1", "result": {"type": "errored", "error": {"type": "error",
            "error": {"type": "invalid_request_error", "message": "prompt is too long"}}}}),
        json!({"custom_id": "attempt-2", "result": {"type": "expired"}}),
    ];
    let jsonl: String = lines.iter().map(|l| format!("{l}\n")).collect();
    Mock::given(method("GET"))
        .and(path("/v1/messages/batches/msgbatch_1/results"))
        .respond_with(ResponseTemplate::new(200).set_body_string(jsonl))
        .mount(&server)
        .await;

    let reqs = requests(&entry);
    let job = submit(&http(entry.clone()), &reqs).await.unwrap();
    let create = &received(&server, "POST", "/v1/messages/batches").await[0];
    assert_eq!(
        create.headers.get("x-api-key").unwrap().to_str().unwrap(),
        KEY
    );
    assert_eq!(
        create
            .headers
            .get("anthropic-version")
            .unwrap()
            .to_str()
            .unwrap(),
        "2023-06-01"
    );
    let body: Value = serde_json::from_slice(&create.body).unwrap();
    for (i, r) in body["requests"].as_array().unwrap().iter().enumerate() {
        assert_eq!(r["custom_id"], format!("attempt-{i}"));
        assert_eq!(r["params"], reqs[i].body);
        assert_eq!(r["params"]["max_tokens"], 1000);
    }
    assert!(matches!(
        poll(&http(entry.clone()), &job).await.unwrap(),
        BatchState::Running { counts } if counts.total == 3
    ));
    let early = collect(&http(entry.clone()), None, &job).await.unwrap_err();
    assert!(early.to_string().contains("still running"), "{early}");

    // A killed run kept the job; a fresh model (a new process) polls it without resubmitting.
    let saved = serde_json::to_string(&job).unwrap();
    let resumed: BatchJob = serde_json::from_str(&saved).unwrap();
    assert_eq!(resumed, job);
    let fresh = http(entry.clone());
    assert_eq!(
        poll(&fresh, &resumed).await.unwrap(),
        BatchState::Ended {
            end: BatchEnd::Completed,
            counts: BatchCounts {
                total: 3,
                succeeded: 1,
                failed: 2
            }
        }
    );
    let results = collect(&fresh, None, &resumed).await.unwrap();
    assert_eq!(
        received(&server, "POST", "/v1/messages/batches")
            .await
            .len(),
        1
    );
    let reply = results[0].reply.as_ref().unwrap();
    assert_eq!(reply.text, "the edit", "thinking never reaches the text");
    let usage = reply.usage.as_ref().unwrap();
    assert_eq!(usage.input_tokens, Some(1_100_000));
    // List: 0.8 x 2 + 0.2 x 0.5 + 0.1 x 3 + 0.1 x 8 = 2.80 USD; the batch bills half.
    assert!((usage.cost_usd.unwrap() - 1.40).abs() < 1e-9, "{usage:?}");
    let errored = results[1].reply.as_ref().unwrap_err().to_string();
    assert!(
        errored.contains("invalid_request_error: prompt is too long"),
        "{errored}"
    );
    let expired = results[2].reply.as_ref().unwrap_err().to_string();
    assert!(expired.contains("expired before it ran"), "{expired}");
}

#[tokio::test]
async fn bad_batches_are_refused_before_any_request() {
    let server = MockServer::start().await;
    let compatible = {
        let mut e = entry("openai-chat", &server.uri());
        e.provider = Provider::OpenaiCompatible;
        e
    };
    let err = submit(&http(compatible.clone()), &requests(&compatible))
        .await
        .unwrap_err();
    assert!(matches!(err, ModelError::Unsupported { .. }), "{err}");

    let entry = entry("anthropic", &server.uri());
    let mut reqs = requests(&entry);
    reqs[1].custom_id = "attempt 1/with spaces".into();
    let err = submit(&http(entry.clone()), &reqs).await.unwrap_err();
    assert!(err.to_string().contains("is not 1 to 64 letters"), "{err}");
    reqs[1].custom_id = "attempt-0".into();
    let err = submit(&http(entry.clone()), &reqs).await.unwrap_err();
    assert!(err.to_string().contains("used twice"), "{err}");
    let err = submit(&http(entry.clone()), &[]).await.unwrap_err();
    assert!(err.to_string().contains("no requests"), "{err}");

    // A job made for another server is not polled with this entry's key.
    let job = BatchJob {
        model: "m".into(),
        provider: Provider::Anthropic,
        base_url: "https://elsewhere.example/v1".into(),
        id: "msgbatch_9".into(),
        input_file_id: None,
        prompt_hash: "0".repeat(16),
        requests: vec![],
    };
    let err = poll(&http(entry), &job).await.unwrap_err();
    assert!(err.to_string().contains("restore the entry"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_402_on_submission_stops_the_model_and_a_failed_batch_says_why() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/files"))
        .respond_with(ResponseTemplate::new(402).set_body_json(
            json!({"error": {"message": "Payment required", "type": "billing_error"}}),
        ))
        .mount(&server)
        .await;
    let entry = entry("openai-chat", &server.uri());
    let model = http(entry.clone());
    let err = submit(&model, &requests(&entry)).await.unwrap_err();
    assert!(
        matches!(err, ModelError::Quota { status: 402, .. }),
        "{err}"
    );
    let again = submit(&model, &requests(&entry)).await.unwrap_err();
    assert!(matches!(again, ModelError::Stopped { .. }), "{again}");
    assert_eq!(received(&server, "POST", "/v1/files").await.len(), 1);

    Mock::given(method("GET"))
        .and(path("/v1/batches/batch_f"))
        .respond_with(ok(json!({"id": "batch_f", "object": "batch", "status": "failed",
            "errors": {"object": "list", "data": [{"code": "invalid_json_line", "message": "not valid JSON", "line": 2}]},
            "request_counts": {"total": 0, "completed": 0, "failed": 0}})))
        .mount(&server)
        .await;
    let job = BatchJob {
        model: "m".into(),
        provider: Provider::OpenaiChat,
        base_url: entry.base_url(),
        id: "batch_f".into(),
        input_file_id: Some("file-in".into()),
        prompt_hash: "0".repeat(16),
        requests: vec![],
    };
    // Polling costs nothing: the stopped model still polls what it already submitted.
    assert_eq!(
        poll(&model, &job).await.unwrap(),
        BatchState::Failed {
            message: "line 2: not valid JSON".into()
        }
    );
}

#[test]
fn results_urls_elsewhere_are_not_followed() {
    assert!(same_origin(
        "https://api.anthropic.com/v1/messages/batches/x/results",
        "https://api.anthropic.com/v1"
    ));
    assert!(!same_origin(
        "https://evil.example/v1/messages/batches/x/results",
        "https://api.anthropic.com/v1"
    ));
    assert!(!same_origin("not a url", "https://api.anthropic.com/v1"));
    assert!(valid_custom_id(&"a".repeat(64)) && !valid_custom_id(&"a".repeat(65)));
}

#[test]
fn an_agent_mode_model_is_never_batched() {
    // Resolving needs the key variable set; PATH always is (nothing is sent).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refbench.toml");
    std::fs::write(
        &path,
        "[[model]]\nname = \"a\"\nprovider = \"anthropic\"\nmodel = \"m\"\napi_key_env = \"PATH\"\n\n[[model]]\nname = \"c\"\nprovider = \"openai-compatible\"\nmodel = \"m\"\nbase_url = \"http://127.0.0.1:9/v1\"\napi_key_env = \"PATH\"\n",
    )
    .unwrap();
    let models = crate::model::ModelSet::load(&crate::model::ModelSettings {
        config: Some(path),
        ..Default::default()
    })
    .unwrap();
    assert!(models.resolve("a").unwrap().has_batch());
    assert!(
        !models.resolve("a+agent").unwrap().has_batch(),
        "a conversation is not one request"
    );
    assert!(!models.resolve("c").unwrap().has_batch(), "no batch API");
    assert!(!models.resolve("gold").unwrap().has_batch());
}
