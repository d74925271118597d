//! Job handlers, registered per job kind.

use crate::job::Job;
use crate::sync::{self, Arc, RwLock};
use std::collections::BTreeMap;
use std::fmt;

/// Why a handler failed. Permanent errors (bad input, unknown account...)
/// are never retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    pub message: String,
    pub permanent: bool,
}

impl JobError {
    pub fn retryable(message: &str) -> JobError {
        JobError {
            message: message.to_string(),
            permanent: false,
        }
    }

    pub fn permanent(message: &str) -> JobError {
        JobError {
            message: message.to_string(),
            permanent: true,
        }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.permanent {
            write!(f, "permanent: {}", self.message)
        } else {
            f.write_str(&self.message)
        }
    }
}

/// Runs one attempt of a job. Returns a short output string that is stored
/// as the job's result.
pub trait Handler: Send + Sync {
    fn run(&self, job: &Job) -> Result<String, JobError>;
}

impl<F> Handler for F
where
    F: Fn(&Job) -> Result<String, JobError> + Send + Sync,
{
    fn run(&self, job: &Job) -> Result<String, JobError> {
        self(job)
    }
}

#[derive(Default)]
pub struct HandlerRegistry {
    handlers: RwLock<BTreeMap<String, Arc<dyn Handler>>>,
}

impl HandlerRegistry {
    pub fn new() -> HandlerRegistry {
        HandlerRegistry::default()
    }

    /// Register (or replace) the handler for `kind`.
    pub fn register(&self, kind: &str, handler: Arc<dyn Handler>) -> Option<Arc<dyn Handler>> {
        sync::write(&self.handlers, "handlers").insert(kind.to_string(), handler)
    }

    pub fn unregister(&self, kind: &str) -> bool {
        sync::write(&self.handlers, "handlers").remove(kind).is_some()
    }

    pub fn get(&self, kind: &str) -> Option<Arc<dyn Handler>> {
        sync::read(&self.handlers, "handlers").get(kind).cloned()
    }

    pub fn contains(&self, kind: &str) -> bool {
        sync::read(&self.handlers, "handlers").contains_key(kind)
    }

    pub fn kinds(&self) -> Vec<String> {
        sync::read(&self.handlers, "handlers").keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::JobId;
    use crate::job::JobSpec;

    #[test]
    fn closures_are_handlers() {
        let registry = HandlerRegistry::new();
        registry.register(
            "echo",
            Arc::new(|job: &Job| Ok(format!("echo {}", job.id))),
        );
        assert!(registry.contains("echo"));
        assert_eq!(registry.kinds(), vec!["echo".to_string()]);
        let job = Job::from_spec(JobId(4), &JobSpec::new("echo"), 1, 0);
        let handler = registry.get("echo").unwrap();
        assert_eq!(handler.run(&job).unwrap(), "echo job-000004");
        assert!(registry.unregister("echo"));
        assert!(registry.get("echo").is_none());
    }

    #[test]
    fn error_display_marks_permanent_errors() {
        assert_eq!(JobError::retryable("timeout").to_string(), "timeout");
        assert_eq!(
            JobError::permanent("no such account").to_string(),
            "permanent: no such account"
        );
    }
}
