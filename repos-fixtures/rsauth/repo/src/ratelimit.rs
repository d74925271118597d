//! Fixed-window rate limiting for sensitive endpoints (login, password change,
//! token issuance). Keys are free-form strings such as `login:alice`.

use crate::config::Config;
use crate::sync::{self, Mutex};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    started_at: u64,
    count: u32,
}

impl Window {
    fn fresh(now: u64) -> Window {
        Window {
            started_at: now,
            count: 0,
        }
    }

    fn expired(&self, now: u64, length: u64) -> bool {
        now >= self.started_at + length
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    max_per_window: u32,
    window_secs: u64,
    windows: Mutex<BTreeMap<String, Window>>,
}

impl RateLimiter {
    pub fn new(max_per_window: u32, window_secs: u64) -> RateLimiter {
        RateLimiter {
            max_per_window,
            window_secs: window_secs.max(1),
            windows: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn from_config(config: &Config) -> RateLimiter {
        RateLimiter::new(config.login_attempts_per_window, config.rate_window_secs)
    }

    pub fn max_per_window(&self) -> u32 {
        self.max_per_window
    }

    /// Current window for `key` (a fresh one if none is tracked or it ran out).
    fn snapshot(&self, key: &str, now: u64) -> Window {
        let windows = sync::lock(&self.windows, "rate limiter");
        match windows.get(key) {
            Some(window) if !window.expired(now, self.window_secs) => *window,
            _ => Window::fresh(now),
        }
    }

    /// Consume one unit for `key`. Returns `false` if the window is used up.
    pub fn try_acquire(&self, key: &str, now: u64) -> bool {
        let mut windows = sync::lock(&self.windows, "rate limiter");
        let window = windows
            .entry(key.to_string())
            .or_insert_with(|| Window::fresh(now));
        if window.expired(now, self.window_secs) {
            *window = Window::fresh(now);
        }
        if window.count >= self.max_per_window {
            return false;
        }
        window.count += 1;
        true
    }

    /// Units left for `key` in the current window.
    pub fn remaining(&self, key: &str, now: u64) -> u32 {
        self.max_per_window
            .saturating_sub(self.snapshot(key, now).count)
    }

    /// Seconds until `key` gets a fresh window (0 if it is not limited right now).
    pub fn retry_after(&self, key: &str, now: u64) -> u64 {
        let window = self.snapshot(key, now);
        if window.count < self.max_per_window {
            0
        } else {
            (window.started_at + self.window_secs).saturating_sub(now)
        }
    }

    /// Forget `key` (e.g. after a successful login).
    pub fn reset(&self, key: &str) {
        sync::lock(&self.windows, "rate limiter").remove(key);
    }

    /// Drop windows that ran out, returns how many were dropped.
    pub fn purge_expired(&self, now: u64) -> usize {
        let mut windows = sync::lock(&self.windows, "rate limiter");
        let before = windows.len();
        let length = self.window_secs;
        windows.retain(|_, w| !w.expired(now, length));
        before - windows.len()
    }

    pub fn tracked_keys(&self) -> usize {
        sync::lock(&self.windows, "rate limiter").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_up_to_the_limit() {
        let limiter = RateLimiter::new(3, 60);
        assert!(limiter.try_acquire("login:a", 0));
        assert!(limiter.try_acquire("login:a", 1));
        assert!(limiter.try_acquire("login:a", 2));
        assert!(!limiter.try_acquire("login:a", 3));
        assert_eq!(limiter.remaining("login:a", 3), 0);
        assert_eq!(limiter.retry_after("login:a", 3), 57);
    }

    #[test]
    fn window_rolls_over() {
        let limiter = RateLimiter::new(1, 60);
        assert!(limiter.try_acquire("k", 100));
        assert!(!limiter.try_acquire("k", 159));
        assert!(limiter.try_acquire("k", 160));
        assert_eq!(limiter.remaining("k", 161), 0);
        assert_eq!(limiter.remaining("k", 220), 1);
    }

    #[test]
    fn keys_are_independent_and_reset_works() {
        let limiter = RateLimiter::new(1, 60);
        assert!(limiter.try_acquire("login:a", 0));
        assert!(limiter.try_acquire("login:b", 0));
        assert!(!limiter.try_acquire("login:a", 0));
        limiter.reset("login:a");
        assert!(limiter.try_acquire("login:a", 0));
        assert_eq!(limiter.retry_after("login:c", 0), 0);
    }

    #[test]
    fn purge_drops_only_finished_windows() {
        let limiter = RateLimiter::new(5, 10);
        limiter.try_acquire("old", 0);
        limiter.try_acquire("new", 8);
        assert_eq!(limiter.tracked_keys(), 2);
        assert_eq!(limiter.purge_expired(12), 1);
        assert_eq!(limiter.tracked_keys(), 1);
        assert_eq!(limiter.remaining("new", 12), 4);
    }
}
