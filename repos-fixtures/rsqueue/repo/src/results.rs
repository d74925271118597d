//! Final results of finished jobs, kept for `Config::result_ttl_ms` so that
//! producers can poll (or block on) the outcome of what they submitted.

use crate::ids::JobId;
use crate::sync::{self, Condvar, Mutex};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded { output: String },
    Dead { reason: String },
    Cancelled,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Succeeded { .. } => "succeeded",
            Outcome::Dead { .. } => "dead",
            Outcome::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResult {
    pub id: JobId,
    pub kind: String,
    pub outcome: Outcome,
    pub attempts: u32,
    pub finished_at: u64,
}

#[derive(Default)]
pub struct ResultStore {
    results: Mutex<BTreeMap<JobId, JobResult>>,
    changed: Condvar,
}

impl ResultStore {
    pub fn new() -> ResultStore {
        ResultStore::default()
    }

    /// Store (or replace) a job's result and wake everyone waiting for results.
    pub fn record(&self, result: JobResult) {
        sync::lock(&self.results, "results").insert(result.id, result);
        self.changed.notify_all();
    }

    pub fn get(&self, id: JobId) -> Option<JobResult> {
        sync::lock(&self.results, "results").get(&id).cloned()
    }

    /// Forget a job's result (e.g. when the job is run again).
    pub fn remove(&self, id: JobId) -> Option<JobResult> {
        sync::lock(&self.results, "results").remove(&id)
    }

    /// Block until `id` has a result or `timeout` passes.
    pub fn wait_for(&self, id: JobId, timeout: Duration) -> Option<JobResult> {
        let deadline = Instant::now() + timeout;
        let mut results = sync::lock(&self.results, "results");
        loop {
            if let Some(result) = results.get(&id) {
                return Some(result.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            results = sync::wait_timeout(&self.changed, results, deadline - now, "results");
        }
    }

    /// Drop results that finished before `cutoff`; returns how many.
    pub fn purge_before(&self, cutoff: u64) -> usize {
        let mut results = sync::lock(&self.results, "results");
        let before = results.len();
        results.retain(|_, r| r.finished_at >= cutoff);
        before - results.len()
    }

    /// How many stored results have the given outcome (`"succeeded"`, ...).
    pub fn count(&self, outcome: &str) -> usize {
        sync::lock(&self.results, "results")
            .values()
            .filter(|r| r.outcome.as_str() == outcome)
            .count()
    }

    pub fn len(&self) -> usize {
        sync::lock(&self.results, "results").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::{thread, Arc};

    fn done(id: u64, finished_at: u64) -> JobResult {
        JobResult {
            id: JobId(id),
            kind: "email".into(),
            outcome: Outcome::Succeeded {
                output: "sent".into(),
            },
            attempts: 1,
            finished_at,
        }
    }

    #[test]
    fn record_get_and_count() {
        let store = ResultStore::new();
        store.record(done(1, 10));
        store.record(JobResult {
            outcome: Outcome::Cancelled,
            ..done(2, 11)
        });
        assert_eq!(store.get(JobId(1)).unwrap().attempts, 1);
        assert_eq!(store.count("succeeded"), 1);
        assert_eq!(store.count("cancelled"), 1);
        assert_eq!(store.remove(JobId(1)).map(|r| r.id), Some(JobId(1)));
        assert!(store.get(JobId(1)).is_none());
    }

    #[test]
    fn purge_drops_old_results() {
        let store = ResultStore::new();
        store.record(done(1, 10));
        store.record(done(2, 20));
        assert_eq!(store.purge_before(15), 1);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn wait_for_wakes_up_when_the_result_arrives() {
        let store = Arc::new(ResultStore::new());
        let waiter = {
            let store = Arc::clone(&store);
            thread::spawn(move || store.wait_for(JobId(5), Duration::from_secs(10)))
        };
        store.record(done(5, 1));
        assert_eq!(waiter.join().unwrap().map(|r| r.id), Some(JobId(5)));
        assert_eq!(store.wait_for(JobId(6), Duration::from_millis(5)), None);
    }
}
