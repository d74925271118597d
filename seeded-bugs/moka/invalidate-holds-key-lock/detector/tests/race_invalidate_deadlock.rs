//! Detector: writers that insert and invalidate the same keys of a small cache with an
//! eviction listener, while the housekeeper evicts them, must never deadlock.
//!
//! moka has no sync shim to swap in a model checker, so this is a stress test with a
//! watchdog: eight threads get a fixed amount of work, and the test fails as soon as none of
//! them has made progress for `STALL` (a deadlock), long before the detector's time limit.
//! The listener is slow for size evictions only, which run on the housekeeper: the writers
//! then fill the write log while it works, the situation in which a writer has to wait for
//! the housekeeper.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use moka::notification::RemovalCause;
use moka::sync::Cache;

const THREADS: usize = 8;
const OPS: usize = 20_000;
const KEYS: usize = 64;
const STALL: Duration = Duration::from_secs(15);

#[test]
fn insert_and_invalidate_with_listener_never_deadlock() {
    let size_evictions = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&size_evictions);
    let cache: Cache<usize, usize> = Cache::builder()
        .max_capacity(8)
        .eviction_listener(move |_k, _v, cause| {
            if cause == RemovalCause::Size {
                seen.fetch_add(1, Ordering::SeqCst);
                thread::sleep(Duration::from_micros(100));
            }
        })
        .build();
    let progress = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (cache, start) = (cache.clone(), Arc::clone(&start));
            let (progress, finished) = (Arc::clone(&progress), Arc::clone(&finished));
            thread::spawn(move || {
                start.wait();
                for i in 0..OPS {
                    let key = (i * 7 + t * 13) % KEYS;
                    if (i + t) % 4 == 0 {
                        cache.invalidate(&key);
                    } else {
                        cache.insert(key, i);
                    }
                    progress.fetch_add(1, Ordering::SeqCst);
                }
                finished.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();

    let mut last = (0, Instant::now());
    while finished.load(Ordering::SeqCst) < THREADS {
        thread::sleep(Duration::from_millis(100));
        let done = progress.load(Ordering::SeqCst);
        if done != last.0 {
            last = (done, Instant::now());
        } else if last.1.elapsed() >= STALL {
            panic!(
                "deadlock: no cache operation finished for {STALL:?} ({done} of {} done, {} of \
                 {THREADS} threads finished)",
                THREADS * OPS,
                finished.load(Ordering::SeqCst)
            );
        }
    }
    for h in handles {
        h.join().expect("a writer thread panicked");
    }
    cache.run_pending_tasks();
    assert!(
        size_evictions.load(Ordering::SeqCst) > 0,
        "no entry was evicted for size: the scenario did not exercise the housekeeper"
    );
}
