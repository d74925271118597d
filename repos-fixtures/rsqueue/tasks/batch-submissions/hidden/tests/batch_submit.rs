mod common;

use common::*;
use rsqueue::ids::IdGenerator;
use rsqueue::journal::Journal;
use rsqueue::queue::JobQueue;
use rsqueue::scheduler::Scheduler;
use rsqueue::sync::{thread, Arc};
use rsqueue::{Config, Job, JobId, JobSpec, JobState, Priority, QueueError};

fn job(id: u64, kind: &str, priority: Priority) -> Job {
    Job::from_spec(JobId(id), &JobSpec::new(kind).priority(priority), 3, START)
}

#[test]
fn a_batch_gets_consecutive_ids_in_the_order_given() {
    let (broker, _) = broker();
    assert_eq!(broker.submit(JobSpec::new("email")).unwrap(), JobId(1));
    let ids = broker
        .submit_batch(vec![
            JobSpec::new("sms"),
            JobSpec::new("email").priority(Priority::High),
            JobSpec::new("push").delay_ms(1_000),
        ])
        .unwrap();
    assert_eq!(ids, vec![JobId(2), JobId(3), JobId(4)]);
    assert_eq!(broker.submit(JobSpec::new("email")).unwrap(), JobId(5));
    assert_eq!(broker.status(JobId(2)), Some(JobState::Queued));
    assert_eq!(broker.status(JobId(3)), Some(JobState::Queued));
    assert_eq!(broker.status(JobId(4)), Some(JobState::Scheduled));
    let order: Vec<JobId> = broker.queue().snapshot().iter().map(|j| j.id).collect();
    assert_eq!(order, vec![JobId(3), JobId(1), JobId(2), JobId(5)]);
    assert_eq!(broker.metrics().snapshot().submitted, 5);
}

#[test]
fn an_empty_batch_changes_nothing() {
    let (broker, _) = broker();
    assert_eq!(broker.submit_batch(Vec::new()), Ok(Vec::new()));
    assert!(broker.journal().entries().is_empty());
    assert_eq!(broker.metrics().snapshot().submitted, 0);
    assert_eq!(broker.submit(JobSpec::new("email")).unwrap(), JobId(1));
}

#[test]
fn one_bad_kind_refuses_the_whole_batch() {
    let (broker, _) = broker();
    let err = broker
        .submit_batch(vec![
            JobSpec::new("email"),
            JobSpec::new("email").delay_ms(10),
            JobSpec::new("bad kind"),
        ])
        .unwrap_err();
    assert_eq!(err, QueueError::InvalidKind("bad kind".into()));
    assert!(broker.queue().is_empty());
    assert!(broker.scheduler().is_empty());
    assert!(broker.journal().entries().is_empty());
    assert_eq!(broker.metrics().snapshot().submitted, 0);
    assert_eq!(broker.submit(JobSpec::new("email")).unwrap(), JobId(1));
}

#[test]
fn a_batch_that_does_not_fit_is_refused_whole() {
    let (broker, _) = broker_with(Config {
        queue_capacity: 3,
        ..test_config()
    });
    broker.submit(JobSpec::new("email")).unwrap();
    broker.submit(JobSpec::new("email")).unwrap();
    let err = broker
        .submit_batch(vec![
            JobSpec::new("sms").delay_ms(50),
            JobSpec::new("sms"),
            JobSpec::new("sms"),
        ])
        .unwrap_err();
    assert_eq!(err, QueueError::QueueFull { capacity: 3 });
    assert_eq!(broker.queue().len(), 2);
    assert!(broker.scheduler().is_empty());
    assert_eq!(broker.journal().len(), 2);
    assert_eq!(broker.metrics().snapshot().submitted, 2);
    let fits = broker
        .submit_batch(vec![JobSpec::new("sms"), JobSpec::new("sms").delay_ms(50)])
        .unwrap();
    assert_eq!(fits.len(), 2);
    assert_eq!(broker.queue().len(), 3);
    assert_eq!(broker.scheduler().len(), 1);
}

