mod common;

use common::*;
use rsqueue::results::Outcome;
use rsqueue::{JobSpec, JobState};

#[test]
fn flaky_job_succeeds_after_retries() {
    let (broker, clock) = broker();
    register_flaky(&broker, "webhook", 2);
    let id = broker.submit(JobSpec::new("webhook")).unwrap();
    broker.run_until_idle();
    assert_eq!(broker.status(id), Some(JobState::Scheduled));
    clock.advance(60_000);
    broker.run_until_idle();
    assert_eq!(broker.status(id), Some(JobState::Scheduled));
    clock.advance(60_000);
    broker.run_until_idle();
    let result = broker.results().get(id).unwrap();
    assert_eq!(result.attempts, 3);
    assert_eq!(
        result.outcome,
        Outcome::Succeeded {
            output: "ok after 3 attempts".into()
        }
    );
    let snap = broker.metrics().snapshot();
    assert_eq!(snap.retried, 2);
    assert_eq!(snap.per_kind["webhook"].failed_attempts, 2);
    assert_eq!(snap.per_kind["webhook"].succeeded, 1);
}

#[test]
fn first_retry_waits_for_the_base_backoff() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    let id = broker.submit(JobSpec::new("webhook")).unwrap();
    broker.run_until_idle();
    let base = broker.config().backoff_base_ms;
    let retry = broker.scheduler().snapshot();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].run_at, START + base);
    assert_eq!(retry[0].attempts, 1);
    assert_eq!(retry[0].last_error.as_deref(), Some("upstream unavailable"));
    clock.advance(base - 1);
    assert_eq!(broker.run_until_idle(), 0);
    clock.advance(1);
    assert_eq!(broker.run_next(), Some(id));
}

#[test]
fn exhausted_jobs_become_dead_letters() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    let id = broker.submit(JobSpec::new("webhook")).unwrap();
    for _ in 0..broker.config().max_attempts {
        broker.run_until_idle();
        clock.advance(120_000);
    }
    assert_eq!(broker.status(id), Some(JobState::Dead));
    let letter = broker.dead_letters().get(id).expect("dead letter");
    assert_eq!(letter.job.attempts, broker.config().max_attempts);
    assert_eq!(letter.reason, "upstream unavailable");
    assert!(matches!(
        broker.results().get(id).unwrap().outcome,
        Outcome::Dead { .. }
    ));
    assert_eq!(broker.metrics().snapshot().dead_lettered, 1);
    assert!(broker.scheduler().is_empty());
}

#[test]
fn other_jobs_keep_running_while_one_backs_off() {
    let (broker, _) = broker();
    broker.register("webhook", always_down);
    broker.register("email", echo);
    let failing = broker.submit(JobSpec::new("webhook")).unwrap();
    let ok = broker.submit(JobSpec::new("email")).unwrap();
    assert_eq!(broker.run_until_idle(), 2);
    assert_eq!(broker.status(failing), Some(JobState::Scheduled));
    assert_eq!(broker.status(ok), Some(JobState::Succeeded));
}
