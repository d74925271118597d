//! Detector: `Cache::get_with` coalesces concurrent calls for one key, so its `init` closure
//! runs once per key. Many threads walk the same keys at once (a stress test: moka has no
//! sync shim to swap in a model checker); a watchdog fails the test if they hang.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Duration;

use moka::sync::Cache;

const THREADS: usize = 8;
const KEYS: usize = 30_000;
const ROUNDS: usize = 3;
const WATCHDOG: Duration = Duration::from_secs(120);

fn one_round() -> Vec<(usize, usize)> {
    let cache: Cache<usize, usize> = Cache::new(u64::MAX);
    let calls: Arc<Vec<AtomicUsize>> = Arc::new((0..KEYS).map(|_| AtomicUsize::new(0)).collect());
    let start = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (cache, calls, start) = (cache.clone(), Arc::clone(&calls), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                for key in 0..KEYS {
                    let value = cache.get_with(key, || {
                        calls[key].fetch_add(1, Ordering::SeqCst);
                        key * 2
                    });
                    assert_eq!(value, key * 2, "get_with returned another key's value");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a get_with thread panicked");
    }
    calls
        .iter()
        .enumerate()
        .map(|(k, c)| (k, c.load(Ordering::SeqCst)))
        .filter(|(_, n)| *n != 1)
        .collect()
}

#[test]
fn get_with_runs_init_once_per_key_under_contention() {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut bad = Vec::new();
        for _ in 0..ROUNDS {
            bad.extend(one_round());
        }
        let _ = tx.send(bad);
    });
    match rx.recv_timeout(WATCHDOG) {
        Ok(bad) => assert!(
            bad.is_empty(),
            "init ran more (or less) than once for {} keys, e.g. {:?}",
            bad.len(),
            &bad[..bad.len().min(5)]
        ),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("get_with threads did not finish within {WATCHDOG:?}: deadlock")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("a get_with thread panicked"),
    }
}
