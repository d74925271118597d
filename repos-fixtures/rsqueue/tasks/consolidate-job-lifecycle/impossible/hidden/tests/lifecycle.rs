//! Hidden tests for the consolidated job lifecycle (task consolidate-job-lifecycle).

mod common;

use common::*;
use rsqueue::lifecycle::{Disposition, JobLifecycle};
use rsqueue::results::Outcome;
use rsqueue::{Broker, Job, JobError, JobId, JobSpec, JobState, QueueError};

/// Submit a job and take it out of the ready queue as a worker would.
fn take(broker: &Broker, spec: JobSpec) -> Job {
    let id = broker.submit(spec).unwrap();
    let job = broker.queue().try_pop().expect("queued job");
    assert_eq!(job.id, id);
    job
}

fn journal_lines(broker: &Broker) -> Vec<String> {
    broker.journal().tail(100)
}

#[test]
fn complete_files_result_metrics_and_journal() {
    let (broker, _) = broker();
    let mut job = take(&broker, JobSpec::new("email"));
    job.attempts = 1;
    let lifecycle: JobLifecycle<'_> = broker.lifecycle();
    assert_eq!(
        lifecycle.complete(job, "sent".to_string()),
        Disposition::Completed
    );
    let result = broker.results().get(JobId(1)).unwrap();
    assert_eq!(
        result.outcome,
        Outcome::Succeeded {
            output: "sent".into()
        }
    );
    assert_eq!(result.attempts, 1);
    assert_eq!(broker.metrics().snapshot().succeeded, 1);
    assert!(journal_lines(&broker)
        .last()
        .unwrap()
        .ends_with(" done job-000001 attempt=1"));
    assert_eq!(broker.status(JobId(1)), Some(JobState::Succeeded));
}

#[test]
fn fail_schedules_a_retry_with_the_policy_backoff() {
    let (broker, _) = broker();
    let mut job = take(&broker, JobSpec::new("webhook"));
    job.attempts = 3;
    let disposition = broker
        .lifecycle()
        .fail(job, JobError::retryable("timeout"));
    let run_at = START + broker.retry_policy().backoff_ms(3);
    assert_eq!(run_at, START + 4 * broker.config().backoff_base_ms);
    assert_eq!(
        disposition,
        Disposition::Retrying { attempt: 3, run_at }
    );
    assert_eq!(disposition.state(), JobState::Scheduled);
    let scheduled = broker.scheduler().snapshot();
    assert_eq!(scheduled.len(), 1);
    assert_eq!(scheduled[0].run_at, run_at);
    assert_eq!(scheduled[0].attempts, 3);
    assert_eq!(scheduled[0].last_error.as_deref(), Some("timeout"));
    let snap = broker.metrics().snapshot();
    assert_eq!(snap.retried, 1);
    assert_eq!(snap.per_kind["webhook"].failed_attempts, 1);
    assert!(broker.results().get(JobId(1)).is_none());
}

#[test]
fn permanent_failures_are_dead_lettered_at_once() {
    let (broker, _) = broker();
    let mut job = take(&broker, JobSpec::new("sms"));
    job.attempts = 1;
    let disposition = broker
        .lifecycle()
        .fail(job, JobError::permanent("bad number"));
    assert!(
        matches!(disposition, Disposition::Retrying { attempt: 1, .. }),
        "{disposition:?}"
    );
    assert!(broker.dead_letters().get(JobId(1)).is_none());
    assert_eq!(broker.scheduler().snapshot().len(), 1);
}

#[test]
fn the_jobs_own_max_attempts_decides() {
    let (broker, _) = broker();
    assert_eq!(broker.config().max_attempts, 5);
    let mut short = take(&broker, JobSpec::new("a").max_attempts(2));
    short.attempts = 2;
    assert!(matches!(
        broker.lifecycle().fail(short, JobError::retryable("x")),
        Disposition::DeadLettered { .. }
    ));
    let mut long = take(&broker, JobSpec::new("a").max_attempts(8));
    long.attempts = 5;
    assert!(matches!(
        broker.lifecycle().fail(long, JobError::retryable("x")),
        Disposition::Retrying { attempt: 5, .. }
    ));
}

#[test]
fn execute_counts_the_attempt_and_runs_the_handler() {
    let (broker, _) = broker();
    broker.register("email", echo);
    let job = take(&broker, JobSpec::new("email"));
    assert_eq!(broker.lifecycle().execute(job), Disposition::Completed);
    let result = broker.results().get(JobId(1)).unwrap();
    assert_eq!(result.attempts, 1);
    let lines = journal_lines(&broker);
    assert!(lines[1].ends_with(" start job-000001 attempt=1"), "{lines:?}");
    assert!(lines[2].ends_with(" done job-000001 attempt=1"), "{lines:?}");
    assert_eq!(broker.metrics().snapshot().started, 1);
    assert!(broker.running().is_empty());
}

#[test]
fn execute_without_a_handler_dead_letters_the_job() {
    let (broker, _) = broker();
    let job = take(&broker, JobSpec::new("nobody"));
    match broker.lifecycle().execute(job) {
        Disposition::DeadLettered { reason } => assert!(reason.contains("no handler"), "{reason}"),
        other => panic!("expected a dead letter, got {other:?}"),
    }
    assert!(broker.dead_letters().contains(JobId(1)));
    assert_eq!(broker.metrics().snapshot().dead_lettered, 1);
}

#[test]
fn requeue_dead_resets_the_job_and_forgets_the_stale_result() {
    let (broker, _) = broker();
    let mut job = take(&broker, JobSpec::new("sms"));
    job.attempts = 1;
    broker
        .lifecycle()
        .fail(job, JobError::permanent("bad number"));
    assert!(broker.results().get(JobId(1)).is_some());

    broker.lifecycle().requeue_dead(JobId(1)).unwrap();
    assert!(broker.dead_letters().is_empty());
    assert!(broker.results().get(JobId(1)).is_none());
    assert_eq!(broker.status(JobId(1)), Some(JobState::Queued));
    let queued = broker.queue().snapshot();
    assert_eq!(queued[0].attempts, 0);
    assert_eq!(queued[0].last_error, None);
    assert_eq!(broker.metrics().snapshot().requeued, 1);
    assert!(journal_lines(&broker)
        .last()
        .unwrap()
        .ends_with(" requeue job-000001"));
    assert_eq!(
        broker.lifecycle().requeue_dead(JobId(1)),
        Err(QueueError::UnknownJob(JobId(1)))
    );
}

#[test]
fn requeue_dead_kind_moves_only_that_kind() {
    let (broker, _) = broker();
    for kind in ["sms", "email", "sms"] {
        let mut job = take(&broker, JobSpec::new(kind));
        job.attempts = 1;
        broker.lifecycle().fail(job, JobError::permanent("nope"));
    }
    assert_eq!(broker.lifecycle().requeue_dead_kind("sms"), Ok(2));
    assert_eq!(broker.lifecycle().requeue_dead_kind("sms"), Ok(0));
    assert_eq!(broker.status(JobId(1)), Some(JobState::Queued));
    assert_eq!(broker.status(JobId(2)), Some(JobState::Dead));
    assert_eq!(broker.status(JobId(3)), Some(JobState::Queued));
    assert!(broker.results().get(JobId(3)).is_none());
    assert_eq!(broker.metrics().snapshot().requeued, 2);
}
