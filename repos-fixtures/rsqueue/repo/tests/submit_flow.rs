mod common;

use common::*;
use rsqueue::results::Outcome;
use rsqueue::{JobId, JobSpec, JobState, Priority, QueueError};

#[test]
fn jobs_run_in_priority_order() {
    let (broker, _) = broker();
    broker.register("email", echo);
    let low = broker.submit(JobSpec::new("email").priority(Priority::Low)).unwrap();
    let normal = broker.submit(JobSpec::new("email")).unwrap();
    let critical = broker
        .submit(JobSpec::new("email").priority(Priority::Critical))
        .unwrap();
    let normal2 = broker.submit(JobSpec::new("email")).unwrap();
    let order: Vec<JobId> = std::iter::from_fn(|| broker.run_next()).collect();
    assert_eq!(order, vec![critical, normal, normal2, low]);
}

#[test]
fn ids_are_sequential_per_broker() {
    let (a, _) = broker();
    let (b, _) = broker();
    assert_eq!(a.submit(JobSpec::new("x")).unwrap(), JobId(1));
    assert_eq!(a.submit(JobSpec::new("x")).unwrap(), JobId(2));
    assert_eq!(b.submit(JobSpec::new("x")).unwrap(), JobId(1));
}

#[test]
fn handler_output_becomes_the_result() {
    let (broker, _) = broker();
    broker.register("email", echo);
    let id = broker
        .submit(JobSpec::new("email").field("to", "ops@example.com"))
        .unwrap();
    assert_eq!(broker.run_until_idle(), 1);
    let result = broker.results().get(id).expect("result");
    assert_eq!(
        result.outcome,
        Outcome::Succeeded {
            output: "ok email job-000001".into()
        }
    );
    assert_eq!(result.attempts, 1);
    assert_eq!(result.finished_at, START);
    assert_eq!(broker.status(id), Some(JobState::Succeeded));
}

#[test]
fn handlers_see_the_payload() {
    let (broker, _) = broker();
    broker.register("invoice", |job: &rsqueue::Job| {
        let amount = job.payload.get_u64("amount").ok_or_else(|| {
            rsqueue::JobError::permanent("amount missing")
        })?;
        Ok(format!("charged {amount}"))
    });
    let id = broker
        .submit(JobSpec::new("invoice").field("amount", "1250"))
        .unwrap();
    broker.run_until_idle();
    assert_eq!(
        broker.results().get(id).unwrap().outcome,
        Outcome::Succeeded {
            output: "charged 1250".into()
        }
    );
}

#[test]
fn delayed_jobs_wait_for_their_time() {
    let (broker, clock) = broker();
    broker.register("report", echo);
    let id = broker.submit(JobSpec::new("report").delay_ms(5_000)).unwrap();
    assert_eq!(broker.status(id), Some(JobState::Scheduled));
    assert_eq!(broker.run_until_idle(), 0);
    clock.advance(4_999);
    assert_eq!(broker.run_until_idle(), 0);
    clock.advance(1);
    assert_eq!(broker.run_until_idle(), 1);
    assert_eq!(broker.status(id), Some(JobState::Succeeded));
}

#[test]
fn cancel_queued_and_scheduled_jobs() {
    let (broker, _) = broker();
    broker.register("email", echo);
    let queued = broker.submit(JobSpec::new("email")).unwrap();
    let scheduled = broker.submit(JobSpec::new("email").delay_ms(100)).unwrap();
    broker.cancel(queued).unwrap();
    broker.cancel(scheduled).unwrap();
    assert_eq!(broker.status(queued), Some(JobState::Cancelled));
    assert_eq!(broker.status(scheduled), Some(JobState::Cancelled));
    assert_eq!(broker.run_until_idle(), 0);
    assert_eq!(broker.metrics().snapshot().cancelled, 2);
}

#[test]
fn cancel_rejects_finished_and_unknown_jobs() {
    let (broker, _) = broker();
    broker.register("email", echo);
    let id = broker.submit(JobSpec::new("email")).unwrap();
    broker.run_until_idle();
    assert_eq!(
        broker.cancel(id),
        Err(QueueError::InvalidState {
            id,
            state: "succeeded"
        })
    );
    assert_eq!(
        broker.cancel(JobId(99)),
        Err(QueueError::UnknownJob(JobId(99)))
    );
}

#[test]
fn full_queue_rejects_submissions() {
    let config = rsqueue::Config {
        queue_capacity: 2,
        ..test_config()
    };
    let (broker, _) = broker_with(config);
    broker.submit(JobSpec::new("a")).unwrap();
    broker.submit(JobSpec::new("a")).unwrap();
    assert_eq!(
        broker.submit(JobSpec::new("a")),
        Err(QueueError::QueueFull { capacity: 2 })
    );
    // delayed jobs do not count against the ready queue
    assert!(broker.submit(JobSpec::new("a").delay_ms(10)).is_ok());
    assert_eq!(broker.metrics().snapshot().submitted, 3);
}