#[test]
fn a_batch_is_journaled_together_in_id_order() {
    let (broker, _) = broker();
    let ids = broker
        .submit_batch(vec![
            JobSpec::new("email").field("to", "a b"),
            JobSpec::new("sms").delay_ms(250),
        ])
        .unwrap();
    let entries = broker.journal().entries();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].lsn + 1, entries[1].lsn);
    assert_eq!(
        entries[0].line,
        format!(
            "submit {} kind=email priority=normal max_attempts=5 run_at={START} payload=to=a%20b",
            ids[0]
        )
    );
    assert!(entries[1]
        .line
        .starts_with(&format!("submit {} kind=sms priority=normal", ids[1])));
    assert!(entries[1].line.contains(&format!("run_at={}", START + 250)));
}

#[test]
fn concurrent_batches_get_disjoint_consecutive_ids() {
    let (broker, _) = broker_with(Config {
        queue_capacity: 10_000,
        ..test_config()
    });
    let broker = Arc::new(broker);
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let broker = Arc::clone(&broker);
            thread::spawn(move || {
                (0..50)
                    .map(|_| broker.submit_batch(vec![JobSpec::new("email"); 5]).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all = Vec::new();
    for handle in handles {
        for batch in handle.join().unwrap() {
            for pair in batch.windows(2) {
                assert_eq!(pair[0].0 + 1, pair[1].0, "{batch:?}");
            }
            all.extend(batch);
        }
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 1_000);
    assert_eq!(broker.queue().len(), 1_000);
    assert_eq!(broker.metrics().snapshot().submitted, 1_000);
    let entries = broker.journal().entries();
    assert_eq!(entries.len(), 1_000);
    // Each batch's five lines are adjacent in the journal.
    for chunk in entries.chunks(5) {
        let first: JobId = chunk[0].line.split(' ').nth(1).unwrap().parse().unwrap();
        for (i, entry) in chunk.iter().enumerate() {
            assert!(
                entry
                    .line
                    .starts_with(&format!("submit {} ", JobId(first.0 + i as u64))),
                "{chunk:?}"
            );
        }
    }
}

#[test]
fn id_blocks_are_consecutive() {
    let ids = IdGenerator::new();
    assert_eq!(ids.next_block(4), JobId(1));
    assert_eq!(ids.next(), JobId(5));
    assert_eq!(ids.next_block(0), JobId(6));
    assert_eq!(ids.next_block(2), JobId(6));
    assert_eq!(ids.peek(), JobId(8));
}

#[test]
fn push_all_is_all_or_nothing() {
    let queue = JobQueue::new(3);
    queue.push(job(1, "a", Priority::Normal)).unwrap();
    assert_eq!(
        queue.push_all(vec![
            job(2, "a", Priority::Normal),
            job(3, "a", Priority::Normal),
            job(4, "a", Priority::Normal),
        ]),
        Err(QueueError::QueueFull { capacity: 3 })
    );
    assert_eq!(queue.len(), 1);
    queue
        .push_all(vec![
            job(5, "a", Priority::Normal),
            job(6, "a", Priority::High),
        ])
        .unwrap();
    let order: Vec<JobId> = queue.snapshot().iter().map(|j| j.id).collect();
    assert_eq!(order, vec![JobId(6), JobId(1), JobId(5)]);
    assert_eq!(queue.push_all(Vec::new()), Ok(()));
    queue.close();
    let closed = JobQueue::new(3);
    closed.close();
    assert_eq!(
        closed.push_all(vec![job(7, "a", Priority::Normal)]),
        Err(QueueError::Closed)
    );
}

#[test]
fn schedule_all_and_append_all() {
    let scheduler = Scheduler::new();
    let mut late = job(2, "a", Priority::Normal);
    late.run_at = START + 10;
    let mut early = job(1, "a", Priority::Normal);
    early.run_at = START + 5;
    scheduler.schedule_all(vec![late, early]);
    assert_eq!(scheduler.len(), 2);
    assert_eq!(scheduler.next_run_at(), Some(START + 5));

    let journal = Journal::new(3);
    assert_eq!(journal.append(1, "x"), 1);
    assert_eq!(
        journal.append_all(2, vec!["a".into(), "b".into(), "c".into()]),
        vec![2, 3, 4]
    );
    assert_eq!(journal.append_all(3, Vec::new()), Vec::<u64>::new());
    assert_eq!(journal.len(), 3);
    assert_eq!(journal.dropped(), 1);
    assert_eq!(journal.tail(3), vec!["2 2 a", "3 2 b", "4 2 c"]);
}
