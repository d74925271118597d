#![cfg(feature = "shuttle")]
//! Model-checked concurrency test for job id allocation.
//!
//! Only built by `cargo test --features shuttle --test race_job_ids`; in the
//! normal build this file is empty. With the feature on, `rsqueue::sync`
//! re-exports shuttle's atomics and threads, so shuttle controls every load
//! and store on the generator and explores how concurrent producers
//! interleave instead of waiting for the OS scheduler to hit a bad case.
//!
//! A failure prints the schedule; swap the `check_*` call for
//! `shuttle::replay(scenario, "<schedule>")` to re-run exactly that interleaving.

use rsqueue::ids::IdGenerator;
use rsqueue::sync::{thread, Arc};
use rsqueue::JobId;
use std::collections::BTreeSet;

/// `producers` threads each allocate `per_thread` ids from one generator.
fn allocate(producers: usize, per_thread: usize) -> Vec<JobId> {
    let ids = Arc::new(IdGenerator::new());
    let handles: Vec<_> = (0..producers)
        .map(|_| {
            let ids = Arc::clone(&ids);
            thread::spawn(move || (0..per_thread).map(|_| ids.next()).collect::<Vec<_>>())
        })
        .collect();
    let mut all: Vec<JobId> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("producer panicked"))
        .collect();
    all.push(ids.next());
    all
}

/// Two producers submit at the same time: they must get different ids.
fn two_producers_get_distinct_ids() {
    let all = allocate(2, 1);
    let distinct: BTreeSet<JobId> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "duplicate job ids handed out: {all:?}");
}

/// Three producers, two ids each: every id from 1 to 7 handed out exactly once.
fn no_id_is_lost_or_repeated() {
    let all = allocate(3, 2);
    let distinct: BTreeSet<u64> = all.iter().map(|id| id.0).collect();
    assert_eq!(
        distinct,
        (1..=7).collect::<BTreeSet<u64>>(),
        "ids were repeated or skipped: {all:?}"
    );
}

#[test]
fn concurrent_submissions_never_share_an_id() {
    shuttle::check_random(two_producers_get_distinct_ids, 1000);
}

#[test]
fn concurrent_id_allocation_loses_no_increment() {
    shuttle::check_pct(no_id_is_lost_or_repeated, 1000, 3);
}
