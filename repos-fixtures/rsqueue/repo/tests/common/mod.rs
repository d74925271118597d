//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rsqueue::sync::{Arc, AtomicU32, Ordering};
use rsqueue::{Broker, Config, Job, JobError, ManualClock};

pub const START: u64 = 1_700_000_000_000;

pub fn test_config() -> Config {
    Config {
        workers: 2,
        poll_interval_ms: 1,
        ..Config::default()
    }
}

pub fn broker_with(config: Config) -> (Broker, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let broker = Broker::new(config, clock.clone());
    (broker, clock)
}

pub fn broker() -> (Broker, Arc<ManualClock>) {
    broker_with(test_config())
}

/// Handler that succeeds with `ok <kind> <id>`.
pub fn echo(job: &Job) -> Result<String, JobError> {
    Ok(format!("ok {} {}", job.kind, job.id))
}

/// Handler that always fails with a retryable error.
pub fn always_down(_: &Job) -> Result<String, JobError> {
    Err(JobError::retryable("upstream unavailable"))
}

/// Fails the first `n` attempts (over all jobs), then succeeds.
pub struct Flaky {
    failures_left: AtomicU32,
}

impl Flaky {
    pub fn new(n: u32) -> Flaky {
        Flaky {
            failures_left: AtomicU32::new(n),
        }
    }

    pub fn run(&self, job: &Job) -> Result<String, JobError> {
        let left = self.failures_left.load(Ordering::SeqCst);
        if left > 0 {
            self.failures_left.store(left - 1, Ordering::SeqCst);
            return Err(JobError::retryable("connection reset"));
        }
        Ok(format!("ok after {} attempts", job.attempts))
    }
}

/// Register a `Flaky` handler for `kind`.
pub fn register_flaky(broker: &Broker, kind: &str, failures: u32) {
    let flaky = Arc::new(Flaky::new(failures));
    broker.register(kind, move |job: &Job| flaky.run(job));
}
