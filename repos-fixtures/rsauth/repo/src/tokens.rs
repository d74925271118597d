//! Long-lived API tokens for scripts and CI jobs.
//!
//! A token handed to the user looks like `rsa_<id>.<secret>`. Only a hash of
//! the secret is stored, so a dump of the store cannot be replayed.

use crate::error::AuthError;
use crate::hashing::{constant_time_eq, fnv1a64, mix64};
use crate::ids::IdGenerator;
use crate::sync::{self, Mutex};
use std::collections::BTreeMap;

pub const TOKEN_PREFIX: &str = "rsa_";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub owner: String,
    pub label: String,
    pub secret_hash: String,
    pub created_at: u64,
    pub expires_at: u64,
    pub revoked: bool,
    pub last_used_at: Option<u64>,
}

impl ApiToken {
    pub fn is_active(&self, now: u64) -> bool {
        !self.revoked && now < self.expires_at
    }
}

/// What the caller gets back once, at creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub id: String,
    pub token: String,
    pub expires_at: u64,
}

fn hash_secret(secret: &str) -> String {
    let h = fnv1a64(secret.as_bytes());
    format!("{:016x}{:016x}", mix64(h), mix64(h ^ 0x5bd1_e995))
}

/// Split `rsa_<id>.<secret>` into its parts.
pub fn parse_token(presented: &str) -> Option<(&str, &str)> {
    let rest = presented.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('.')?;
    if id.is_empty() || secret.is_empty() {
        return None;
    }
    Some((id, secret))
}

#[derive(Debug)]
pub struct ApiTokenStore {
    tokens: Mutex<BTreeMap<String, ApiToken>>,
    ids: IdGenerator,
    secrets: IdGenerator,
}

impl Default for ApiTokenStore {
    fn default() -> Self {
        ApiTokenStore::new()
    }
}

impl ApiTokenStore {
    pub fn new() -> ApiTokenStore {
        ApiTokenStore {
            tokens: Mutex::new(BTreeMap::new()),
            ids: IdGenerator::new("tk", "api-token-ids"),
            secrets: IdGenerator::new("s", "api-token-secrets"),
        }
    }

    /// Issue a token for `owner`. Fails if the owner already has `max_active` live tokens.
    pub fn issue(
        &self,
        owner: &str,
        label: &str,
        now: u64,
        ttl_secs: u64,
        max_active: usize,
    ) -> Result<IssuedToken, AuthError> {
        let mut tokens = sync::lock(&self.tokens, "api tokens");
        let active = tokens
            .values()
            .filter(|t| t.owner == owner && t.is_active(now))
            .count();
        if active >= max_active {
            return Err(AuthError::Forbidden(format!(
                "{owner} already has {active} active tokens"
            )));
        }
        let id = self.ids.next_id();
        let secret = self.secrets.next_id();
        let record = ApiToken {
            id: id.clone(),
            owner: owner.to_string(),
            label: label.to_string(),
            secret_hash: hash_secret(&secret),
            created_at: now,
            expires_at: now + ttl_secs,
            revoked: false,
            last_used_at: None,
        };
        tokens.insert(id.clone(), record);
        Ok(IssuedToken {
            token: format!("{TOKEN_PREFIX}{id}.{secret}"),
            id,
            expires_at: now + ttl_secs,
        })
    }

    /// Check a presented token and record its use.
    pub fn validate(&self, presented: &str, now: u64) -> Result<ApiToken, AuthError> {
        let (id, secret) = parse_token(presented).ok_or(AuthError::InvalidToken)?;
        let mut tokens = sync::lock(&self.tokens, "api tokens");
        let record = tokens.get_mut(id).ok_or(AuthError::InvalidToken)?;
        if !constant_time_eq(record.secret_hash.as_bytes(), hash_secret(secret).as_bytes()) {
            return Err(AuthError::InvalidToken);
        }
        if !record.is_active(now) {
            return Err(AuthError::InvalidToken);
        }
        record.last_used_at = Some(now);
        Ok(record.clone())
    }

    /// Revoke token `id`; only its owner may do so.
    pub fn revoke(&self, id: &str, owner: &str) -> Result<(), AuthError> {
        let mut tokens = sync::lock(&self.tokens, "api tokens");
        match tokens.get_mut(id) {
            Some(record) if record.owner == owner => {
                record.revoked = true;
                Ok(())
            }
            Some(_) => Err(AuthError::Forbidden("not your token".to_string())),
            None => Err(AuthError::InvalidToken),
        }
    }

    /// Revoke every token of `owner`, returns how many were live.
    pub fn revoke_all_for(&self, owner: &str) -> usize {
        let mut tokens = sync::lock(&self.tokens, "api tokens");
        let mut count = 0;
        for record in tokens.values_mut().filter(|t| t.owner == owner) {
            if !record.revoked {
                record.revoked = true;
                count += 1;
            }
        }
        count
    }

    pub fn list_for(&self, owner: &str) -> Vec<ApiToken> {
        sync::lock(&self.tokens, "api tokens")
            .values()
            .filter(|t| t.owner == owner)
            .cloned()
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<ApiToken> {
        sync::lock(&self.tokens, "api tokens").get(id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_token_validates_until_expiry() {
        let store = ApiTokenStore::new();
        let issued = store.issue("alice", "ci", 100, 50, 5).unwrap();
        assert!(issued.token.starts_with("rsa_tk_"));
        let record = store.validate(&issued.token, 120).unwrap();
        assert_eq!(record.owner, "alice");
        assert_eq!(record.last_used_at, Some(120));
        assert_eq!(store.validate(&issued.token, 150), Err(AuthError::InvalidToken));
    }

    #[test]
    fn tampered_or_malformed_tokens_are_rejected() {
        let store = ApiTokenStore::new();
        let issued = store.issue("alice", "ci", 0, 50, 5).unwrap();
        let mut tampered = issued.token.clone();
        tampered.push('0');
        assert_eq!(store.validate(&tampered, 1), Err(AuthError::InvalidToken));
        assert_eq!(store.validate("rsa_nodot", 1), Err(AuthError::InvalidToken));
        assert_eq!(store.validate("Bearer x", 1), Err(AuthError::InvalidToken));
    }

    #[test]
    fn revoke_is_owner_only() {
        let store = ApiTokenStore::new();
        let issued = store.issue("alice", "ci", 0, 50, 5).unwrap();
        assert!(matches!(store.revoke(&issued.id, "mallory"), Err(AuthError::Forbidden(_))));
        store.revoke(&issued.id, "alice").unwrap();
        assert_eq!(store.validate(&issued.token, 1), Err(AuthError::InvalidToken));
    }

    #[test]
    fn per_user_limit_counts_only_active_tokens() {
        let store = ApiTokenStore::new();
        let first = store.issue("bob", "a", 0, 50, 2).unwrap();
        store.issue("bob", "b", 0, 50, 2).unwrap();
        assert!(store.issue("bob", "c", 0, 50, 2).is_err());
        store.revoke(&first.id, "bob").unwrap();
        assert!(store.issue("bob", "c", 0, 50, 2).is_ok());
        assert_eq!(store.revoke_all_for("bob"), 2);
        assert_eq!(store.list_for("bob").len(), 3);
    }
}
