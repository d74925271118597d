//! Delayed jobs: jobs submitted with a delay and jobs waiting for a retry.
//! Workers call [`Scheduler::promote_due`] between jobs to move everything
//! whose `run_at` has passed into the ready queue.

use crate::error::QueueError;
use crate::ids::JobId;
use crate::job::Job;
use crate::queue::JobQueue;
use crate::sync::{self, Mutex};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Scheduler {
    delayed: Mutex<BTreeMap<(u64, JobId), Job>>,
}

impl Scheduler {
    pub fn new() -> Scheduler {
        Scheduler::default()
    }

    /// Park `job` until its `run_at`.
    pub fn schedule(&self, job: Job) {
        sync::lock(&self.delayed, "scheduler").insert((job.run_at, job.id), job);
    }

    /// Remove and return every job due at `now`, earliest first.
    pub fn take_due(&self, now: u64) -> Vec<Job> {
        let mut delayed = sync::lock(&self.delayed, "scheduler");
        let later = delayed.split_off(&(now + 1, JobId(0)));
        let due = std::mem::replace(&mut *delayed, later);
        due.into_values().collect()
    }

    /// Move due jobs into `queue`. Jobs that do not fit (queue full) stay
    /// scheduled and are tried again on the next call.
    pub fn promote_due(&self, queue: &JobQueue, now: u64) -> usize {
        let mut promoted = 0;
        let mut due = self.take_due(now).into_iter();
        for job in due.by_ref() {
            match queue.push(job.clone()) {
                Ok(()) => promoted += 1,
                Err(QueueError::QueueFull { .. }) | Err(_) => {
                    self.schedule(job);
                    break;
                }
            }
        }
        for job in due {
            self.schedule(job);
        }
        promoted
    }

    /// Take a scheduled job out (cancellation).
    pub fn cancel(&self, id: JobId) -> Option<Job> {
        let mut delayed = sync::lock(&self.delayed, "scheduler");
        let key = delayed.keys().find(|(_, job_id)| *job_id == id).copied()?;
        delayed.remove(&key)
    }

    pub fn contains(&self, id: JobId) -> bool {
        sync::lock(&self.delayed, "scheduler")
            .keys()
            .any(|(_, job_id)| *job_id == id)
    }

    /// When the next delayed job becomes due.
    pub fn next_run_at(&self) -> Option<u64> {
        sync::lock(&self.delayed, "scheduler")
            .keys()
            .next()
            .map(|(at, _)| *at)
    }

    pub fn len(&self) -> usize {
        sync::lock(&self.delayed, "scheduler").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Scheduled jobs, earliest first.
    pub fn snapshot(&self) -> Vec<Job> {
        sync::lock(&self.delayed, "scheduler")
            .values()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobSpec;

    fn delayed(id: u64, run_at: u64) -> Job {
        let mut job = Job::from_spec(JobId(id), &JobSpec::new("report"), 3, 0);
        job.run_at = run_at;
        job
    }

    #[test]
    fn take_due_returns_only_due_jobs_in_time_order() {
        let s = Scheduler::new();
        s.schedule(delayed(1, 300));
        s.schedule(delayed(2, 100));
        s.schedule(delayed(3, 200));
        assert_eq!(s.next_run_at(), Some(100));
        let due: Vec<u64> = s.take_due(200).iter().map(|j| j.id.0).collect();
        assert_eq!(due, vec![2, 3]);
        assert_eq!(s.len(), 1);
        assert!(s.take_due(299).is_empty());
        assert_eq!(s.take_due(300).len(), 1);
        assert!(s.is_empty());
    }

    #[test]
    fn promote_keeps_what_does_not_fit() {
        let s = Scheduler::new();
        let q = JobQueue::new(2);
        for id in 1..=3 {
            s.schedule(delayed(id, 10 * id));
        }
        assert_eq!(s.promote_due(&q, 100), 2);
        assert_eq!(q.len(), 2);
        assert!(s.contains(JobId(3)));
        q.try_pop();
        assert_eq!(s.promote_due(&q, 100), 1);
        assert!(s.is_empty());
    }

    #[test]
    fn cancel_removes_the_job() {
        let s = Scheduler::new();
        s.schedule(delayed(7, 50));
        assert_eq!(s.cancel(JobId(7)).map(|j| j.id), Some(JobId(7)));
        assert_eq!(s.cancel(JobId(7)), None);
        assert!(!s.contains(JobId(7)));
    }
}
