//! Hidden tests: `Broker::run_next`, the worker pool and the admin API must
//! file outcomes the same way (task consolidate-job-lifecycle).

mod common;

use common::*;
use rsqueue::admin::handle;
use rsqueue::results::Outcome;
use rsqueue::sync::Arc;
use rsqueue::{Clock, JobError, JobSpec, JobState, WorkerPool};
use std::time::Duration;

#[test]
fn run_next_dead_letters_permanent_failures() {
    let (broker, _) = broker();
    broker.register("sms", |_: &rsqueue::Job| Err(JobError::permanent("bad number")));
    let id = broker.submit(JobSpec::new("sms")).unwrap();
    broker.run_until_idle();
    assert_eq!(broker.status(id), Some(JobState::Dead));
    assert_eq!(
        broker.dead_letters().get(id).map(|l| l.reason),
        Some("permanent: bad number".to_string())
    );
    assert_eq!(broker.metrics().snapshot().retried, 0);
}

#[test]
fn run_next_honours_the_jobs_own_max_attempts() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    let once = broker.submit(JobSpec::new("webhook").max_attempts(1)).unwrap();
    broker.run_until_idle();
    assert_eq!(broker.status(once), Some(JobState::Dead));

    let patient = broker.submit(JobSpec::new("webhook").max_attempts(7)).unwrap();
    for _ in 0..6 {
        broker.run_until_idle();
        clock.advance(120_000);
    }
    assert_eq!(broker.status(patient), Some(JobState::Scheduled));
    broker.run_until_idle();
    assert_eq!(broker.status(patient), Some(JobState::Dead));
    assert_eq!(broker.dead_letters().get(patient).unwrap().job.attempts, 7);
}

#[test]
fn run_next_backs_off_exponentially() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    let id = broker.submit(JobSpec::new("webhook")).unwrap();
    let base = broker.config().backoff_base_ms;
    let mut expected = Vec::new();
    let mut seen = Vec::new();
    for attempt in 1..=3u32 {
        broker.run_until_idle();
        let retry = broker.scheduler().snapshot();
        assert_eq!(retry.len(), 1);
        seen.push(retry[0].run_at - clock.now_ms());
        expected.push(base << (attempt - 1));
        clock.set(retry[0].run_at);
    }
    assert_eq!(seen, expected);
    assert_eq!(broker.status(id), Some(JobState::Scheduled));
}

#[test]
fn run_next_dead_letters_jobs_without_a_handler() {
    let (broker, _) = broker();
    let id = broker.submit(JobSpec::new("nobody")).unwrap();
    assert_eq!(broker.run_next(), Some(id));
    assert!(broker.dead_letters().contains(id));
    assert_eq!(broker.metrics().snapshot().dead_lettered, 1);
    match broker.results().get(id).unwrap().outcome {
        Outcome::Dead { reason } => assert!(reason.contains("no handler"), "{reason}"),
        other => panic!("expected dead, got {other:?}"),
    }
}

/// The journal lines after `submit`, with the `<lsn> <at> ` prefix removed.
fn events(broker: &rsqueue::Broker) -> Vec<String> {
    broker
        .journal()
        .tail(100)
        .iter()
        .skip(1)
        .map(|line| line.splitn(3, ' ').nth(2).unwrap().to_string())
        .collect()
}

#[test]
fn run_next_and_the_pool_journal_the_same_events() {
    let (sync_broker, sync_clock) = broker();
    register_flaky(&sync_broker, "webhook", 1);
    sync_broker.submit(JobSpec::new("webhook")).unwrap();
    sync_broker.run_until_idle();
    sync_clock.advance(60_000);
    sync_broker.run_until_idle();

    let (pool_broker, pool_clock) = broker();
    register_flaky(&pool_broker, "webhook", 1);
    let pool_broker = Arc::new(pool_broker);
    let id = pool_broker.submit(JobSpec::new("webhook")).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let pool = WorkerPool::start(Arc::clone(&pool_broker), 1);
    while pool_broker.status(id) != Some(JobState::Scheduled) {
        assert!(std::time::Instant::now() < deadline, "retry never scheduled");
        rsqueue::sync::thread::sleep(Duration::from_millis(1));
    }
    pool_clock.advance(60_000);
    pool_broker
        .results()
        .wait_for(id, Duration::from_secs(10))
        .expect("job finished");
    pool.stop();

    let expected = vec![
        "start job-000001 attempt=1".to_string(),
        format!(
            "retry job-000001 attempt=1 run_at={} error=connection%20reset",
            START + 500
        ),
        "start job-000001 attempt=2".to_string(),
        "done job-000001 attempt=2".to_string(),
    ];
    assert_eq!(events(&sync_broker), expected);
    assert_eq!(events(&pool_broker), expected);
}

#[test]
fn admin_requeue_goes_through_the_lifecycle() {
    let (broker, _) = broker();
    broker.register("sms", |_: &rsqueue::Job| Err(JobError::permanent("bad number")));
    let id = broker.submit(JobSpec::new("sms")).unwrap();
    broker.run_until_idle();
    assert_eq!(broker.status(id), Some(JobState::Dead));

    let resp = handle(&broker, &format!("dead requeue {id}"));
    assert_eq!(resp.body, format!("requeued {id}"));
    assert!(broker.results().get(id).is_none(), "stale dead result kept");
    assert_eq!(broker.metrics().snapshot().requeued, 1);
    assert!(broker
        .journal()
        .tail(1)[0]
        .ends_with(&format!(" requeue {id}")));

    broker.register("sms", echo);
    broker.run_until_idle();
    assert_eq!(broker.status(id), Some(JobState::Succeeded));
    assert_eq!(broker.results().get(id).unwrap().attempts, 1);
}

#[test]
fn admin_requeue_kind_forgets_stale_results() {
    let (broker, _) = broker();
    broker.register("sms", |_: &rsqueue::Job| Err(JobError::permanent("bad number")));
    let a = broker.submit(JobSpec::new("sms")).unwrap();
    let b = broker.submit(JobSpec::new("sms")).unwrap();
    broker.run_until_idle();
    assert_eq!(handle(&broker, "dead requeue-kind sms").body, "requeued 2");
    assert!(broker.results().get(a).is_none());
    assert!(broker.results().get(b).is_none());
    assert_eq!(broker.metrics().snapshot().requeued, 2);
}
