#![cfg(feature = "shuttle")]
//! Model-checked concurrency test for the dead-letter queue.
//!
//! Only built by `cargo test --features shuttle --test race_dead_letters`; in
//! the normal build this file is empty. With the feature on, `rsqueue::sync`
//! re-exports shuttle's `Mutex`/`Arc`/`thread`, so shuttle decides which
//! thread runs at every lock acquisition and explores the interleavings of a
//! worker dead-lettering a job while an operator requeues that kind.
//! A deadlock (every thread blocked) makes shuttle panic, failing the test.
//!
//! A failure prints the schedule; swap the `check_*` call for
//! `shuttle::replay(scenario, "<schedule>")` to re-run exactly that interleaving.

use rsqueue::deadletter::{DeadLetter, DeadLetterQueue};
use rsqueue::sync::{thread, Arc};
use rsqueue::{Job, JobId, JobSpec};

fn letter(id: u64, kind: &str) -> DeadLetter {
    let job = Job::from_spec(JobId(id), &JobSpec::new(kind), 3, 0);
    DeadLetter::new(job, "upstream unavailable", 1_000 + id)
}

/// A worker dead-letters a job while an operator requeues the same kind.
fn push_while_requeueing_kind() {
    let dlq = Arc::new(DeadLetterQueue::new(100));
    dlq.push(letter(1, "webhook"));
    let worker = {
        let dlq = Arc::clone(&dlq);
        thread::spawn(move || {
            dlq.push(letter(2, "webhook"));
        })
    };
    let operator = {
        let dlq = Arc::clone(&dlq);
        thread::spawn(move || dlq.take_kind("webhook").len())
    };
    worker.join().expect("worker panicked");
    let taken = operator.join().expect("operator panicked");
    assert!(taken == 1 || taken == 2, "took {taken} letters");
    assert_eq!(dlq.len(), 2 - taken, "letters lost or duplicated");
}

/// Two workers dead-letter jobs of different kinds while a whole kind is requeued.
fn two_pushes_and_a_requeue() {
    let dlq = Arc::new(DeadLetterQueue::new(100));
    dlq.push(letter(1, "sms"));
    let handles: Vec<_> = [(2, "sms"), (3, "email")]
        .into_iter()
        .map(|(id, kind)| {
            let dlq = Arc::clone(&dlq);
            thread::spawn(move || {
                dlq.push(letter(id, kind));
            })
        })
        .collect();
    let taken = {
        let dlq = Arc::clone(&dlq);
        thread::spawn(move || dlq.take_kind("sms").len())
    };
    for h in handles {
        h.join().expect("worker panicked");
    }
    let taken = taken.join().expect("operator panicked");
    assert_eq!(dlq.len(), 3 - taken);
}

#[test]
fn dead_lettering_and_requeueing_a_kind_do_not_deadlock() {
    shuttle::check_random(push_while_requeueing_kind, 1000);
}

#[test]
fn concurrent_pushes_and_kind_requeue_do_not_deadlock() {
    shuttle::check_pct(two_pushes_and_a_requeue, 1000, 3);
}
