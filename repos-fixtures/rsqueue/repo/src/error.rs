//! Errors returned by the broker API and the admin commands.

use crate::ids::JobId;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueError {
    /// No job with this id is known to the component that was asked.
    UnknownJob(JobId),
    /// The job kind is empty or contains characters the journal cannot store.
    InvalidKind(String),
    /// The ready queue already holds `capacity` jobs.
    QueueFull { capacity: usize },
    /// The queue was closed (the broker is shutting down).
    Closed,
    /// The job exists but is not in a state that allows the operation.
    InvalidState { id: JobId, state: &'static str },
    /// A payload or journal line could not be decoded.
    Malformed(String),
    /// Bad configuration value.
    Config(String),
    /// The admin command could not be understood.
    BadCommand(String),
}

impl QueueError {
    /// Stable, machine readable code (used by the admin API).
    pub fn code(&self) -> &'static str {
        match self {
            QueueError::UnknownJob(_) => "unknown_job",
            QueueError::InvalidKind(_) => "invalid_kind",
            QueueError::QueueFull { .. } => "queue_full",
            QueueError::Closed => "closed",
            QueueError::InvalidState { .. } => "invalid_state",
            QueueError::Malformed(_) => "malformed",
            QueueError::Config(_) => "config",
            QueueError::BadCommand(_) => "bad_command",
        }
    }
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::UnknownJob(id) => write!(f, "unknown job {id}"),
            QueueError::InvalidKind(kind) => write!(f, "invalid job kind `{kind}`"),
            QueueError::QueueFull { capacity } => {
                write!(f, "queue is full ({capacity} jobs)")
            }
            QueueError::Closed => write!(f, "queue is closed"),
            QueueError::InvalidState { id, state } => write!(f, "job {id} is {state}"),
            QueueError::Malformed(what) => write!(f, "malformed input: {what}"),
            QueueError::Config(what) => write!(f, "bad configuration: {what}"),
            QueueError::BadCommand(what) => write!(f, "bad command: {what}"),
        }
    }
}

impl std::error::Error for QueueError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        assert_eq!(QueueError::UnknownJob(JobId(3)).code(), "unknown_job");
        assert_eq!(QueueError::QueueFull { capacity: 1 }.code(), "queue_full");
        assert_eq!(QueueError::BadCommand("x".into()).code(), "bad_command");
    }

    #[test]
    fn display_mentions_the_job() {
        let err = QueueError::InvalidState {
            id: JobId(42),
            state: "running",
        };
        assert_eq!(err.to_string(), "job job-000042 is running");
    }
}
