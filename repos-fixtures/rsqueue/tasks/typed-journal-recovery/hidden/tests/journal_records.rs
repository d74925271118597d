//! Hidden tests for typed journal records (task typed-journal-recovery).

mod common;

use common::*;
use rsqueue::admin::handle;
use rsqueue::journal::{Journal, JournalEntry, Record};
use rsqueue::sync::Arc;
use rsqueue::{Broker, Job, JobError, JobId, JobSpec, Payload, Priority, QueueError};

fn sample_job() -> Job {
    let spec = JobSpec::new("email.send")
        .priority(Priority::Critical)
        .field("to", "ops@example.com")
        .field("body", "50% off & free = yes\nbye")
        .max_attempts(7)
        .delay_ms(2_500);
    Job::from_spec(JobId(12), &spec, 5, START)
}

fn records(broker: &Broker) -> Vec<Record> {
    broker
        .journal()
        .entries()
        .into_iter()
        .map(|e| e.record)
        .collect()
}

#[test]
fn every_record_roundtrips_through_its_line() {
    let all = vec![
        Record::Submitted { job: sample_job() },
        Record::Submitted {
            job: Job::from_spec(JobId(1), &JobSpec::new("x"), 3, 0),
        },
        Record::Started {
            id: JobId(12),
            attempt: 1,
        },
        Record::Completed {
            id: JobId(12),
            attempt: 1,
            output: "sent to ops@example.com (250 OK) 100%".into(),
        },
        Record::Completed {
            id: JobId(13),
            attempt: 2,
            output: String::new(),
        },
        Record::RetryScheduled {
            id: JobId(12),
            attempt: 2,
            run_at: START + 1_000,
            error: "connection reset by peer\ttimeout=30s".into(),
        },
        Record::DeadLettered {
            id: JobId(12),
            attempt: 7,
            reason: "permanent: mailbox `ops` does not exist".into(),
        },
        Record::Cancelled { id: JobId(99) },
        Record::Requeued { id: JobId(12) },
    ];
    for record in all {
        let line = record.encode();
        assert!(!line.contains('\n'), "{line}");
        assert_eq!(Record::decode(&line), Ok(record.clone()), "{line}");
    }
}

#[test]
fn lines_keep_the_established_format() {
    let job = sample_job();
    let line = Record::Submitted { job: job.clone() }.encode();
    assert!(
        line.starts_with("submit job-000012 kind=email.send priority=critical max_attempts=7 "),
        "{line}"
    );
    assert!(line.contains(&format!(" run_at={} ", START + 2_500)), "{line}");
    assert!(line.contains(&format!(" payload={}", job.payload.encode())), "{line}");
    assert_eq!(
        Record::Started {
            id: JobId(3),
            attempt: 2
        }
        .encode(),
        "start job-000003 attempt=2"
    );
    assert_eq!(
        Record::RetryScheduled {
            id: JobId(3),
            attempt: 2,
            run_at: 7_000,
            error: "timed out".into()
        }
        .encode(),
        "retry job-000003 attempt=2 run_at=7000 error=timed%20out"
    );
    assert_eq!(Record::Cancelled { id: JobId(4) }.encode(), "cancel job-000004");
    assert_eq!(Record::Requeued { id: JobId(4) }.encode(), "requeue job-000004");
    assert!(Record::Completed {
        id: JobId(5),
        attempt: 1,
        output: "ok".into()
    }
    .encode()
    .starts_with("done job-000005 attempt=1"));
    assert!(Record::DeadLettered {
        id: JobId(5),
        attempt: 3,
        reason: "gone".into()
    }
    .encode()
    .starts_with("dead job-000005 attempt=3"));
}

#[test]
fn decode_rejects_broken_lines() {
    for line in [
        "",
        "explode job-000001",
        "cancel",
        "cancel job-x",
        "start job-000001",
        "start job-000001 attempt=two",
        "retry job-000001 attempt=1 error=x",
        "done job-000001 attempt=1 output=%zz",
        "submit job-000001 kind=a priority=urgent max_attempts=1 run_at=0 created_at=0 payload=-",
    ] {
        assert!(
            matches!(Record::decode(line), Err(QueueError::Malformed(_))),
            "`{line}` should be rejected"
        );
    }
}

