//! Worker threads. Each worker promotes due delayed jobs, waits on the ready
//! queue for up to `Config::poll_interval_ms` and runs what it gets.

use crate::broker::Broker;
use crate::deadletter::DeadLetter;
use crate::job::{Job, JobState};
use crate::payload::escape;
use crate::registry::JobError;
use crate::results::{JobResult, Outcome};
use crate::sync::{thread, Arc, AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Run one attempt of `job` and file the outcome: result + metrics on
/// success, a retry through the scheduler while attempts are left, a dead
/// letter otherwise. Returns the state the job ends up in.
pub fn execute_job(broker: &Broker, mut job: Job) -> JobState {
    let started = broker.now();
    job.attempts += 1;
    broker.mark_running(&job);
    broker.metrics().job_started();
    broker
        .journal()
        .append(started, format!("start {} attempt={}", job.id, job.attempts));

    let result = match broker.handlers().get(&job.kind) {
        Some(handler) => handler.run(&job),
        None => Err(JobError::permanent(&format!(
            "no handler for kind `{}`",
            job.kind
        ))),
    };
    let now = broker.now();
    broker.finish_running(job.id);

    match result {
        Ok(output) => {
            broker.metrics().job_succeeded(&job.kind);
            broker
                .journal()
                .append(now, format!("done {} attempt={}", job.id, job.attempts));
            broker.results().record(JobResult {
                id: job.id,
                kind: job.kind,
                outcome: Outcome::Succeeded { output },
                attempts: job.attempts,
                finished_at: now,
            });
            JobState::Succeeded
        }
        Err(error) => {
            broker.metrics().attempt_failed(&job.kind);
            job.last_error = Some(error.message.clone());
            let policy = broker.retry_policy();
            if policy.should_retry(job.attempts, job.max_attempts, &error) {
                job.run_at = policy.next_run_at(now, job.attempts);
                broker.journal().append(
                    now,
                    format!(
                        "retry {} attempt={} run_at={} error={}",
                        job.id,
                        job.attempts,
                        job.run_at,
                        escape(&error.message)
                    ),
                );
                broker.metrics().job_retried();
                broker.scheduler().schedule(job);
                JobState::Scheduled
            } else {
                let reason = error.to_string();
                broker.journal().append(
                    now,
                    format!(
                        "dead {} attempt={} reason={}",
                        job.id,
                        job.attempts,
                        escape(&reason)
                    ),
                );
                broker.metrics().job_dead_lettered(&job.kind);
                let result = JobResult {
                    id: job.id,
                    kind: job.kind.clone(),
                    outcome: Outcome::Dead {
                        reason: reason.clone(),
                    },
                    attempts: job.attempts,
                    finished_at: now,
                };
                broker
                    .dead_letters()
                    .push(DeadLetter::new(job, &reason, now));
                broker.results().record(result);
                JobState::Dead
            }
        }
    }
}

fn worker_loop(broker: Arc<Broker>, stop: Arc<AtomicBool>, processed: Arc<AtomicU64>) {
    let poll = Duration::from_millis(broker.config().poll_interval_ms.max(1));
    while !stop.load(Ordering::SeqCst) {
        broker.promote_due();
        if let Some(job) = broker.queue().pop_timeout(poll) {
            execute_job(&broker, job);
            processed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

pub struct WorkerPool {
    stop: Arc<AtomicBool>,
    processed: Arc<AtomicU64>,
    handles: Vec<thread::JoinHandle<()>>,
}

impl WorkerPool {
    /// Start `workers` threads working on `broker`.
    pub fn start(broker: Arc<Broker>, workers: usize) -> WorkerPool {
        let stop = Arc::new(AtomicBool::new(false));
        let processed = Arc::new(AtomicU64::new(0));
        let handles = (0..workers.max(1))
            .map(|_| {
                let broker = Arc::clone(&broker);
                let stop = Arc::clone(&stop);
                let processed = Arc::clone(&processed);
                thread::spawn(move || worker_loop(broker, stop, processed))
            })
            .collect();
        WorkerPool {
            stop,
            processed,
            handles,
        }
    }

    /// Start as many workers as `Config::workers` says.
    pub fn start_default(broker: Arc<Broker>) -> WorkerPool {
        let workers = broker.config().workers;
        WorkerPool::start(broker, workers)
    }

    pub fn size(&self) -> usize {
        self.handles.len()
    }

    /// Job attempts run so far, by all workers.
    pub fn processed(&self) -> u64 {
        self.processed.load(Ordering::SeqCst)
    }

    /// Stop every worker after its current job; returns the attempts run.
    pub fn stop(mut self) -> u64 {
        self.shutdown();
        self.processed()
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for handle in self.handles.drain(..) {
            let _ = handle.join();
        }
    }
}

impl Drop for WorkerPool {
    fn drop(&mut self) {
        self.shutdown();
    }
}
