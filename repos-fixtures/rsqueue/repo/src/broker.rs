//! The broker: owns every queue and store and is shared (behind an `Arc`) by
//! the producers, the worker pool and the admin endpoint.
//!
//! `run_next` / `run_until_idle` execute jobs on the calling thread; the
//! billing batch jobs and most tests use them instead of a worker pool.

use crate::clock::Clock;
use crate::config::Config;
use crate::deadletter::{DeadLetter, DeadLetterQueue};
use crate::error::QueueError;
use crate::ids::{IdGenerator, JobId};
use crate::job::{validate_kind, Job, JobSpec, JobState};
use crate::journal::Journal;
use crate::metrics::Metrics;
use crate::payload::escape;
use crate::queue::JobQueue;
use crate::registry::{Handler, HandlerRegistry};
use crate::results::{JobResult, Outcome, ResultStore};
use crate::retry::RetryPolicy;
use crate::scheduler::Scheduler;
use crate::sync::{self, Arc, Mutex};
use std::collections::BTreeMap;

pub struct Broker {
    config: Config,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    ids: IdGenerator,
    queue: JobQueue,
    scheduler: Scheduler,
    dead: DeadLetterQueue,
    results: ResultStore,
    metrics: Metrics,
    journal: Journal,
    handlers: HandlerRegistry,
    running: Mutex<BTreeMap<JobId, Job>>,
}

