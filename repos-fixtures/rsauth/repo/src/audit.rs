//! In-memory audit trail (the ops team ships it to the SIEM from `/admin/audit`).

use crate::sync::{self, Mutex};
use std::collections::VecDeque;

/// Action names used in audit entries.
pub mod actions {
    pub const LOGIN_OK: &str = "login.ok";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const LOGIN_THROTTLED: &str = "login.throttled";
    pub const LOGOUT: &str = "logout";
    pub const PASSWORD_CHANGED: &str = "password.changed";
    pub const TOKEN_ISSUED: &str = "token.issued";
    pub const TOKEN_REVOKED: &str = "token.revoked";
    pub const USER_CREATED: &str = "user.created";
    pub const USER_DISABLED: &str = "user.disabled";
    pub const ROLE_CHANGED: &str = "user.role_changed";
    pub const ACCESS_DENIED: &str = "access.denied";
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: u64,
    pub at: u64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

#[derive(Debug)]
struct Inner {
    entries: VecDeque<AuditEntry>,
    next_seq: u64,
}

/// Bounded audit log; the oldest entries are dropped once `capacity` is reached.
#[derive(Debug)]
pub struct AuditLog {
    capacity: usize,
    inner: Mutex<Inner>,
}

impl AuditLog {
    pub fn new(capacity: usize) -> AuditLog {
        AuditLog {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                entries: VecDeque::new(),
                next_seq: 1,
            }),
        }
    }

    /// Append an entry, returns its sequence number.
    pub fn record(&self, at: u64, actor: &str, action: &str, detail: &str) -> u64 {
        let mut inner = sync::lock(&self.inner, "audit log");
        let seq = inner.next_seq;
        inner.next_seq += 1;
        if inner.entries.len() == self.capacity {
            inner.entries.pop_front();
        }
        inner.entries.push_back(AuditEntry {
            seq,
            at,
            actor: actor.to_string(),
            action: action.to_string(),
            detail: detail.to_string(),
        });
        seq
    }

    pub fn entries(&self) -> Vec<AuditEntry> {
        sync::lock(&self.inner, "audit log").entries.iter().cloned().collect()
    }

    /// The last `n` entries, oldest first.
    pub fn tail(&self, n: usize) -> Vec<AuditEntry> {
        let inner = sync::lock(&self.inner, "audit log");
        let skip = inner.entries.len().saturating_sub(n);
        inner.entries.iter().skip(skip).cloned().collect()
    }

    /// How many retained entries have `action`.
    pub fn count(&self, action: &str) -> usize {
        sync::lock(&self.inner, "audit log")
            .entries
            .iter()
            .filter(|e| e.action == action)
            .count()
    }

    /// Retained entries whose actor is `actor`.
    pub fn by_actor(&self, actor: &str) -> Vec<AuditEntry> {
        sync::lock(&self.inner, "audit log")
            .entries
            .iter()
            .filter(|e| e.actor == actor)
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        sync::lock(&self.inner, "audit log").entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_newest_entries() {
        let log = AuditLog::new(2);
        log.record(1, "a", actions::LOGIN_OK, "");
        log.record(2, "b", actions::LOGIN_OK, "");
        let seq = log.record(3, "c", actions::LOGOUT, "");
        assert_eq!(seq, 3);
        let entries = log.entries();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].actor, "b");
        assert_eq!(log.count(actions::LOGIN_OK), 1);
    }

    #[test]
    fn tail_returns_oldest_first() {
        let log = AuditLog::new(10);
        for i in 0..5 {
            log.record(i, "x", actions::LOGIN_FAILED, &i.to_string());
        }
        let tail: Vec<String> = log.tail(2).into_iter().map(|e| e.detail).collect();
        assert_eq!(tail, vec!["3", "4"]);
        assert_eq!(log.by_actor("x").len(), 5);
    }
}
