mod common;

use common::*;
use rsqueue::admin::handle;
use rsqueue::{JobId, JobSpec, JobState, Priority};

/// Submit a job of `kind` that always fails and run it until it is dead.
fn kill(broker: &rsqueue::Broker, clock: &rsqueue::ManualClock, kind: &str) -> JobId {
    let id = broker
        .submit(JobSpec::new(kind).max_attempts(broker.config().max_attempts))
        .unwrap();
    while broker.status(id) != Some(JobState::Dead) {
        broker.run_until_idle();
        clock.advance(120_000);
    }
    id
}

#[test]
fn stats_reports_depths_and_counters() {
    let (broker, _) = broker();
    broker.submit(JobSpec::new("email")).unwrap();
    broker.submit(JobSpec::new("email").delay_ms(10)).unwrap();
    let resp = handle(&broker, "stats");
    assert!(resp.ok);
    assert_eq!(
        resp.lines()[0],
        "queued=1 scheduled=1 running=0 dead=0 results=0"
    );
    assert!(resp.body.contains("rsqueue_jobs_submitted_total 2\n"));
}

#[test]
fn queue_lists_jobs_in_pop_order() {
    let (broker, _) = broker();
    broker.submit(JobSpec::new("email")).unwrap();
    broker
        .submit(JobSpec::new("sms").priority(Priority::High))
        .unwrap();
    let resp = handle(&broker, "queue");
    assert_eq!(
        resp.lines(),
        vec![
            "job-000002 kind=sms priority=high attempts=0",
            "job-000001 kind=email priority=normal attempts=0",
        ]
    );
}

#[test]
fn job_and_cancel_commands() {
    let (broker, _) = broker();
    broker.register("email", echo);
    let id = broker.submit(JobSpec::new("email")).unwrap();
    assert_eq!(handle(&broker, "job job-000001").body, "job-000001 state=queued");
    assert_eq!(handle(&broker, "cancel 1").body, format!("cancelled {id}"));
    assert_eq!(
        handle(&broker, "job 1").body,
        "job-000001 state=cancelled attempts=0"
    );
    let again = handle(&broker, "cancel job-000001");
    assert!(!again.ok);
    assert!(again.body.starts_with("error=invalid_state "));
    let done = broker.submit(JobSpec::new("email")).unwrap();
    broker.run_until_idle();
    assert_eq!(
        handle(&broker, &format!("job {done}")).body,
        "job-000002 state=succeeded attempts=1 output=ok%20email%20job-000002"
    );
}

#[test]
fn unknown_and_malformed_commands_are_errors() {
    let (broker, _) = broker();
    for command in ["", "frobnicate", "job", "job abc", "dead purge soon", "journal tail x"] {
        let resp = handle(&broker, command);
        assert!(!resp.ok, "`{command}` should fail");
        assert!(resp.body.starts_with("error="), "{}", resp.body);
    }
    assert_eq!(
        handle(&broker, "job 77").body,
        "error=unknown_job message=unknown%20job%20job-000077"
    );
}

#[test]
fn dead_letters_can_be_listed_and_requeued() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    let id = kill(&broker, &clock, "webhook");
    let list = handle(&broker, "dead list");
    assert_eq!(list.lines().len(), 1);
    assert!(list.body.starts_with(&format!("{id} kind=webhook attempts=")));
    assert_eq!(handle(&broker, "dead kinds").body, "webhook 1");
    assert_eq!(handle(&broker, "dead list sms").body, "");

    broker.register("webhook", echo);
    assert_eq!(handle(&broker, &format!("dead requeue {id}")).body, format!("requeued {id}"));
    assert!(broker.dead_letters().is_empty());
    assert_eq!(broker.status(id), Some(JobState::Queued));
    assert_eq!(broker.queue().snapshot()[0].attempts, 0);
    broker.run_until_idle();
    assert_eq!(broker.status(id), Some(JobState::Succeeded));
    assert!(!handle(&broker, &format!("dead requeue {id}")).ok);
}

#[test]
fn requeue_kind_moves_every_letter_of_that_kind() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    broker.register("sms", always_down);
    let a = kill(&broker, &clock, "webhook");
    let b = kill(&broker, &clock, "sms");
    let c = kill(&broker, &clock, "webhook");
    assert_eq!(handle(&broker, "dead requeue-kind webhook").body, "requeued 2");
    assert_eq!(broker.status(a), Some(JobState::Queued));
    assert_eq!(broker.status(c), Some(JobState::Queued));
    assert_eq!(broker.status(b), Some(JobState::Dead));
    assert_eq!(handle(&broker, "dead requeue-kind webhook").body, "requeued 0");
}

#[test]
fn purge_drops_old_dead_letters() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    kill(&broker, &clock, "webhook");
    clock.advance(1_000_000);
    kill(&broker, &clock, "webhook");
    assert_eq!(broker.dead_letters().len(), 2);
    assert_eq!(handle(&broker, "dead purge 900000").body, "purged 1");
    assert_eq!(broker.dead_letters().len(), 1);
}

#[test]
fn handlers_lists_registered_kinds() {
    let (broker, _) = broker();
    broker.register("sms", echo);
    broker.register("email", echo);
    assert_eq!(handle(&broker, "handlers").body, "email\nsms");
}
