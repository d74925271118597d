//! Error type shared by the stores and the handlers.

use std::fmt;

/// Everything that can go wrong while authenticating or authorising a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No session id / token / username was supplied at all.
    MissingCredentials,
    /// Unknown user or wrong password (deliberately indistinguishable).
    InvalidCredentials,
    /// The account exists but has been disabled by an administrator.
    AccountDisabled,
    /// Too many attempts; the caller may retry after `retry_after` seconds.
    Throttled { retry_after: u64 },
    /// The session id is not (or no longer) known.
    UnknownSession,
    /// The session existed but its TTL has passed.
    SessionExpired,
    /// Malformed, unknown, revoked or expired API token.
    InvalidToken,
    /// Authenticated, but not allowed to do this.
    Forbidden(String),
    /// Attempt to create a user that already exists.
    UserExists(String),
    /// Operation on a user that does not exist.
    UnknownUser(String),
    /// Password rejected by the password policy.
    WeakPassword(String),
    /// Anything wrong with the request itself.
    BadRequest(String),
}

impl AuthError {
    /// HTTP status code the handlers answer with.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::BadRequest(_) | AuthError::WeakPassword(_) => 400,
            AuthError::MissingCredentials
            | AuthError::InvalidCredentials
            | AuthError::UnknownSession
            | AuthError::SessionExpired
            | AuthError::InvalidToken => 401,
            AuthError::AccountDisabled | AuthError::Forbidden(_) => 403,
            AuthError::UnknownUser(_) => 404,
            AuthError::UserExists(_) => 409,
            AuthError::Throttled { .. } => 429,
        }
    }

    /// Stable machine readable code, returned in the `error=` field of responses.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingCredentials => "missing_credentials",
            AuthError::InvalidCredentials => "invalid_credentials",
            AuthError::AccountDisabled => "account_disabled",
            AuthError::Throttled { .. } => "throttled",
            AuthError::UnknownSession => "unknown_session",
            AuthError::SessionExpired => "session_expired",
            AuthError::InvalidToken => "invalid_token",
            AuthError::Forbidden(_) => "forbidden",
            AuthError::UserExists(_) => "user_exists",
            AuthError::UnknownUser(_) => "unknown_user",
            AuthError::WeakPassword(_) => "weak_password",
            AuthError::BadRequest(_) => "bad_request",
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::MissingCredentials => write!(f, "no credentials supplied"),
            AuthError::InvalidCredentials => write!(f, "invalid username or password"),
            AuthError::AccountDisabled => write!(f, "account disabled"),
            AuthError::Throttled { retry_after } => {
                write!(f, "too many attempts, retry in {retry_after}s")
            }
            AuthError::UnknownSession => write!(f, "unknown session"),
            AuthError::SessionExpired => write!(f, "session expired"),
            AuthError::InvalidToken => write!(f, "invalid api token"),
            AuthError::Forbidden(why) => write!(f, "forbidden: {why}"),
            AuthError::UserExists(name) => write!(f, "user {name} already exists"),
            AuthError::UnknownUser(name) => write!(f, "no such user: {name}"),
            AuthError::WeakPassword(why) => write!(f, "password rejected: {why}"),
            AuthError::BadRequest(why) => write!(f, "bad request: {why}"),
        }
    }
}

impl std::error::Error for AuthError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_follow_http_conventions() {
        assert_eq!(AuthError::InvalidCredentials.status(), 401);
        assert_eq!(AuthError::Forbidden("x".into()).status(), 403);
        assert_eq!(AuthError::Throttled { retry_after: 3 }.status(), 429);
        assert_eq!(AuthError::UserExists("a".into()).status(), 409);
        assert_eq!(AuthError::Throttled { retry_after: 3 }.code(), "throttled");
    }
}
