mod common;

use common::*;
use rsqueue::results::Outcome;
use rsqueue::sync::{thread, Arc};
use rsqueue::{JobError, JobId, JobSpec, JobState, WorkerPool};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn pool_runs_every_submitted_job() {
    let (broker, _) = broker();
    broker.register("email", echo);
    let broker = Arc::new(broker);
    let pool = WorkerPool::start(Arc::clone(&broker), 3);
    assert_eq!(pool.size(), 3);
    let ids: Vec<JobId> = (0..20)
        .map(|_| broker.submit(JobSpec::new("email")).unwrap())
        .collect();
    for id in &ids {
        let result = broker.results().wait_for(*id, WAIT).expect("job finished");
        assert_eq!(
            result.outcome,
            Outcome::Succeeded {
                output: format!("ok email {id}")
            }
        );
    }
    assert_eq!(pool.stop(), 20);
    assert_eq!(broker.metrics().snapshot().succeeded, 20);
    assert!(broker.running().is_empty());
}

#[test]
fn pool_retries_after_the_backoff() {
    let (broker, clock) = broker();
    register_flaky(&broker, "webhook", 1);
    let broker = Arc::new(broker);
    let pool = WorkerPool::start(Arc::clone(&broker), 2);
    let id = broker.submit(JobSpec::new("webhook")).unwrap();
    wait_until("the retry to be scheduled", || {
        broker.status(id) == Some(JobState::Scheduled)
    });
    clock.advance(60_000);
    let result = broker.results().wait_for(id, WAIT).expect("job finished");
    assert_eq!(result.attempts, 2);
    pool.stop();
    assert_eq!(broker.metrics().snapshot().retried, 1);
}

#[test]
fn pool_dead_letters_permanent_failures_immediately() {
    let (broker, _) = broker();
    broker.register("sms", |_: &rsqueue::Job| Err(JobError::permanent("bad number")));
    let broker = Arc::new(broker);
    let pool = WorkerPool::start(Arc::clone(&broker), 2);
    let id = broker.submit(JobSpec::new("sms")).unwrap();
    let result = broker.results().wait_for(id, WAIT).expect("job finished");
    pool.stop();
    assert_eq!(result.attempts, 1);
    assert_eq!(
        result.outcome,
        Outcome::Dead {
            reason: "permanent: bad number".into()
        }
    );
    assert_eq!(broker.dead_letters().len(), 1);
    assert_eq!(broker.metrics().snapshot().retried, 0);
}

#[test]
fn pool_dead_letters_jobs_without_a_handler() {
    let (broker, _) = broker();
    let broker = Arc::new(broker);
    let pool = WorkerPool::start(Arc::clone(&broker), 1);
    let id = broker.submit(JobSpec::new("nobody")).unwrap();
    let result = broker.results().wait_for(id, WAIT).expect("job finished");
    pool.stop();
    match result.outcome {
        Outcome::Dead { reason } => assert!(reason.contains("no handler"), "{reason}"),
        other => panic!("expected a dead job, got {other:?}"),
    }
    assert!(broker.dead_letters().contains(id));
}

#[test]
fn start_default_uses_the_configured_worker_count() {
    let (broker, _) = broker();
    let pool = WorkerPool::start_default(Arc::new(broker));
    assert_eq!(pool.size(), test_config().workers);
    assert_eq!(pool.stop(), 0);
}
