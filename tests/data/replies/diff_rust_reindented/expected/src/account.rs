//! Accounts and balances.

use std::sync::Mutex;

use crate::journal::{Entry, Journal};

/// A ledger account.
pub struct Account {
    name: String,
    balance: Mutex<i64>,
    journal: Journal,
}

impl Account {
    pub fn new(name: &str) -> Account {
        Account {
            name: name.to_string(),
            balance: Mutex::new(0),
            journal: Journal::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn deposit(&self, cents: i64) {
        let mut b = self.balance.lock().unwrap();
        *b += cents;
        self.journal.record(Entry::Deposit(cents));
    }

    pub fn withdraw(&self, cents: i64) -> Result<(), String> {
        let mut balance = self.balance.lock().unwrap();
        if *balance < cents {
            return Err(format!("insufficient funds in {}", self.name));
        }
        *balance -= cents;
        self.journal.record(Entry::Withdrawal(cents));
        Ok(())
    }

    pub fn balance(&self) -> i64 {
        *self.balance.lock().unwrap()
    }
}
