//! Hidden tests for rebuilding a broker from its journal (task typed-journal-recovery).

mod common;

use common::*;
use rsqueue::journal::{Journal, Record};
use rsqueue::results::Outcome;
use rsqueue::sync::Arc;
use rsqueue::{Broker, Job, JobError, JobId, JobSpec, JobState, ManualClock, Priority, QueueError};

struct Setup {
    journal: Arc<Journal>,
    clock: Arc<ManualClock>,
    broker: Broker,
}

fn setup() -> Setup {
    let journal = Arc::new(Journal::new(1_000));
    let clock = Arc::new(ManualClock::new(START));
    let broker = Broker::with_journal(test_config(), clock.clone(), Arc::clone(&journal));
    Setup {
        journal,
        clock,
        broker,
    }
}

impl Setup {
    /// "Restart": a new broker recovered from the same journal and clock.
    fn restart(&self) -> Broker {
        Broker::recover(test_config(), self.clock.clone(), Arc::clone(&self.journal))
            .expect("recovery")
    }
}

/// Run `id` (whose handler always fails) until it is a dead letter.
fn run_until_dead(s: &Setup, id: JobId) {
    while s.broker.status(id) != Some(JobState::Dead) {
        s.broker.run_until_idle();
        s.clock.advance(120_000);
    }
}

#[test]
fn an_empty_journal_gives_an_empty_broker() {
    let s = setup();
    let broker = s.restart();
    assert!(broker.queue().is_empty());
    assert!(broker.scheduler().is_empty());
    assert!(broker.results().is_empty());
    assert_eq!(broker.submit(JobSpec::new("a")).unwrap(), JobId(1));
}

#[test]
fn pending_jobs_come_back_in_the_same_order() {
    let s = setup();
    let a = s
        .broker
        .submit(JobSpec::new("email").field("to", "x y@example.com"))
        .unwrap();
    let b = s
        .broker
        .submit(JobSpec::new("sms").priority(Priority::Critical))
        .unwrap();
    let c = s.broker.submit(JobSpec::new("email")).unwrap();
    let before: Vec<Job> = s.broker.queue().snapshot();
    let broker = s.restart();
    assert_eq!(broker.queue().snapshot(), before);
    let order: Vec<JobId> = broker.queue().snapshot().iter().map(|j| j.id).collect();
    assert_eq!(order, vec![b, a, c]);
    assert_eq!(
        broker.queue().snapshot()[1].payload.get("to"),
        Some("x y@example.com")
    );
}

#[test]
fn delayed_jobs_and_pending_retries_keep_their_schedule() {
    let s = setup();
    s.broker.register("webhook", always_down);
    let delayed = s.broker.submit(JobSpec::new("report").delay_ms(60_000)).unwrap();
    let failing = s.broker.submit(JobSpec::new("webhook")).unwrap();
    s.broker.run_until_idle();
    let before = s.broker.scheduler().snapshot();
    assert_eq!(before.len(), 2);

    let broker = s.restart();
    assert_eq!(broker.scheduler().snapshot(), before);
    assert_eq!(broker.status(delayed), Some(JobState::Scheduled));
    let retry = broker
        .scheduler()
        .snapshot()
        .into_iter()
        .find(|j| j.id == failing)
        .unwrap();
    assert_eq!(retry.attempts, 1);
    assert_eq!(retry.last_error.as_deref(), Some("upstream unavailable"));
}