impl Broker {
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> Broker {
        Broker {
            retry: RetryPolicy::from_config(&config),
            ids: IdGenerator::new(),
            queue: JobQueue::new(config.queue_capacity),
            scheduler: Scheduler::new(),
            dead: DeadLetterQueue::new(config.dead_letter_capacity),
            results: ResultStore::new(),
            metrics: Metrics::new(),
            journal: Journal::new(config.journal_capacity),
            handlers: HandlerRegistry::new(),
            running: Mutex::new(BTreeMap::new()),
            clock,
            config,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    pub fn queue(&self) -> &JobQueue {
        &self.queue
    }

    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    pub fn dead_letters(&self) -> &DeadLetterQueue {
        &self.dead
    }

    pub fn results(&self) -> &ResultStore {
        &self.results
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub fn handlers(&self) -> &HandlerRegistry {
        &self.handlers
    }

    /// Register the handler for a job kind.
    pub fn register<H: Handler + 'static>(&self, kind: &str, handler: H) {
        self.handlers.register(kind, Arc::new(handler));
    }

    /// Accept a job. Jobs with a delay go to the scheduler, the rest straight
    /// into the ready queue.
    pub fn submit(&self, spec: JobSpec) -> Result<JobId, QueueError> {
        validate_kind(&spec.kind)?;
        let now = self.now();
        let id = self.ids.next();
        let job = Job::from_spec(id, &spec, self.config.max_attempts, now);
        let line = format!(
            "submit {} kind={} priority={} max_attempts={} run_at={} payload={}",
            id,
            job.kind,
            job.priority.as_str(),
            job.max_attempts,
            job.run_at,
            job.payload.encode()
        );
        if job.run_at > now {
            self.scheduler.schedule(job);
        } else {
            self.queue.push(job)?;
        }
        self.journal.append(now, line);
        self.metrics.job_submitted();
        Ok(id)
    }

    /// Cancel a job that has not started yet.
    pub fn cancel(&self, id: JobId) -> Result<(), QueueError> {
        let job = match self.queue.remove(id).or_else(|| self.scheduler.cancel(id)) {
            Some(job) => job,
            None => {
                return Err(match self.status(id) {
                    Some(state) => QueueError::InvalidState {
                        id,
                        state: state.as_str(),
                    },
                    None => QueueError::UnknownJob(id),
                })
            }
        };
        let now = self.now();
        self.metrics.job_cancelled();
        self.journal.append(now, format!("cancel {id}"));
        self.results.record(JobResult {
            id,
            kind: job.kind,
            outcome: Outcome::Cancelled,
            attempts: job.attempts,
            finished_at: now,
        });
        Ok(())
    }

    /// Where the job is now; `None` for ids the broker never saw (or whose
    /// result has expired).
    pub fn status(&self, id: JobId) -> Option<JobState> {
        if sync::lock(&self.running, "running jobs").contains_key(&id) {
            return Some(JobState::Running);
        }
        if self.queue.contains(id) {
            return Some(JobState::Queued);
        }
        if self.scheduler.contains(id) {
            return Some(JobState::Scheduled);
        }
        if self.dead.contains(id) {
            return Some(JobState::Dead);
        }
        self.results.get(id).map(|r| match r.outcome {
            Outcome::Succeeded { .. } => JobState::Succeeded,
            Outcome::Dead { .. } => JobState::Dead,
            Outcome::Cancelled => JobState::Cancelled,
        })
    }

    /// Move delayed jobs that are due into the ready queue.
    pub fn promote_due(&self) -> usize {
        self.scheduler.promote_due(&self.queue, self.now())
    }

    pub(crate) fn mark_running(&self, job: &Job) {
        sync::lock(&self.running, "running jobs").insert(job.id, job.clone());
    }

    pub(crate) fn finish_running(&self, id: JobId) {
        sync::lock(&self.running, "running jobs").remove(&id);
    }

    /// Jobs a worker is currently running.
    pub fn running(&self) -> Vec<JobId> {
        sync::lock(&self.running, "running jobs")
            .keys()
            .copied()
            .collect()
    }

    /// Run one ready job on the calling thread. Returns its id, or `None` if
    /// nothing was ready.
    pub fn run_next(&self) -> Option<JobId> {
        self.promote_due();
        let mut job = self.queue.try_pop()?;
        let id = job.id;
        job.attempts += 1;
        self.mark_running(&job);
        self.metrics.job_started();
        let handler = match self.handlers.get(&job.kind) {
            Some(handler) => handler,
            None => {
                // Nobody can run it: report it dead so callers stop waiting.
                self.finish_running(id);
                self.results.record(JobResult {
                    id,
                    kind: job.kind.clone(),
                    outcome: Outcome::Dead {
                        reason: format!("no handler for kind `{}`", job.kind),
                    },
                    attempts: job.attempts,
                    finished_at: self.now(),
                });
                return Some(id);
            }
        };
        let result = handler.run(&job);
        let now = self.now();
        self.finish_running(id);
        match result {
            Ok(output) => {
                self.metrics.job_succeeded(&job.kind);
                self.journal.append(now, format!("completed {id}"));
                self.results.record(JobResult {
                    id,
                    kind: job.kind,
                    outcome: Outcome::Succeeded { output },
                    attempts: job.attempts,
                    finished_at: now,
                });
            }
            Err(error) => {
                self.metrics.attempt_failed(&job.kind);
                job.last_error = Some(error.message.clone());
                if job.attempts < self.config.max_attempts {
                    job.run_at = now + self.config.backoff_base_ms * job.attempts as u64;
                    self.metrics.job_retried();
                    self.journal
                        .append(now, format!("retry {} attempt={}", id, job.attempts));
                    self.scheduler.schedule(job);
                } else {
                    self.metrics.job_dead_lettered(&job.kind);
                    self.journal.append(
                        now,
                        format!("dead {} reason={}", id, escape(&error.message)),
                    );
                    let attempts = job.attempts;
                    let kind = job.kind.clone();
                    self.dead.push(DeadLetter::new(job, &error.message, now));
                    self.results.record(JobResult {
                        id,
                        kind,
                        outcome: Outcome::Dead {
                            reason: error.message,
                        },
                        attempts,
                        finished_at: now,
                    });
                }
            }
        }
        Some(id)
    }

    /// Run ready jobs on the calling thread until none is left; returns how
    /// many ran. Retries that are not due yet stay scheduled.
    pub fn run_until_idle(&self) -> usize {
        let mut ran = 0;
        while self.run_next().is_some() {
            ran += 1;
        }
        ran
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::registry::JobError;

    fn broker() -> (Broker, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(1_000_000));
        (Broker::new(Config::default(), clock.clone()), clock)
    }

    #[test]
    fn submit_routes_delayed_jobs_to_the_scheduler() {
        let (broker, _) = broker();
        let now_id = broker.submit(JobSpec::new("email")).unwrap();
        let later_id = broker.submit(JobSpec::new("email").delay_ms(500)).unwrap();
        assert_eq!(broker.status(now_id), Some(JobState::Queued));
        assert_eq!(broker.status(later_id), Some(JobState::Scheduled));
        assert_eq!(broker.metrics().snapshot().submitted, 2);
        assert_eq!(broker.journal().len(), 2);
    }

    #[test]
    fn submit_rejects_bad_kinds() {
        let (broker, _) = broker();
        assert_eq!(
            broker.submit(JobSpec::new("has space")),
            Err(QueueError::InvalidKind("has space".into()))
        );
        assert!(broker.queue().is_empty());
    }

    #[test]
    fn run_next_records_success() {
        let (broker, _) = broker();
        broker.register("echo", |job: &Job| Ok(format!("hi {}", job.id)));
        let id = broker.submit(JobSpec::new("echo")).unwrap();
        assert_eq!(broker.run_next(), Some(id));
        assert_eq!(broker.run_next(), None);
        let result = broker.results().get(id).unwrap();
        assert_eq!(
            result.outcome,
            Outcome::Succeeded {
                output: "hi job-000001".into()
            }
        );
        assert_eq!(broker.status(id), Some(JobState::Succeeded));
    }

    #[test]
    fn failed_attempt_is_rescheduled() {
        let (broker, clock) = broker();
        broker.register("flaky", |_: &Job| Err(JobError::retryable("timeout")));
        let id = broker.submit(JobSpec::new("flaky")).unwrap();
        broker.run_next();
        assert_eq!(broker.status(id), Some(JobState::Scheduled));
        assert_eq!(broker.run_next(), None);
        clock.advance(60_000);
        assert_eq!(broker.run_next(), Some(id));
        assert_eq!(broker.metrics().snapshot().retried, 2);
    }
}