#[test]
fn journal_entries_carry_typed_records() {
    let journal = Journal::new(10);
    let lsn = journal.append(START, Record::Cancelled { id: JobId(8) });
    assert_eq!(lsn, 1);
    let entries: Vec<JournalEntry> = journal.entries();
    assert_eq!(entries[0].record, Record::Cancelled { id: JobId(8) });
    assert_eq!(entries[0].at, START);
    assert_eq!(entries[0].render(), format!("1 {START} cancel job-000008"));
    assert_eq!(journal.tail(1), vec![format!("1 {START} cancel job-000008")]);
}

#[test]
fn submit_journals_the_whole_job() {
    let (broker, _) = broker();
    let id = broker
        .submit(
            JobSpec::new("email")
                .priority(Priority::High)
                .field("to", "a b@example.com")
                .max_attempts(2)
                .delay_ms(10),
        )
        .unwrap();
    let expected = Job {
        id,
        kind: "email".into(),
        payload: Payload::new().with("to", "a b@example.com"),
        priority: Priority::High,
        attempts: 0,
        max_attempts: 2,
        created_at: START,
        run_at: START + 10,
        last_error: None,
    };
    assert_eq!(records(&broker), vec![Record::Submitted { job: expected }]);
}

#[test]
fn run_next_writes_the_same_records_as_the_workers() {
    let (broker, clock) = broker();
    register_flaky(&broker, "webhook", 1);
    let id = broker.submit(JobSpec::new("webhook")).unwrap();
    broker.run_until_idle();
    let retry_at = broker.scheduler().snapshot()[0].run_at;
    clock.set(retry_at);
    broker.run_until_idle();
    let got = records(&broker);
    assert_eq!(
        got[1..].to_vec(),
        vec![
            Record::Started { id, attempt: 1 },
            Record::RetryScheduled {
                id,
                attempt: 1,
                run_at: retry_at,
                error: "connection reset".into()
            },
            Record::Started { id, attempt: 2 },
            Record::Completed {
                id,
                attempt: 2,
                output: "ok after 2 attempts".into()
            },
        ]
    );
}

#[test]
fn dead_letters_and_requeues_are_journaled() {
    let (broker, _) = broker_with(rsqueue::Config {
        max_attempts: 1,
        ..test_config()
    });
    broker.register("sms", |_: &Job| Err(JobError::retryable("down")));
    let id = broker.submit(JobSpec::new("sms")).unwrap();
    broker.run_until_idle();
    assert_eq!(
        records(&broker).last(),
        Some(&Record::DeadLettered {
            id,
            attempt: 1,
            reason: "down".into()
        })
    );
    assert!(handle(&broker, &format!("dead requeue {id}")).ok);
    assert_eq!(records(&broker).last(), Some(&Record::Requeued { id }));
    let other = broker.submit(JobSpec::new("sms")).unwrap();
    broker.run_until_idle();
    assert_eq!(handle(&broker, "dead requeue-kind sms").body, "requeued 2");
    let tail: Vec<Record> = records(&broker).into_iter().rev().take(2).collect();
    assert!(tail.contains(&Record::Requeued { id }));
    assert!(tail.contains(&Record::Requeued { id: other }));
}

#[test]
fn brokers_can_share_an_injected_journal() {
    let journal = Arc::new(Journal::new(100));
    let clock = Arc::new(rsqueue::ManualClock::new(START));
    let broker = Broker::with_journal(test_config(), clock, Arc::clone(&journal));
    let id = broker.submit(JobSpec::new("email")).unwrap();
    broker.cancel(id).unwrap();
    assert_eq!(journal.len(), 2);
    assert_eq!(
        journal.entries()[1].record,
        Record::Cancelled { id }
    );
    assert_eq!(broker.journal().len(), 2);
}
