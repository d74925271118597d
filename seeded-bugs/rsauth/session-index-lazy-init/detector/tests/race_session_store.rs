#![cfg(feature = "shuttle")]
//! Model-checked concurrency test for `SessionStore`.
//!
//! Only built with `cargo test --features shuttle --test race_session_store`; in the
//! normal build this file compiles to nothing. With the feature on, `rsauth::sync`
//! re-exports shuttle's locks, atomics and threads, so shuttle decides the order of
//! every lock acquisition inside the store and explores the interleavings of
//! concurrent logins instead of hoping the OS scheduler hits a bad one.
//!
//! A failing run prints its schedule; swap the `check_*` call for
//!     shuttle::replay(first_logins_race, "<schedule>");
//! to re-run exactly that interleaving.

use rsauth::sessions::SessionStore;
use rsauth::sync::{thread, Arc};
use rsauth::Role;

const NOW: u64 = 1_000;
const TTL: u64 = 600;

/// `threads` logins of `username` at the same instant; returns the new session ids.
fn concurrent_logins(store: &Arc<SessionStore>, username: &'static str, threads: usize) -> Vec<String> {
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let store = Arc::clone(store);
            thread::spawn(move || store.create(username, Role::Viewer, NOW, TTL).id)
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("login thread panicked"))
        .collect()
}

/// The first two logins of a user arrive together (browser and phone); logging the user
/// out everywhere afterwards must close both sessions.
fn first_logins_race() {
    let store = Arc::new(SessionStore::new());
    let ids = concurrent_logins(&store, "alice", 2);
    assert_ne!(ids[0], ids[1], "two logins got the same session id");
    assert_eq!(
        store.sessions_for("alice").len(),
        2,
        "a concurrent login of alice is missing from her sessions"
    );
    assert_eq!(
        store.revoke_user("alice", None),
        2,
        "logging alice out everywhere left a session open"
    );
    for id in &ids {
        assert!(store.get(id).is_none(), "session {id} survived revoke_user");
    }
    assert!(store.is_empty());
}

/// Three concurrent first logins of one user next to an unrelated user; a password
/// change from one of them keeps only that session.
fn password_change_after_concurrent_logins() {
    let store = Arc::new(SessionStore::new());
    let other = store.create("carol", Role::Editor, NOW, TTL);
    let ids = concurrent_logins(&store, "bob", 3);
    let keep = ids[0].clone();
    assert_eq!(
        store.revoke_user("bob", Some(&keep)),
        2,
        "the other sessions of bob were not all revoked"
    );
    assert!(store.get(&keep).is_some());
    assert!(store.get(&ids[1]).is_none() && store.get(&ids[2]).is_none());
    assert_eq!(store.sessions_for("bob").len(), 1);
    assert!(store.get(&other.id).is_some());
    assert_eq!(store.len(), 2);
}

#[test]
fn concurrent_first_logins_are_all_revocable() {
    shuttle::check_random(first_logins_race, 1000);
}

#[test]
fn revoking_other_sessions_sees_every_concurrent_login() {
    shuttle::check_pct(password_change_after_concurrent_logins, 1000, 3);
}
