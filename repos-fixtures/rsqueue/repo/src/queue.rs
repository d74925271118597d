//! The ready queue: jobs that may run now, highest priority first and FIFO
//! within one priority. Workers block on it (with a timeout, so they can go
//! and promote delayed jobs in between).

use crate::error::QueueError;
use crate::ids::JobId;
use crate::job::{Job, Priority};
use crate::sync::{self, Condvar, Mutex};
use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::time::Duration;

struct Entry {
    priority: Priority,
    seq: u64,
    job: Job,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Max-heap order: higher priority first, then the older entry (lower seq).
    fn cmp(&self, other: &Self) -> CmpOrdering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

struct Inner {
    heap: BinaryHeap<Entry>,
    next_seq: u64,
    closed: bool,
}

pub struct JobQueue {
    inner: Mutex<Inner>,
    available: Condvar,
    capacity: usize,
}

impl JobQueue {
    pub fn new(capacity: usize) -> JobQueue {
        JobQueue {
            inner: Mutex::new(Inner {
                heap: BinaryHeap::new(),
                next_seq: 0,
                closed: false,
            }),
            available: Condvar::new(),
            capacity,
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Add a ready job and wake one waiting worker.
    pub fn push(&self, job: Job) -> Result<(), QueueError> {
        let mut inner = sync::lock(&self.inner, "queue");
        if inner.closed {
            return Err(QueueError::Closed);
        }
        if inner.heap.len() >= self.capacity {
            return Err(QueueError::QueueFull {
                capacity: self.capacity,
            });
        }
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.heap.push(Entry {
            priority: job.priority,
            seq,
            job,
        });
        drop(inner);
        self.available.notify_one();
        Ok(())
    }

    pub fn try_pop(&self) -> Option<Job> {
        sync::lock(&self.inner, "queue").heap.pop().map(|e| e.job)
    }

    /// Wait up to `timeout` for a job. `None` on timeout, or when the queue is
    /// closed and drained.
    pub fn pop_timeout(&self, timeout: Duration) -> Option<Job> {
        let mut inner = sync::lock(&self.inner, "queue");
        if let Some(entry) = inner.heap.pop() {
            return Some(entry.job);
        }
        if inner.closed {
            return None;
        }
        inner = sync::wait_timeout(&self.available, inner, timeout, "queue");
        inner.heap.pop().map(|e| e.job)
    }

    /// Block until a job is available. `None` once the queue is closed and drained.
    pub fn pop_wait(&self) -> Option<Job> {
        let mut inner = sync::lock(&self.inner, "queue");
        loop {
            if let Some(entry) = inner.heap.pop() {
                return Some(entry.job);
            }
            if inner.closed {
                return None;
            }
            inner = sync::wait(&self.available, inner, "queue");
        }
    }

    /// Take a specific job out of the queue (cancellation).
    pub fn remove(&self, id: JobId) -> Option<Job> {
        let mut inner = sync::lock(&self.inner, "queue");
        let mut found = None;
        let rest: Vec<Entry> = inner
            .heap
            .drain()
            .filter_map(|entry| {
                if found.is_none() && entry.job.id == id {
                    found = Some(entry.job);
                    None
                } else {
                    Some(entry)
                }
            })
            .collect();
        inner.heap.extend(rest);
        found
    }

    pub fn contains(&self, id: JobId) -> bool {
        sync::lock(&self.inner, "queue")
            .heap
            .iter()
            .any(|e| e.job.id == id)
    }

    pub fn len(&self) -> usize {
        sync::lock(&self.inner, "queue").heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Refuse new jobs and wake every waiting worker.
    pub fn close(&self) {
        sync::lock(&self.inner, "queue").closed = true;
        self.available.notify_all();
    }

    pub fn is_closed(&self) -> bool {
        sync::lock(&self.inner, "queue").closed
    }

    /// The queued jobs in the order they would be popped.
    pub fn snapshot(&self) -> Vec<Job> {
        let inner = sync::lock(&self.inner, "queue");
        let mut entries: Vec<&Entry> = inner.heap.iter().collect();
        entries.sort_by(|a, b| b.cmp(a));
        entries.into_iter().map(|e| e.job.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobSpec;
    use crate::sync::{thread, Arc};

    fn job(id: u64, priority: Priority) -> Job {
        Job::from_spec(JobId(id), &JobSpec::new("t").priority(priority), 3, 0)
    }

    #[test]
    fn pops_by_priority_then_fifo() {
        let q = JobQueue::new(10);
        q.push(job(1, Priority::Normal)).unwrap();
        q.push(job(2, Priority::High)).unwrap();
        q.push(job(3, Priority::Normal)).unwrap();
        q.push(job(4, Priority::Low)).unwrap();
        q.push(job(5, Priority::Critical)).unwrap();
        let order: Vec<u64> = q.snapshot().iter().map(|j| j.id.0).collect();
        assert_eq!(order, vec![5, 2, 1, 3, 4]);
        let popped: Vec<u64> = std::iter::from_fn(|| q.try_pop()).map(|j| j.id.0).collect();
        assert_eq!(popped, vec![5, 2, 1, 3, 4]);
    }

    #[test]
    fn capacity_and_close_are_enforced() {
        let q = JobQueue::new(1);
        q.push(job(1, Priority::Normal)).unwrap();
        assert_eq!(
            q.push(job(2, Priority::Normal)),
            Err(QueueError::QueueFull { capacity: 1 })
        );
        q.close();
        assert!(q.is_closed());
        assert_eq!(q.push(job(3, Priority::Normal)), Err(QueueError::Closed));
        assert_eq!(q.pop_wait().map(|j| j.id), Some(JobId(1)));
        assert_eq!(q.pop_wait(), None);
    }

    #[test]
    fn remove_takes_one_job_out() {
        let q = JobQueue::new(10);
        for id in 1..=4 {
            q.push(job(id, Priority::Normal)).unwrap();
        }
        assert_eq!(q.remove(JobId(3)).map(|j| j.id), Some(JobId(3)));
        assert_eq!(q.remove(JobId(3)), None);
        assert!(!q.contains(JobId(3)));
        let order: Vec<u64> = q.snapshot().iter().map(|j| j.id.0).collect();
        assert_eq!(order, vec![1, 2, 4]);
    }

    #[test]
    fn pop_timeout_gives_up_on_an_empty_queue() {
        let q = JobQueue::new(4);
        assert_eq!(q.pop_timeout(Duration::from_millis(5)), None);
    }

    #[test]
    fn close_wakes_blocked_workers() {
        let q = Arc::new(JobQueue::new(4));
        let waiter = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.pop_wait())
        };
        q.close();
        assert_eq!(waiter.join().unwrap(), None);
    }
}
