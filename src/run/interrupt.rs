//! Stopping a run on SIGINT or SIGTERM without losing or half-writing anything.
//!
//! In: the signals, while an [`Interrupt`] is installed (by the command line, around a run).
//! Out: a flag the worker pool reads. On the first signal the flag is set and every running
//! sandboxed command is killed ([`crate::sandbox::cancel_all`]); the pool starts nothing new,
//! drops the attempts in flight (their results would come from killed commands; they are
//! redone on resume) and removes their folders, while every attempt that finished before is
//! recorded. A second signal quits at once (the store is still consistent: each record is one
//! transaction; leftover attempt folders are swept by a later run).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

/// The exit status of a run stopped by a signal (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Whether a signal asked the run to stop; cloned into the run's options and the pool.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// Whether a signal asked the run to stop.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// SIGINT and SIGTERM handlers for one run; removed on drop.
#[derive(Debug)]
pub struct Interrupt {
    flag: StopFlag,
    handle: Handle,
}

impl Interrupt {
    /// Installs SIGINT and SIGTERM handlers that set the flag and end the running sandboxed
    /// commands; a second signal exits the process with [`EXIT_INTERRUPTED`].
    pub fn install() -> std::io::Result<Interrupt> {
        let flag = StopFlag::default();
        let mut signals = Signals::new([SIGINT, SIGTERM])?;
        let handle = signals.handle();
        let seen = Arc::clone(&flag.0);
        std::thread::spawn(move || {
            for signal in signals.forever() {
                let name = if signal == SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                if seen.swap(true, Ordering::SeqCst) {
                    eprintln!("\n{name} again: quitting now; the run's store is consistent, `refbench run --resume` continues it");
                    std::process::exit(i32::from(EXIT_INTERRUPTED));
                }
                crate::sandbox::cancel_all();
                eprintln!("\n{name}: stopping; attempts in flight are dropped (redone on resume), finished ones are kept. Again to quit at once.");
            }
        });
        Ok(Interrupt { flag, handle })
    }

    /// The flag the handlers set.
    pub fn flag(&self) -> StopFlag {
        self.flag.clone()
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        self.handle.close();
    }
}
