//! Race detector for `ParallelIterator::take_any`: the shared countdown of items still to
//! take must be decremented atomically, so exactly `n` items come out however many threads
//! take at the same time.
//!
//! rayon has no sync shim, so this is a deterministic check repeated many times: eight
//! worker threads hammer one countdown (every leaf of the split takes items until it hits
//! zero), and each round asserts the exact count. A lost decrement (two threads read the
//! same remaining count and both store `remaining - 1`) lets more than `n` items through.
//! Correct code gives exactly `n` in every round, on any machine and load. A watchdog turns
//! a hang into a failure well before the detector's own time limit.

use rayon::prelude::*;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const ROUNDS: usize = 120;
const LEN: usize = 200_000;
const WATCHDOG: Duration = Duration::from_secs(150);

fn with_watchdog(body: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        body();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(WATCHDOG) {
        Ok(()) => worker.join().expect("detector body panicked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked (an assertion failed): report its panic.
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            eprintln!("watchdog: no result after {WATCHDOG:?}, treating it as a deadlock");
            std::process::exit(3);
        }
    }
}

#[test]
fn take_any_takes_exactly_n_items_under_contention() {
    with_watchdog(|| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .build()
            .expect("thread pool");
        for round in 0..ROUNDS {
            // Vary n so the countdown runs out at different points of the split.
            let n = LEN / 4 + (round * 7919) % (LEN / 2);
            let taken = pool.install(|| (0..LEN).into_par_iter().take_any(n).count());
            assert_eq!(
                taken, n,
                "round {round}: take_any({n}) produced {taken} items (a decrement was lost)"
            );
            let items: Vec<usize> =
                pool.install(|| (0..LEN).into_par_iter().take_any(n).collect());
            assert_eq!(
                items.len(),
                n,
                "round {round}: take_any({n}).collect() produced {} items",
                items.len()
            );
        }
    });
}
