//! Browser sessions.
//!
//! A session remembers who logged in and the role they had at that moment.

use crate::ids::IdGenerator;
use crate::roles::Role;
use crate::sync::{self, RwLock};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub username: String,
    /// Role at login time.
    pub role: Role,
    pub created_at: u64,
    pub expires_at: u64,
    pub last_seen: u64,
}

impl Session {
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at
    }
}

#[derive(Debug)]
pub struct SessionStore {
    sessions: RwLock<BTreeMap<String, Session>>,
    ids: IdGenerator,
}

impl Default for SessionStore {
    fn default() -> Self {
        SessionStore::new()
    }
}

impl SessionStore {
    pub fn new() -> SessionStore {
        SessionStore {
            sessions: RwLock::new(BTreeMap::new()),
            ids: IdGenerator::new("sess", "session-ids"),
        }
    }

    /// Open a new session for `username` valid for `ttl_secs`.
    pub fn create(&self, username: &str, role: Role, now: u64, ttl_secs: u64) -> Session {
        let session = Session {
            id: self.ids.next_id(),
            username: username.to_string(),
            role,
            created_at: now,
            expires_at: now + ttl_secs,
            last_seen: now,
        };
        sync::write(&self.sessions, "sessions").insert(session.id.clone(), session.clone());
        session
    }

    /// Look a session up. Expired sessions are still returned; callers decide.
    pub fn get(&self, id: &str) -> Option<Session> {
        sync::read(&self.sessions, "sessions").get(id).cloned()
    }

    /// Record activity on a session, returns the updated session.
    pub fn touch(&self, id: &str, now: u64) -> Option<Session> {
        let mut sessions = sync::write(&self.sessions, "sessions");
        let session = sessions.get_mut(id)?;
        session.last_seen = session.last_seen.max(now);
        Some(session.clone())
    }

    pub fn revoke(&self, id: &str) -> Option<Session> {
        sync::write(&self.sessions, "sessions").remove(id)
    }

    /// Drop every session of `username` except `keep` (if given). Returns how many went.
    pub fn revoke_user(&self, username: &str, keep: Option<&str>) -> usize {
        let mut sessions = sync::write(&self.sessions, "sessions");
        let before = sessions.len();
        sessions.retain(|id, s| s.username != username || Some(id.as_str()) == keep);
        before - sessions.len()
    }

    pub fn sessions_for(&self, username: &str) -> Vec<Session> {
        sync::read(&self.sessions, "sessions")
            .values()
            .filter(|s| s.username == username)
            .cloned()
            .collect()
    }

    /// Remove expired sessions, returns how many were removed.
    pub fn purge_expired(&self, now: u64) -> usize {
        let mut sessions = sync::write(&self.sessions, "sessions");
        let before = sessions.len();
        sessions.retain(|_, s| !s.is_expired(now));
        before - sessions.len()
    }

    pub fn len(&self) -> usize {
        sync::read(&self.sessions, "sessions").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_get_and_expire() {
        let store = SessionStore::new();
        let s = store.create("alice", Role::Viewer, 100, 10);
        assert_eq!(store.get(&s.id).unwrap().username, "alice");
        assert!(!s.is_expired(109));
        assert!(s.is_expired(110));
        assert_eq!(store.purge_expired(109), 0);
        assert_eq!(store.purge_expired(110), 1);
        assert!(store.get(&s.id).is_none());
    }

    #[test]
    fn revoke_user_keeps_the_current_session() {
        let store = SessionStore::new();
        let a = store.create("alice", Role::Viewer, 0, 10);
        let b = store.create("alice", Role::Viewer, 0, 10);
        let c = store.create("bob", Role::Viewer, 0, 10);
        assert_eq!(store.revoke_user("alice", Some(&a.id)), 1);
        assert!(store.get(&a.id).is_some());
        assert!(store.get(&b.id).is_none());
        assert!(store.get(&c.id).is_some());
        assert_eq!(store.sessions_for("alice").len(), 1);
    }

    #[test]
    fn touch_never_moves_last_seen_backwards() {
        let store = SessionStore::new();
        let s = store.create("alice", Role::Viewer, 50, 100);
        assert_eq!(store.touch(&s.id, 70).unwrap().last_seen, 70);
        assert_eq!(store.touch(&s.id, 60).unwrap().last_seen, 70);
        assert!(store.touch("sess_missing", 60).is_none());
        assert_eq!(store.revoke(&s.id).unwrap().id, s.id);
        assert!(store.is_empty());
    }
}
