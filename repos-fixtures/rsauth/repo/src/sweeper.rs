//! Background housekeeping: drops expired sessions and finished rate-limit windows.

use crate::app::App;
use crate::session_registry;
use crate::sync::{thread, Arc, AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SweepReport {
    pub sessions_removed: usize,
    pub rate_windows_removed: usize,
}

/// One housekeeping pass at the app's current time.
pub fn sweep_once(app: &App) -> SweepReport {
    let now = app.now();
    SweepReport {
        sessions_removed: session_registry::global().purge_expired(now),
        rate_windows_removed: app.limiter.purge_expired(now),
    }
}

/// Runs [`sweep_once`] every `interval` on a background thread until stopped.
pub struct Sweeper {
    stop: Arc<AtomicBool>,
    passes: Arc<AtomicU64>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Sweeper {
    pub fn start(app: Arc<App>, interval: Duration) -> Sweeper {
        let stop = Arc::new(AtomicBool::new(false));
        let passes = Arc::new(AtomicU64::new(0));
        let handle = {
            let stop = Arc::clone(&stop);
            let passes = Arc::clone(&passes);
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    sweep_once(&app);
                    passes.fetch_add(1, Ordering::SeqCst);
                    thread::sleep(interval);
                }
            })
        };
        Sweeper {
            stop,
            passes,
            handle: Some(handle),
        }
    }

    /// Completed passes so far.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::SeqCst)
    }

    /// Stop the thread and wait for it; returns the number of completed passes.
    pub fn stop(mut self) -> u64 {
        self.shutdown();
        self.passes()
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.shutdown();
    }
}