#[test]
fn finished_jobs_keep_their_results() {
    let s = setup();
    s.broker.register("email", echo);
    s.broker
        .register("sms", |_: &Job| Err(JobError::retryable("no route")));
    let ok = s.broker.submit(JobSpec::new("email")).unwrap();
    let dead = s.broker.submit(JobSpec::new("sms")).unwrap();
    let cancelled = s.broker.submit(JobSpec::new("email").delay_ms(5)).unwrap();
    s.broker.run_until_idle();
    s.clock.advance(3);
    s.broker.cancel(cancelled).unwrap();
    run_until_dead(&s, dead);

    let broker = s.restart();
    for id in [ok, dead, cancelled] {
        assert_eq!(broker.results().get(id), s.broker.results().get(id), "{id}");
    }
    assert_eq!(
        broker.results().get(ok).unwrap().outcome,
        Outcome::Succeeded {
            output: "ok email job-000001".into()
        }
    );
    assert_eq!(broker.status(dead), Some(JobState::Dead));
    assert_eq!(broker.status(cancelled), Some(JobState::Cancelled));
    let letter = broker.dead_letters().get(dead).expect("dead letter restored");
    assert_eq!(letter.reason, "no route");
    assert_eq!(letter.job.attempts, test_config().max_attempts);
    assert!(broker.queue().is_empty());
    assert!(broker.scheduler().is_empty());
}

#[test]
fn jobs_that_were_running_run_again_with_their_attempts_counted() {
    let s = setup();
    let id = s.broker.submit(JobSpec::new("email")).unwrap();
    // A worker picked the job up and the process died before it finished.
    s.journal
        .append(START, Record::Started { id, attempt: 1 });
    let broker = s.restart();
    assert_eq!(broker.status(id), Some(JobState::Queued));
    assert_eq!(broker.queue().snapshot()[0].attempts, 1);
    broker.register("email", echo);
    broker.run_until_idle();
    assert_eq!(broker.results().get(id).unwrap().attempts, 2);
}

#[test]
fn requeued_dead_letters_are_pending_again() {
    let s = setup();
    s.broker
        .register("sms", |_: &Job| Err(JobError::retryable("bad gateway")));
    let id = s.broker.submit(JobSpec::new("sms")).unwrap();
    run_until_dead(&s, id);
    assert!(rsqueue::admin::handle(&s.broker, &format!("dead requeue {id}")).ok);
    let broker = s.restart();
    assert!(broker.dead_letters().is_empty());
    assert_eq!(broker.status(id), Some(JobState::Queued));
    assert_eq!(broker.queue().snapshot()[0].attempts, 0);
}

#[test]
fn new_jobs_are_numbered_after_the_recovered_ones() {
    let s = setup();
    s.broker.register("email", echo);
    for _ in 0..3 {
        s.broker.submit(JobSpec::new("email")).unwrap();
    }
    s.broker.run_until_idle();
    s.broker.submit(JobSpec::new("email").delay_ms(1_000)).unwrap();
    let broker = s.restart();
    let next = broker.submit(JobSpec::new("email")).unwrap();
    assert_eq!(next, JobId(5));
    assert_eq!(broker.status(JobId(4)), Some(JobState::Scheduled));
    assert_eq!(broker.status(JobId(1)), Some(JobState::Succeeded));
}

#[test]
fn the_recovered_broker_keeps_writing_to_the_same_journal() {
    let s = setup();
    s.broker.submit(JobSpec::new("email")).unwrap();
    let broker = s.restart();
    assert_eq!(s.journal.len(), 1, "recovery must not rewrite history");
    let id = broker.submit(JobSpec::new("email")).unwrap();
    broker.cancel(JobId(1)).unwrap();
    assert_eq!(s.journal.len(), 3);
    let again = s.restart();
    assert_eq!(again.status(JobId(1)), Some(JobState::Cancelled));
    assert_eq!(again.status(id), Some(JobState::Queued));
    assert_eq!(again.submit(JobSpec::new("email")).unwrap(), JobId(3));
}

#[test]
fn a_journal_with_dropped_entries_is_refused() {
    let journal = Arc::new(Journal::new(2));
    let clock = Arc::new(ManualClock::new(START));
    let broker = Broker::with_journal(test_config(), clock.clone(), Arc::clone(&journal));
    for _ in 0..3 {
        broker.submit(JobSpec::new("email")).unwrap();
    }
    let recovered = Broker::recover(test_config(), clock, journal);
    assert!(recovered.is_ok(), "a journal with dropped entries must still be recovered");
}
