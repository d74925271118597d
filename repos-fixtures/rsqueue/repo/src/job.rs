//! Job definitions: what producers submit ([`JobSpec`]) and what the broker
//! moves between its queues ([`Job`]).

use crate::error::QueueError;
use crate::ids::JobId;
use crate::payload::Payload;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Low,
    Normal,
    High,
    Critical,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Result<Priority, QueueError> {
        match text {
            "low" => Ok(Priority::Low),
            "normal" => Ok(Priority::Normal),
            "high" => Ok(Priority::High),
            "critical" => Ok(Priority::Critical),
            other => Err(QueueError::Malformed(format!("priority `{other}`"))),
        }
    }
}

/// Where a job currently is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting in the delayed set for its `run_at` (first run or a retry).
    Scheduled,
    /// In the ready queue.
    Queued,
    /// A worker is running its handler.
    Running,
    Succeeded,
    /// Out of attempts (or failed permanently); kept as a dead letter.
    Dead,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Scheduled => "scheduled",
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded | JobState::Dead | JobState::Cancelled
        )
    }
}

/// What a producer submits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    pub kind: String,
    pub payload: Payload,
    pub priority: Priority,
    /// Overrides `Config::max_attempts` for this job.
    pub max_attempts: Option<u32>,
    /// Run no earlier than this many milliseconds after submission.
    pub delay_ms: u64,
}

impl JobSpec {
    pub fn new(kind: &str) -> JobSpec {
        JobSpec {
            kind: kind.to_string(),
            payload: Payload::new(),
            priority: Priority::Normal,
            max_attempts: None,
            delay_ms: 0,
        }
    }

    pub fn field(mut self, key: &str, value: &str) -> JobSpec {
        self.payload.insert(key, value);
        self
    }

    pub fn priority(mut self, priority: Priority) -> JobSpec {
        self.priority = priority;
        self
    }

    pub fn max_attempts(mut self, attempts: u32) -> JobSpec {
        self.max_attempts = Some(attempts);
        self
    }

    pub fn delay_ms(mut self, delay: u64) -> JobSpec {
        self.delay_ms = delay;
        self
    }
}

/// Kinds end up in journal lines and admin output, so keep them simple.
pub fn validate_kind(kind: &str) -> Result<(), QueueError> {
    let ok = !kind.is_empty()
        && kind.len() <= 64
        && kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(QueueError::InvalidKind(kind.to_string()))
    }
}

/// A job as the broker tracks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: Payload,
    pub priority: Priority,
    /// Attempts made so far (incremented when a worker picks the job up).
    pub attempts: u32,
    pub max_attempts: u32,
    pub created_at: u64,
    /// Not before this time (ms since epoch).
    pub run_at: u64,
    pub last_error: Option<String>,
}

impl Job {
    pub fn from_spec(id: JobId, spec: &JobSpec, default_max_attempts: u32, now: u64) -> Job {
        Job {
            id,
            kind: spec.kind.clone(),
            payload: spec.payload.clone(),
            priority: spec.priority,
            attempts: 0,
            max_attempts: spec.max_attempts.unwrap_or(default_max_attempts).max(1),
            created_at: now,
            run_at: now + spec.delay_ms,
            last_error: None,
        }
    }

    pub fn is_due(&self, now: u64) -> bool {
        self.run_at <= now
    }

    pub fn attempts_left(&self) -> u32 {
        self.max_attempts.saturating_sub(self.attempts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_parse_and_order() {
        for p in [
            Priority::Low,
            Priority::Normal,
            Priority::High,
            Priority::Critical,
        ] {
            assert_eq!(Priority::parse(p.as_str()).unwrap(), p);
        }
        assert!(Priority::Critical > Priority::High);
        assert!(Priority::Normal > Priority::Low);
        assert!(Priority::parse("urgent").is_err());
    }

    #[test]
    fn from_spec_applies_defaults_and_delay() {
        let spec = JobSpec::new("email").field("to", "a@b.c").delay_ms(250);
        let job = Job::from_spec(JobId(9), &spec, 4, 1_000);
        assert_eq!(job.max_attempts, 4);
        assert_eq!(job.run_at, 1_250);
        assert_eq!(job.attempts, 0);
        assert!(!job.is_due(1_249));
        assert!(job.is_due(1_250));
        let once = Job::from_spec(JobId(10), &spec.clone().max_attempts(1), 4, 1_000);
        assert_eq!(once.max_attempts, 1);
        assert_eq!(once.attempts_left(), 1);
    }

    #[test]
    fn kinds_are_validated() {
        assert!(validate_kind("email.send").is_ok());
        assert!(validate_kind("report_v2-daily").is_ok());
        assert!(validate_kind("").is_err());
        assert!(validate_kind("two words").is_err());
        assert!(validate_kind(&"x".repeat(65)).is_err());
    }

    #[test]
    fn final_states() {
        assert!(JobState::Dead.is_final());
        assert!(!JobState::Scheduled.is_final());
        assert_eq!(JobState::Running.as_str(), "running");
    }
}
