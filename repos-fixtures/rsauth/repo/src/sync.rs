//! Concurrency shim.
//!
//! House rule (same idea as the loom shim in tokio): no module in this crate
//! imports from `std::sync` or `std::thread` directly. Everything goes through
//! `crate::sync`, so that building with `--features shuttle` swaps every lock,
//! atomic and thread for the versions controlled by the shuttle scheduler and
//! the concurrency tests can explore interleavings deterministically.
//!
//! If you need a primitive that is not re-exported here, add it to *both*
//! halves of this file.

#[cfg(not(feature = "shuttle"))]
pub use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(feature = "shuttle"))]
pub use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
#[cfg(not(feature = "shuttle"))]
pub use std::thread;

#[cfg(feature = "shuttle")]
pub use shuttle::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
#[cfg(feature = "shuttle")]
pub use shuttle::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
#[cfg(feature = "shuttle")]
pub use shuttle::thread;

/// Lock a mutex, turning poisoning into a panic with a useful message.
///
/// A poisoned lock means another request handler panicked half-way through an
/// update; the service cannot trust the data any more, so we fail loudly.
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
