//! Retry policy: exponential backoff between attempts, capped.
//!
//! Attempt `n` (1-based, the attempt that just failed) is retried after
//! `base * 2^(n-1)` milliseconds, never more than `max`.

use crate::config::Config;
use crate::registry::JobError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base_ms: u64,
    pub max_ms: u64,
}

impl RetryPolicy {
    pub fn new(base_ms: u64, max_ms: u64) -> RetryPolicy {
        RetryPolicy { base_ms, max_ms }
    }

    pub fn from_config(config: &Config) -> RetryPolicy {
        RetryPolicy::new(config.backoff_base_ms, config.backoff_max_ms)
    }

    /// Delay after the `attempt`-th failed attempt.
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        let exponent = attempt.saturating_sub(1).min(63);
        let factor = 1u64.checked_shl(exponent).unwrap_or(u64::MAX);
        self.base_ms.saturating_mul(factor).min(self.max_ms)
    }

    /// When the job should run again after its `attempt`-th attempt failed at `now`.
    pub fn next_run_at(&self, now: u64, attempt: u32) -> u64 {
        now.saturating_add(self.backoff_ms(attempt))
    }

    /// Should a job that has made `attempts` of `max_attempts` attempts and
    /// just failed with `error` be tried again?
    pub fn should_retry(&self, attempts: u32, max_attempts: u32, error: &JobError) -> bool {
        !error.permanent && attempts < max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy::new(100, 1_000);
        let delays: Vec<u64> = (1..=6).map(|a| policy.backoff_ms(a)).collect();
        assert_eq!(delays, vec![100, 200, 400, 800, 1_000, 1_000]);
        assert_eq!(policy.next_run_at(5_000, 2), 5_200);
    }

    #[test]
    fn huge_attempt_counts_do_not_overflow() {
        let policy = RetryPolicy::new(500, 60_000);
        assert_eq!(policy.backoff_ms(200), 60_000);
        assert_eq!(policy.backoff_ms(u32::MAX), 60_000);
        assert_eq!(policy.next_run_at(u64::MAX - 1, 3), u64::MAX);
    }

    #[test]
    fn permanent_errors_and_exhausted_jobs_are_not_retried() {
        let policy = RetryPolicy::from_config(&Config::default());
        assert!(policy.should_retry(1, 3, &JobError::retryable("timeout")));
        assert!(!policy.should_retry(3, 3, &JobError::retryable("timeout")));
        assert!(!policy.should_retry(1, 3, &JobError::permanent("bad address")));
    }
}
