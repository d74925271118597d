//! Race detector for `ParallelIterator::skip_any`: the shared countdown of items still to
//! skip must be checked and decremented in one atomic step, so exactly `n` items are
//! skipped however many threads skip at the same time.
//!
//! rayon has no sync shim, so this is a deterministic check repeated many times: eight
//! worker threads race on one countdown, and each round asserts the exact number of items
//! left. If the check (`count > 0`) and the decrement are separate steps, two threads can
//! both see 1 and both decrement: the counter wraps around to `usize::MAX` and every later
//! item is skipped too. Correct code leaves exactly `len - n` items in every round. A
//! watchdog turns a hang into a failure well before the detector's own time limit.

use rayon::prelude::*;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const ROUNDS: usize = 3_000;
const LEN: usize = 20_000;
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
fn skip_any_skips_exactly_n_items_under_contention() {
    with_watchdog(|| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .build()
            .expect("thread pool");
        for round in 0..ROUNDS {
            // Vary n so the countdown runs out at different points of the split.
            let n = LEN / 4 + (round * 7919) % (LEN / 2);
            let left = pool.install(|| (0..LEN).into_par_iter().skip_any(n).count());
            assert_eq!(
                left,
                LEN - n,
                "round {round}: skip_any({n}) left {left} of {LEN} items (the countdown wrapped)"
            );
        }
    });
}
