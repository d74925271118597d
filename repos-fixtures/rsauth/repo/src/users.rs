//! Account records.

use crate::config::Config;
use crate::error::AuthError;
use crate::hashing::{salt_for, PasswordHasher};
use crate::roles::Role;
use crate::sync::{self, AtomicU64, Ordering, RwLock};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: u64,
    pub password_changed_at: u64,
}

/// Usernames are 3 to 32 characters of `[a-z0-9._-]`, starting with a letter.
pub fn validate_username(name: &str) -> Result<(), AuthError> {
    let ok_len = (3..=32).contains(&name.len());
    let ok_first = name.chars().next().map_or(false, |c| c.is_ascii_lowercase());
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok_len && ok_first && ok_chars {
        Ok(())
    } else {
        Err(AuthError::BadRequest(format!("invalid username {name:?}")))
    }
}

/// The password policy: a minimum length, at least one letter and one non-letter.
pub fn check_password_policy(password: &str, min_len: usize) -> Result<(), AuthError> {
    if password.chars().count() < min_len {
        return Err(AuthError::WeakPassword(format!(
            "must be at least {min_len} characters"
        )));
    }
    if !password.chars().any(|c| c.is_alphabetic()) || password.chars().all(|c| c.is_alphabetic()) {
        return Err(AuthError::WeakPassword(
            "must mix letters with digits or symbols".to_string(),
        ));
    }
    Ok(())
}

#[derive(Debug)]
pub struct UserStore {
    users: RwLock<BTreeMap<String, User>>,
    hasher: PasswordHasher,
    min_password_len: usize,
    salt_nonce: AtomicU64,
}

impl UserStore {
    pub fn new(hasher: PasswordHasher, min_password_len: usize) -> UserStore {
        UserStore {
            users: RwLock::new(BTreeMap::new()),
            hasher,
            min_password_len,
            salt_nonce: AtomicU64::new(1),
        }
    }

    pub fn from_config(config: &Config) -> UserStore {
        UserStore::new(
            PasswordHasher::new(config.hash_iterations),
            config.min_password_len,
        )
    }

    pub fn hasher(&self) -> &PasswordHasher {
        &self.hasher
    }

    pub fn min_password_len(&self) -> usize {
        self.min_password_len
    }

    /// Hash `password` for `username` with a fresh salt.
    pub fn hash_for(&self, username: &str, password: &str) -> String {
        let nonce = self.salt_nonce.fetch_add(1, Ordering::SeqCst);
        self.hasher.hash(password, &salt_for(username, nonce))
    }

    pub fn create(
        &self,
        username: &str,
        password: &str,
        role: Role,
        now: u64,
    ) -> Result<User, AuthError> {
        validate_username(username)?;
        check_password_policy(password, self.min_password_len)?;
        let user = User {
            username: username.to_string(),
            password_hash: self.hash_for(username, password),
            role,
            disabled: false,
            created_at: now,
            password_changed_at: now,
        };
        let mut users = sync::write(&self.users, "users");
        if users.contains_key(username) {
            return Err(AuthError::UserExists(username.to_string()));
        }
        users.insert(username.to_string(), user.clone());
        Ok(user)
    }

    /// Insert a record as-is (used by the importer for legacy accounts).
    pub fn insert_raw(&self, user: User) -> Option<User> {
        sync::write(&self.users, "users").insert(user.username.clone(), user)
    }

    pub fn find(&self, username: &str) -> Option<User> {
        sync::read(&self.users, "users").get(username).cloned()
    }

    pub fn exists(&self, username: &str) -> bool {
        sync::read(&self.users, "users").contains_key(username)
    }

    fn update<F: FnOnce(&mut User)>(&self, username: &str, f: F) -> Result<User, AuthError> {
        let mut users = sync::write(&self.users, "users");
        match users.get_mut(username) {
            Some(user) => {
                f(user);
                Ok(user.clone())
            }
            None => Err(AuthError::UnknownUser(username.to_string())),
        }
    }

    /// Set a new password (policy checked).
    pub fn set_password(&self, username: &str, password: &str, now: u64) -> Result<User, AuthError> {
        check_password_policy(password, self.min_password_len)?;
        let hash = self.hash_for(username, password);
        self.update(username, |user| {
            user.password_hash = hash;
            user.password_changed_at = now;
        })
    }

    /// Replace the stored hash without touching `password_changed_at` (re-hash on login).
    pub fn replace_hash(&self, username: &str, hash: String) -> Result<User, AuthError> {
        self.update(username, |user| user.password_hash = hash)
    }

    pub fn set_role(&self, username: &str, role: Role) -> Result<User, AuthError> {
        self.update(username, |user| user.role = role)
    }

    pub fn set_disabled(&self, username: &str, disabled: bool) -> Result<User, AuthError> {
        self.update(username, |user| user.disabled = disabled)
    }

    /// All users, ordered by username.
    pub fn list(&self) -> Vec<User> {
        sync::read(&self.users, "users").values().cloned().collect()
    }

    pub fn len(&self) -> usize {
        sync::read(&self.users, "users").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> UserStore {
        UserStore::new(PasswordHasher::new(4), 8)
    }

    #[test]
    fn create_then_find() {
        let users = store();
        let created = users.create("alice", "wonder1and", Role::Editor, 10).unwrap();
        let found = users.find("alice").unwrap();
        assert_eq!(created, found);
        assert!(users.hasher().verify("wonder1and", &found.password_hash));
        assert_eq!(users.len(), 1);
    }

    #[test]
    fn duplicate_usernames_are_rejected() {
        let users = store();
        users.create("bob", "builder-42", Role::Viewer, 0).unwrap();
        assert_eq!(
            users.create("bob", "builder-43", Role::Viewer, 0),
            Err(AuthError::UserExists("bob".to_string()))
        );
    }

    #[test]
    fn policy_and_username_rules() {
        let users = store();
        assert!(matches!(
            users.create("carol", "short1", Role::Viewer, 0),
            Err(AuthError::WeakPassword(_))
        ));
        assert!(matches!(
            users.create("carol", "onlyletters", Role::Viewer, 0),
            Err(AuthError::WeakPassword(_))
        ));
        assert!(matches!(
            users.create("Carol!", "good-pass-1", Role::Viewer, 0),
            Err(AuthError::BadRequest(_))
        ));
        assert!(users.is_empty());
    }

    #[test]
    fn set_password_rehashes_with_new_salt() {
        let users = store();
        let before = users.create("dave", "first-pass1", Role::Viewer, 0).unwrap();
        let after = users.set_password("dave", "second-pass2", 50).unwrap();
        assert_ne!(before.password_hash, after.password_hash);
        assert_eq!(after.password_changed_at, 50);
        assert!(users.hasher().verify("second-pass2", &after.password_hash));
        assert_eq!(
            users.set_role("nobody", Role::Admin),
            Err(AuthError::UnknownUser("nobody".to_string()))
        );
    }
}
