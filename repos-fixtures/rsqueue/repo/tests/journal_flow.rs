mod common;

use common::*;
use rsqueue::admin::handle;
use rsqueue::janitor::sweep;
use rsqueue::sync::Arc;
use rsqueue::{JobSpec, Priority, WorkerPool};
use std::time::Duration;

#[test]
fn submissions_are_journaled() {
    let (broker, _) = broker();
    broker
        .submit(
            JobSpec::new("email")
                .priority(Priority::High)
                .field("to", "ops@example.com"),
        )
        .unwrap();
    broker.submit(JobSpec::new("sms").delay_ms(30)).unwrap();
    assert_eq!(broker.journal().len(), 2);
    assert_eq!(broker.journal().last_lsn(), 2);
    let tail = broker.journal().tail(2);
    assert!(
        tail[0].starts_with(&format!("1 {START} submit job-000001 kind=email priority=high ")),
        "{}",
        tail[0]
    );
    assert!(tail[1].starts_with(&format!("2 {START} submit job-000002 kind=sms ")));
}

#[test]
fn worker_attempts_are_journaled() {
    let (broker, _) = broker();
    broker.register("email", echo);
    let broker = Arc::new(broker);
    let id = broker.submit(JobSpec::new("email")).unwrap();
    let pool = WorkerPool::start(Arc::clone(&broker), 1);
    broker
        .results()
        .wait_for(id, Duration::from_secs(10))
        .expect("job finished");
    pool.stop();
    let resp = handle(&broker, "journal tail 5");
    assert!(resp.ok);
    let lines = resp.lines();
    assert_eq!(lines.len(), 3, "{}", resp.body);
    assert!(lines[0].contains(" submit job-000001 "));
    assert!(lines[1].ends_with(" start job-000001 attempt=1"));
    assert!(lines[2].contains(" done job-000001 attempt=1"));
}

#[test]
fn cancellations_are_journaled() {
    let (broker, _) = broker();
    let id = broker.submit(JobSpec::new("email")).unwrap();
    broker.cancel(id).unwrap();
    let tail = broker.journal().tail(1);
    assert_eq!(tail, vec![format!("2 {START} cancel job-000001")]);
}

#[test]
fn sweep_forgets_expired_results_and_dead_letters() {
    let config = rsqueue::Config {
        result_ttl_ms: 10_000,
        max_attempts: 1,
        ..test_config()
    };
    let (broker, clock) = broker_with(config);
    broker.register("email", echo);
    broker.register("webhook", always_down);
    broker.submit(JobSpec::new("email")).unwrap();
    broker.submit(JobSpec::new("webhook")).unwrap();
    broker.run_until_idle();
    assert_eq!(broker.results().len(), 2);
    assert_eq!(broker.dead_letters().len(), 1);
    clock.advance(10_000);
    assert_eq!(sweep(&broker).results_removed, 0);
    clock.advance(1);
    let report = sweep(&broker);
    assert_eq!(report.results_removed, 2);
    assert_eq!(report.dead_letters_removed, 1);
    assert!(broker.results().is_empty());
}
