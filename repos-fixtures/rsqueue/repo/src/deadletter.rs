//! Dead letters: jobs that ran out of attempts or failed permanently.
//!
//! Operators inspect them through the admin API and can requeue them one by
//! one or a whole kind at once (typically after a downstream outage).
//!
//! The letters and the per-kind index live behind two separate locks so that
//! `kinds()` (polled by the dashboard) does not wait for large listings.
//! Lock order, everywhere in this file: `letters` first, then `by_kind`.

use crate::ids::JobId;
use crate::job::Job;
use crate::sync::{self, AtomicU64, Mutex, Ordering};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub job: Job,
    pub reason: String,
    pub died_at: u64,
}

impl DeadLetter {
    pub fn new(job: Job, reason: &str, died_at: u64) -> DeadLetter {
        DeadLetter {
            job,
            reason: reason.to_string(),
            died_at,
        }
    }
}

pub struct DeadLetterQueue {
    letters: Mutex<BTreeMap<JobId, DeadLetter>>,
    by_kind: Mutex<BTreeMap<String, BTreeSet<JobId>>>,
    capacity: usize,
    evicted: AtomicU64,
}

fn unindex(by_kind: &mut BTreeMap<String, BTreeSet<JobId>>, kind: &str, id: JobId) {
    if let Some(ids) = by_kind.get_mut(kind) {
        ids.remove(&id);
        if ids.is_empty() {
            by_kind.remove(kind);
        }
    }
}

impl DeadLetterQueue {
    pub fn new(capacity: usize) -> DeadLetterQueue {
        DeadLetterQueue {
            letters: Mutex::new(BTreeMap::new()),
            by_kind: Mutex::new(BTreeMap::new()),
            capacity: capacity.max(1),
            evicted: AtomicU64::new(0),
        }
    }

    /// Store a dead letter. If the queue is over capacity afterwards, the
    /// letter that died first is evicted and returned.
    pub fn push(&self, letter: DeadLetter) -> Option<DeadLetter> {
        let mut letters = sync::lock(&self.letters, "dead letters");
        let mut by_kind = sync::lock(&self.by_kind, "dead-letter index");
        let id = letter.job.id;
        let kind = letter.job.kind.clone();
        if let Some(previous) = letters.insert(id, letter) {
            unindex(&mut by_kind, &previous.job.kind, id);
        }
        by_kind.entry(kind).or_default().insert(id);
        if letters.len() <= self.capacity {
            return None;
        }
        let oldest = letters
            .values()
            .min_by_key(|l| (l.died_at, l.job.id))
            .map(|l| l.job.id)?;
        let evicted = letters.remove(&oldest)?;
        unindex(&mut by_kind, &evicted.job.kind, oldest);
        self.evicted.fetch_add(1, Ordering::SeqCst);
        Some(evicted)
    }

    pub fn get(&self, id: JobId) -> Option<DeadLetter> {
        sync::lock(&self.letters, "dead letters").get(&id).cloned()
    }

    pub fn contains(&self, id: JobId) -> bool {
        sync::lock(&self.letters, "dead letters").contains_key(&id)
    }

    /// Remove one dead letter (to requeue or discard it).
    pub fn take(&self, id: JobId) -> Option<DeadLetter> {
        let mut letters = sync::lock(&self.letters, "dead letters");
        let mut by_kind = sync::lock(&self.by_kind, "dead-letter index");
        let letter = letters.remove(&id)?;
        unindex(&mut by_kind, &letter.job.kind, id);
        Some(letter)
    }

    /// Remove every dead letter of `kind`, oldest id first.
    pub fn take_kind(&self, kind: &str) -> Vec<DeadLetter> {
        let mut letters = sync::lock(&self.letters, "dead letters");
        let mut by_kind = sync::lock(&self.by_kind, "dead-letter index");
        let ids = by_kind.remove(kind).unwrap_or_default();
        ids.into_iter().filter_map(|id| letters.remove(&id)).collect()
    }

    /// All dead letters, by id.
    pub fn list(&self) -> Vec<DeadLetter> {
        sync::lock(&self.letters, "dead letters")
            .values()
            .cloned()
            .collect()
    }

