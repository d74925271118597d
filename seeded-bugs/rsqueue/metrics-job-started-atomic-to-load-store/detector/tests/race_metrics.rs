#![cfg(feature = "shuttle")]
//! Model-checked concurrency test for the broker's counters (seeding pool).
//!
//! Only built by `cargo test --features shuttle --test race_metrics`; in the
//! normal build this file is empty. With the feature on, `rsqueue::sync`
//! re-exports shuttle's atomics, mutexes and threads, so shuttle controls
//! every load and store on the counters and explores how concurrent workers
//! interleave. Uses only the public API (`Metrics::new`, the `job_*` and
//! `attempt_failed` events, `snapshot`).

use rsqueue::metrics::{Metrics, MetricsSnapshot};
use rsqueue::sync::{thread, Arc};

/// Two workers report the same event at the same time; `read` picks the counter.
fn both_count(event: fn(&Metrics), read: fn(&MetricsSnapshot) -> u64, what: &'static str) {
    let metrics = Arc::new(Metrics::new());
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let metrics = Arc::clone(&metrics);
            thread::spawn(move || event(&metrics))
        })
        .collect();
    for h in handles {
        h.join().expect("worker panicked");
    }
    let snapshot = metrics.snapshot();
    assert_eq!(read(&snapshot), 2, "{what}: an increment was lost: {snapshot:?}");
}

fn explore(event: fn(&Metrics), read: fn(&MetricsSnapshot) -> u64, what: &'static str) {
    shuttle::check_random(move || both_count(event, read, what), 1000);
    shuttle::check_pct(move || both_count(event, read, what), 1000, 2);
}

#[test]
fn concurrent_submissions_are_all_counted() {
    explore(|m| m.job_submitted(), |s| s.submitted, "submitted");
}

#[test]
fn concurrent_starts_are_all_counted() {
    explore(|m| m.job_started(), |s| s.started, "started");
}

#[test]
fn concurrent_successes_are_all_counted() {
    explore(|m| m.job_succeeded("email"), |s| s.succeeded, "succeeded");
    explore(|m| m.job_succeeded("email"), |s| s.per_kind["email"].succeeded, "per-kind succeeded");
}

#[test]
fn concurrent_retries_are_all_counted() {
    explore(|m| m.job_retried(), |s| s.retried, "retried");
}

#[test]
fn concurrent_dead_letters_are_all_counted() {
    explore(|m| m.job_dead_lettered("email"), |s| s.dead_lettered, "dead-lettered");
    explore(|m| m.job_dead_lettered("email"), |s| s.per_kind["email"].dead, "per-kind dead");
}

#[test]
fn concurrent_cancellations_are_all_counted() {
    explore(|m| m.job_cancelled(), |s| s.cancelled, "cancelled");
}

#[test]
fn concurrent_requeues_are_all_counted() {
    explore(|m| m.job_requeued(), |s| s.requeued, "requeued");
}

#[test]
fn concurrent_failed_attempts_are_all_counted() {
    explore(|m| m.attempt_failed("email"), |s| s.per_kind["email"].failed_attempts, "failed attempts");
}
