#![cfg(feature = "shuttle")]
//! Model-checked concurrency test for `RateLimiter`.
//!
//! Only built with `cargo test --features shuttle --test race_rate_limiter`; in
//! the normal build this file compiles to nothing. With the feature on,
//! `rsauth::sync` re-exports shuttle's `Mutex`/`Arc`/`thread`, so shuttle
//! controls every lock acquisition inside the limiter and explores thread
//! interleavings instead of waiting for the OS scheduler to hit one.
//!
//! When an assertion fails, shuttle prints the failing schedule, e.g.
//!     failing schedule: "91010254..."
//!     pass that schedule string into `shuttle::replay` to reproduce the failure
//! To debug it, temporarily swap the `check_*` call for
//!     shuttle::replay(two_logins_one_slot, "91010254...");
//! which re-runs exactly that interleaving, deterministically, every time.

use rsauth::ratelimit::RateLimiter;
use rsauth::sync::{thread, Arc};

/// Spawn `threads` workers that each try to take one unit for `key` at the
/// same instant; returns how many were granted.
fn race_acquires(limiter: &Arc<RateLimiter>, key: &'static str, threads: usize, now: u64) -> usize {
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let limiter = Arc::clone(limiter);
            thread::spawn(move || limiter.try_acquire(key, now))
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("worker panicked"))
        .filter(|granted| *granted)
        .count()
}

/// Two concurrent login attempts, one slot left: exactly one may get through.
fn two_logins_one_slot() {
    let limiter = Arc::new(RateLimiter::new(1, 60));
    let granted = race_acquires(&limiter, "login:alice", 2, 1_000);
    assert_eq!(granted, 1, "limit of 1 per window, but {granted} attempts were granted");
    assert_eq!(limiter.remaining("login:alice", 1_000), 0);
}

/// Three concurrent attempts well under the limit: every one must be counted.
fn concurrent_attempts_are_all_counted() {
    let limiter = Arc::new(RateLimiter::new(10, 60));
    let granted = race_acquires(&limiter, "login:bob", 3, 1_000);
    assert_eq!(granted, 3);
    assert_eq!(
        limiter.remaining("login:bob", 1_000),
        7,
        "3 attempts were granted but fewer were recorded (lost update)"
    );
}

#[test]
fn rate_limit_is_never_exceeded_under_concurrency() {
    shuttle::check_random(two_logins_one_slot, 1000);
}

#[test]
fn rate_limit_counts_every_concurrent_attempt() {
    shuttle::check_pct(concurrent_attempts_are_all_counted, 1000, 3);
}