    /// Dead letters of one kind, by id.
    pub fn list_kind(&self, kind: &str) -> Vec<DeadLetter> {
        let letters = sync::lock(&self.letters, "dead letters");
        let by_kind = sync::lock(&self.by_kind, "dead-letter index");
        by_kind
            .get(kind)
            .map(|ids| ids.iter().filter_map(|id| letters.get(id).cloned()).collect())
            .unwrap_or_default()
    }

    /// `(kind, count)` pairs, by kind.
    pub fn kinds(&self) -> Vec<(String, usize)> {
        sync::lock(&self.by_kind, "dead-letter index")
            .iter()
            .map(|(kind, ids)| (kind.clone(), ids.len()))
            .collect()
    }

    /// Drop dead letters that died before `cutoff`; returns how many.
    pub fn purge_before(&self, cutoff: u64) -> usize {
        let mut letters = sync::lock(&self.letters, "dead letters");
        let mut by_kind = sync::lock(&self.by_kind, "dead-letter index");
        let old: Vec<(JobId, String)> = letters
            .values()
            .filter(|l| l.died_at < cutoff)
            .map(|l| (l.job.id, l.job.kind.clone()))
            .collect();
        for (id, kind) in &old {
            letters.remove(id);
            unindex(&mut by_kind, kind, *id);
        }
        old.len()
    }

    pub fn len(&self) -> usize {
        sync::lock(&self.letters, "dead letters").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many letters were dropped because the queue was full.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::JobSpec;

    fn letter(id: u64, kind: &str, died_at: u64) -> DeadLetter {
        let job = Job::from_spec(JobId(id), &JobSpec::new(kind), 3, 0);
        DeadLetter::new(job, "boom", died_at)
    }

    #[test]
    fn push_list_and_take() {
        let dlq = DeadLetterQueue::new(10);
        assert!(dlq.push(letter(1, "email", 10)).is_none());
        dlq.push(letter(2, "sms", 11));
        dlq.push(letter(3, "email", 12));
        assert_eq!(dlq.len(), 3);
        assert_eq!(
            dlq.kinds(),
            vec![("email".to_string(), 2), ("sms".to_string(), 1)]
        );
        assert_eq!(dlq.take(JobId(2)).map(|l| l.job.id), Some(JobId(2)));
        assert_eq!(dlq.take(JobId(2)), None);
        assert_eq!(dlq.kinds(), vec![("email".to_string(), 2)]);
        let emails: Vec<u64> = dlq.list_kind("email").iter().map(|l| l.job.id.0).collect();
        assert_eq!(emails, vec![1, 3]);
    }

    #[test]
    fn take_kind_empties_the_kind() {
        let dlq = DeadLetterQueue::new(10);
        dlq.push(letter(1, "email", 10));
        dlq.push(letter(2, "sms", 11));
        dlq.push(letter(3, "email", 12));
        let taken: Vec<u64> = dlq.take_kind("email").iter().map(|l| l.job.id.0).collect();
        assert_eq!(taken, vec![1, 3]);
        assert!(dlq.take_kind("email").is_empty());
        assert!(dlq.take_kind("nothing").is_empty());
        assert_eq!(dlq.len(), 1);
        assert!(dlq.list_kind("email").is_empty());
    }

    #[test]
    fn over_capacity_evicts_the_oldest() {
        let dlq = DeadLetterQueue::new(2);
        dlq.push(letter(5, "a", 30));
        dlq.push(letter(6, "b", 10));
        let evicted = dlq.push(letter(7, "a", 20)).expect("evicted");
        assert_eq!(evicted.job.id, JobId(6));
        assert_eq!(dlq.evicted(), 1);
        assert_eq!(dlq.len(), 2);
        assert_eq!(dlq.kinds(), vec![("a".to_string(), 2)]);
    }

    #[test]
    fn purge_before_drops_old_letters() {
        let dlq = DeadLetterQueue::new(10);
        dlq.push(letter(1, "a", 100));
        dlq.push(letter(2, "a", 200));
        dlq.push(letter(3, "b", 300));
        assert_eq!(dlq.purge_before(250), 2);
        assert_eq!(dlq.kinds(), vec![("b".to_string(), 1)]);
        assert!(dlq.get(JobId(3)).is_some());
    }
}
