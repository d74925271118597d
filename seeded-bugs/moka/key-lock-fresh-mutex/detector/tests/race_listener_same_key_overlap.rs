//! Detector: with an eviction listener, the cache calls the listener for one key while it
//! holds that key's lock, so two calls for the same key never overlap.
//!
//! moka has no sync shim to swap in a model checker, so this is a stress test: eight threads
//! insert the same four keys over and over into a cache that never evicts; every insert of a
//! present key replaces its value, and the cache calls the listener (`Replaced`) for it
//! under the key's lock. The listener marks its key busy, sleeps a little, and counts every
//! call that finds the key already busy: an overlap, which the key lock must rule out.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use moka::notification::RemovalCause;
use moka::sync::Cache;

const THREADS: usize = 8;
const OPS: usize = 1_500;
const KEYS: usize = 4;

#[test]
fn listener_calls_for_one_key_never_overlap() {
    let busy: Arc<Vec<AtomicBool>> = Arc::new((0..KEYS).map(|_| AtomicBool::new(false)).collect());
    let overlaps = Arc::new(AtomicUsize::new(0));
    let replaced = Arc::new(AtomicUsize::new(0));
    let cache: Cache<usize, usize> = {
        let (busy, overlaps, replaced) =
            (Arc::clone(&busy), Arc::clone(&overlaps), Arc::clone(&replaced));
        Cache::builder()
            .max_capacity(1_000)
            .eviction_listener(move |key: Arc<usize>, _value, cause| {
                if cause == RemovalCause::Replaced {
                    replaced.fetch_add(1, Ordering::SeqCst);
                }
                let flag = &busy[*key];
                if flag.swap(true, Ordering::SeqCst) {
                    overlaps.fetch_add(1, Ordering::SeqCst);
                    return;
                }
                thread::sleep(Duration::from_micros(20));
                flag.store(false, Ordering::SeqCst);
            })
            .build()
    };
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (cache, start) = (cache.clone(), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                for i in 0..OPS {
                    cache.insert((i + t) % KEYS, i);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a writer thread panicked");
    }
    cache.run_pending_tasks();
    assert!(
        replaced.load(Ordering::SeqCst) > 0,
        "no value was replaced: the scenario did not call the listener"
    );
    assert_eq!(
        overlaps.load(Ordering::SeqCst),
        0,
        "the eviction listener ran twice at once for the same key ({} of {} calls overlapped)",
        overlaps.load(Ordering::SeqCst),
        replaced.load(Ordering::SeqCst)
    );
}
