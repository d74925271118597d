//! An append-only journal of account movements.

use std::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Deposit(i64),
    Withdrawal(i64),
}

#[derive(Default)]
pub struct Journal {
    entries: Mutex<Vec<Entry>>,
}

impl Journal {
    pub fn record(&self, entry: Entry) {
        self.entries.lock().unwrap().push(entry);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap().len()
    }

    pub fn entries(&self) -> Vec<Entry> {
        self.entries.lock().unwrap().clone()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
