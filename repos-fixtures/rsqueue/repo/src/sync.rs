//! Concurrency shim.
//!
//! Nothing in this crate imports `std::sync` or `std::thread` directly; every
//! lock, condition variable, atomic and thread comes from here. Building with
//! `--features shuttle` swaps them for the versions driven by the shuttle
//! scheduler, so the concurrency tests can explore thread interleavings
//! deterministically instead of hoping the OS hits a bad one.
//!
//! Adding a primitive? Add it to *both* halves of this file.

#[cfg(not(feature = "shuttle"))]
pub use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(feature = "shuttle"))]
pub use std::sync::{
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, WaitTimeoutResult,
    Weak,
};
#[cfg(not(feature = "shuttle"))]
pub use std::thread;

#[cfg(feature = "shuttle")]
pub use shuttle::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(feature = "shuttle")]
pub use shuttle::sync::{
    Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, WaitTimeoutResult,
    Weak,
};
#[cfg(feature = "shuttle")]
pub use shuttle::thread;

/// Lock a mutex; a poisoned lock means a worker panicked in the middle of an
/// update, so the broker state cannot be trusted any more and we fail loudly.
pub fn lock<'a, T>(mutex: &'a Mutex<T>, what: &str) -> MutexGuard<'a, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(_) => panic!("{what} lock poisoned"),
    }
}

/// Shared-lock an `RwLock`, see [`lock`].
pub fn read<'a, T>(rwlock: &'a RwLock<T>, what: &str) -> RwLockReadGuard<'a, T> {
    match rwlock.read() {
        Ok(guard) => guard,
        Err(_) => panic!("{what} lock poisoned"),
    }
}

/// Exclusive-lock an `RwLock`, see [`lock`].
pub fn write<'a, T>(rwlock: &'a RwLock<T>, what: &str) -> RwLockWriteGuard<'a, T> {
    match rwlock.write() {
        Ok(guard) => guard,
        Err(_) => panic!("{what} lock poisoned"),
    }
}

/// Wait on `condvar` for at most `timeout`, see [`lock`] about poisoning.
pub fn wait_timeout<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: std::time::Duration,
    what: &str,
) -> MutexGuard<'a, T> {
    match condvar.wait_timeout(guard, timeout) {
        Ok((guard, _)) => guard,
        Err(_) => panic!("{what} lock poisoned"),
    }
}

/// Wait on `condvar` until notified, see [`lock`] about poisoning.
pub fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>, what: &str) -> MutexGuard<'a, T> {
    match condvar.wait(guard) {
        Ok(guard) => guard,
        Err(_) => panic!("{what} lock poisoned"),
    }
}
