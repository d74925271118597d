//! In-memory journal of everything that happens to jobs.
//!
//! Every component appends one line per event (`submit ...`, `done ...`,
//! `retry ...`); operators read the tail through the admin API, and the
//! nightly export ships it to the archive. Lines get a log sequence number
//! (LSN) and the time they were written. The journal is bounded: past
//! `capacity` the oldest lines are dropped.

use crate::sync::{self, Mutex};
use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub lsn: u64,
    pub at: u64,
    pub line: String,
}

impl JournalEntry {
    /// `<lsn> <at> <line>`, the format of `journal tail` and of the export.
    pub fn render(&self) -> String {
        format!("{} {} {}", self.lsn, self.at, self.line)
    }
}

struct Inner {
    entries: VecDeque<JournalEntry>,
    next_lsn: u64,
    dropped: u64,
}

pub struct Journal {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal {
            inner: Mutex::new(Inner {
                entries: VecDeque::new(),
                next_lsn: 1,
                dropped: 0,
            }),
            capacity: capacity.max(1),
        }
    }

    /// Append a line written at `at`; returns its LSN.
    pub fn append(&self, at: u64, line: impl Into<String>) -> u64 {
        let mut inner = sync::lock(&self.inner, "journal");
        let lsn = inner.next_lsn;
        inner.next_lsn += 1;
        inner.entries.push_back(JournalEntry {
            lsn,
            at,
            line: line.into(),
        });
        while inner.entries.len() > self.capacity {
            inner.entries.pop_front();
            inner.dropped += 1;
        }
        lsn
    }

    /// Every retained entry, oldest first.
    pub fn entries(&self) -> Vec<JournalEntry> {
        sync::lock(&self.inner, "journal")
            .entries
            .iter()
            .cloned()
            .collect()
    }

    /// Entries with an LSN greater than `lsn` (what the exporter has not shipped yet).
    pub fn since(&self, lsn: u64) -> Vec<JournalEntry> {
        sync::lock(&self.inner, "journal")
            .entries
            .iter()
            .filter(|e| e.lsn > lsn)
            .cloned()
            .collect()
    }

    /// The last `n` entries, rendered, oldest first.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let inner = sync::lock(&self.inner, "journal");
        let skip = inner.entries.len().saturating_sub(n);
        inner.entries.iter().skip(skip).map(|e| e.render()).collect()
    }

    pub fn last_lsn(&self) -> u64 {
        sync::lock(&self.inner, "journal").next_lsn - 1
    }

    /// Entries dropped because the journal was full.
    pub fn dropped(&self) -> u64 {
        sync::lock(&self.inner, "journal").dropped
    }

    pub fn len(&self) -> usize {
        sync::lock(&self.inner, "journal").entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsns_increase_and_tail_renders() {
        let journal = Journal::new(10);
        assert_eq!(journal.append(100, "submit job-000001 kind=a"), 1);
        assert_eq!(journal.append(105, "done job-000001 attempt=1"), 2);
        assert_eq!(journal.last_lsn(), 2);
        assert_eq!(
            journal.tail(1),
            vec!["2 105 done job-000001 attempt=1".to_string()]
        );
        assert_eq!(journal.tail(5).len(), 2);
    }

    #[test]
    fn capacity_drops_the_oldest_entries() {
        let journal = Journal::new(2);
        for i in 0..5 {
            journal.append(i, format!("cancel job-00000{i}"));
        }
        assert_eq!(journal.len(), 2);
        assert_eq!(journal.dropped(), 3);
        let lsns: Vec<u64> = journal.entries().iter().map(|e| e.lsn).collect();
        assert_eq!(lsns, vec![4, 5]);
    }

    #[test]
    fn since_returns_newer_entries() {
        let journal = Journal::new(10);
        for i in 0..4 {
            journal.append(i, format!("cancel job-00000{i}"));
        }
        let newer: Vec<u64> = journal.since(2).iter().map(|e| e.lsn).collect();
        assert_eq!(newer, vec![3, 4]);
        assert!(journal.since(4).is_empty());
    }
}
