//! Job identifiers.
//!
//! Ids are handed out by one [`IdGenerator`] per broker. They are shown to
//! users as `job-000042` and are used as keys everywhere (queue, results,
//! dead letters, journal), so two jobs must never share one.

use crate::error::QueueError;
use crate::sync::{AtomicU64, Ordering};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job-{:06}", self.0)
    }
}

impl FromStr for JobId {
    type Err = QueueError;

    /// Accepts `job-000042`, `job-42` and a bare `42`.
    fn from_str(s: &str) -> Result<JobId, QueueError> {
        let digits = s.strip_prefix("job-").unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(QueueError::Malformed(format!("job id `{s}`")));
        }
        digits
            .parse::<u64>()
            .map(JobId)
            .map_err(|_| QueueError::Malformed(format!("job id `{s}`")))
    }
}

/// Hands out increasing job ids, starting at 1. Shared by every thread that
/// submits jobs.
#[derive(Debug)]
pub struct IdGenerator {
    next: AtomicU64,
}

impl Default for IdGenerator {
    fn default() -> Self {
        IdGenerator::new()
    }
}

impl IdGenerator {
    pub fn new() -> IdGenerator {
        IdGenerator::starting_at(1)
    }

    /// A generator whose first id is `first` (used when importing jobs).
    pub fn starting_at(first: u64) -> IdGenerator {
        IdGenerator {
            next: AtomicU64::new(first),
        }
    }

    /// Allocate the next id.
    pub fn next(&self) -> JobId {
        JobId(self.next.fetch_add(1, Ordering::SeqCst))
    }

    /// The id the next call to [`IdGenerator::next`] will return.
    pub fn peek(&self) -> JobId {
        JobId(self.next.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_from_one() {
        let ids = IdGenerator::new();
        assert_eq!(ids.next(), JobId(1));
        assert_eq!(ids.next(), JobId(2));
        assert_eq!(ids.peek(), JobId(3));
        assert_eq!(IdGenerator::starting_at(90).next(), JobId(90));
    }

    #[test]
    fn display_and_parse_roundtrip() {
        assert_eq!(JobId(42).to_string(), "job-000042");
        assert_eq!("job-000042".parse::<JobId>().unwrap(), JobId(42));
        assert_eq!("job-7".parse::<JobId>().unwrap(), JobId(7));
        assert_eq!("7".parse::<JobId>().unwrap(), JobId(7));
        assert!("job-".parse::<JobId>().is_err());
        assert!("job-4x".parse::<JobId>().is_err());
        assert!("-4".parse::<JobId>().is_err());
    }
}
