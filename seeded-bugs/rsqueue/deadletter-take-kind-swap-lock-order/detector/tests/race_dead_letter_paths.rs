#![cfg(feature = "shuttle")]
//! Model-checked concurrency test for every path of the dead-letter queue
//! (seeding pool).
//!
//! Only built by `cargo test --features shuttle --test race_dead_letter_paths`;
//! in the normal build this file is empty. With the feature on,
//! `rsqueue::sync` re-exports shuttle's primitives and shuttle explores how a
//! worker dead-lettering a job interleaves with each operator action (take one
//! letter, list a kind, purge old letters, requeue a kind). A deadlock makes
//! shuttle panic; the checks catch letters lost, duplicated or half indexed.

use rsqueue::deadletter::{DeadLetter, DeadLetterQueue};
use rsqueue::sync::{thread, Arc};
use rsqueue::{Job, JobId, JobSpec};

fn letter(id: u64, kind: &str, died_at: u64) -> DeadLetter {
    let job = Job::from_spec(JobId(id), &JobSpec::new(kind), 3, 0);
    DeadLetter::new(job, "upstream unavailable", died_at)
}

/// One worker pushes letter 3 while `operator` runs; then the index and the map must agree.
fn push_during(operator: fn(&DeadLetterQueue)) {
    let dlq = Arc::new(DeadLetterQueue::new(100));
    dlq.push(letter(1, "webhook", 100));
    dlq.push(letter(2, "webhook", 5_000));
    let worker = {
        let dlq = Arc::clone(&dlq);
        thread::spawn(move || {
            dlq.push(letter(3, "webhook", 6_000));
        })
    };
    let op = {
        let dlq = Arc::clone(&dlq);
        thread::spawn(move || operator(&dlq))
    };
    worker.join().expect("worker panicked");
    op.join().expect("operator panicked");
    let listed: usize = dlq.kinds().iter().map(|(_, n)| n).sum();
    assert_eq!(listed, dlq.len(), "the kind index and the letters disagree: {:?} vs {} letters", dlq.kinds(), dlq.len());
    assert_eq!(dlq.list_kind("webhook").len(), dlq.len(), "list_kind misses letters");
}

fn explore(operator: fn(&DeadLetterQueue)) {
    shuttle::check_random(move || push_during(operator), 1000);
    shuttle::check_pct(move || push_during(operator), 1000, 3);
}

#[test]
fn taking_one_letter_during_a_push() {
    explore(|dlq| {
        assert!(dlq.take(JobId(1)).is_some());
    });
}

#[test]
fn listing_a_kind_during_a_push() {
    explore(|dlq| {
        let n = dlq.list_kind("webhook").len();
        assert!((2..=3).contains(&n), "listed {n}");
    });
}

#[test]
fn purging_during_a_push() {
    explore(|dlq| {
        assert_eq!(dlq.purge_before(1_000), 1);
    });
}

#[test]
fn requeueing_a_kind_during_a_push() {
    explore(|dlq| {
        let n = dlq.take_kind("webhook").len();
        assert!((2..=3).contains(&n), "took {n}");
    });
}
