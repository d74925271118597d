//! Application context handed to every handler.

use crate::audit::{actions, AuditLog};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::ratelimit::RateLimiter;
use crate::roles::Role;
use crate::router;
use crate::sync::Arc;
use crate::tokens::ApiTokenStore;
use crate::users::{User, UserStore};

/// Everything a handler needs, except sessions, which live in
/// `session_registry::global()`.
pub struct App {
    pub(crate) config: Config,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) users: Arc<UserStore>,
    pub(crate) tokens: Arc<ApiTokenStore>,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) audit: Arc<AuditLog>,
}

impl App {
    pub fn new(config: Config, clock: Arc<dyn Clock>) -> App {
        App {
            users: Arc::new(UserStore::from_config(&config)),
            tokens: Arc::new(ApiTokenStore::new()),
            limiter: Arc::new(RateLimiter::from_config(&config)),
            audit: Arc::new(AuditLog::new(config.audit_capacity)),
            config,
            clock,
        }
    }

    /// Route and handle one request.
    pub fn handle(&self, req: &Request) -> Response {
        router::dispatch(self, req)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    pub fn users(&self) -> &UserStore {
        &self.users
    }

    pub fn tokens(&self) -> &ApiTokenStore {
        &self.tokens
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// Create the first administrator. Refused once any account exists.
    pub fn bootstrap_admin(&self, username: &str, password: &str) -> Result<User, AuthError> {
        if !self.users.is_empty() {
            return Err(AuthError::Forbidden(
                "bootstrap is only allowed on an empty user store".to_string(),
            ));
        }
        let now = self.now();
        let user = self.users.create(username, password, Role::Admin, now)?;
        self.audit
            .record(now, &self.config.service_name, actions::USER_CREATED, username);
        Ok(user)
    }
}
