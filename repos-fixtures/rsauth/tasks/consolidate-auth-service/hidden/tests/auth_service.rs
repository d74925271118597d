//! Hidden tests for the consolidated AuthService (task consolidate-auth-service).

use rsauth::audit::actions;
use rsauth::auth_service::{AuthMethod, AuthService};
use rsauth::sessions::SessionStore;
use rsauth::sync::Arc;
use rsauth::users::UserStore;
use rsauth::{AuthError, Config, ManualClock, Permission, Request, Role};

const START: u64 = 1_800_000_000;
const PW: &str = "service-pass-1";

struct Fixture {
    svc: AuthService,
    clock: Arc<ManualClock>,
    sessions: Arc<SessionStore>,
}

fn fixture_with(config: Config) -> Fixture {
    let clock = Arc::new(ManualClock::new(START));
    let users = Arc::new(UserStore::from_config(&config));
    let sessions = Arc::new(SessionStore::new());
    users.create("alice", PW, Role::Editor, START).unwrap();
    users.create("victor", PW, Role::Viewer, START).unwrap();
    let svc = AuthService::new(config, clock.clone(), users, sessions.clone());
    Fixture { svc, clock, sessions }
}

fn fixture() -> Fixture {
    fixture_with(Config::default())
}

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn service_is_send_and_sync() {
    assert_send_sync::<AuthService>();
}

#[test]
fn login_stores_the_session_in_the_injected_store() {
    let f = fixture();
    let session = f.svc.login("alice", PW).unwrap();
    assert_eq!(session.username, "alice");
    assert_eq!(session.role, Role::Editor);
    assert_eq!(session.expires_at, START + Config::default().session_ttl_secs);
    let stored = f.sessions.get(&session.id).expect("session in injected store");
    assert_eq!(stored.username, "alice");
    assert_eq!(f.sessions.len(), 1);
    assert_eq!(f.svc.audit().count(actions::LOGIN_OK), 1);
}

#[test]
fn wrong_password_and_unknown_user_are_rejected_and_audited() {
    let f = fixture();
    assert_eq!(f.svc.login("alice", "nope-nope-1"), Err(AuthError::InvalidCredentials));
    assert_eq!(f.svc.login("mallory", PW), Err(AuthError::InvalidCredentials));
    assert_eq!(f.svc.login("", PW), Err(AuthError::MissingCredentials));
    assert_eq!(f.svc.audit().count(actions::LOGIN_FAILED), 2);
    assert!(f.sessions.is_empty());
}

#[test]
fn disabled_account_cannot_log_in() {
    let f = fixture();
    f.svc.users().set_disabled("victor", true).unwrap();
    assert_eq!(f.svc.login("victor", PW), Err(AuthError::AccountDisabled));
    assert!(f.sessions.is_empty());
}

#[test]
fn login_is_throttled_per_account() {
    let config = Config {
        login_attempts_per_window: 2,
        rate_window_secs: 30,
        ..Config::default()
    };
    let f = fixture_with(config);
    assert!(f.svc.login("alice", "bad-guess-1").is_err());
    assert!(f.svc.login("alice", "bad-guess-2").is_err());
    assert_eq!(
        f.svc.login("alice", PW),
        Err(AuthError::Throttled { retry_after: 30 })
    );
    assert_eq!(f.svc.audit().count(actions::LOGIN_THROTTLED), 1);
    // another account is not affected
    assert!(f.svc.login("victor", PW).is_ok());
    f.clock.advance(30);
    assert!(f.svc.login("alice", PW).is_ok());
}

#[test]
fn authenticate_accepts_session_header_cookie_and_bearer_token() {
    let f = fixture();
    let session = f.svc.login("alice", PW).unwrap();

    let by_header = f
        .svc
        .authenticate(&Request::get("/me").with_header("Authorization", &format!("Session {}", session.id)))
        .unwrap();
    assert_eq!(by_header.username, "alice");
    assert!(matches!(&by_header.method, AuthMethod::Session { id, .. } if *id == session.id));

    let by_cookie = f
        .svc
        .authenticate(&Request::get("/me").with_header("Cookie", &format!("theme=x; sid={}", session.id)))
        .unwrap();
    assert_eq!(by_cookie.username, "alice");

    let issued = f.svc.issue_api_token(&by_header, "ci").unwrap();
    let by_token = f
        .svc
        .authenticate(&Request::get("/me").with_header("Authorization", &format!("Bearer {}", issued.token)))
        .unwrap();
    assert_eq!(by_token.username, "alice");
    assert_eq!(by_token.role, Role::Editor);
    assert!(matches!(&by_token.method, AuthMethod::ApiToken { id, .. } if *id == issued.id));

    assert_eq!(f.svc.authenticate(&Request::get("/me")), Err(AuthError::MissingCredentials));
    assert_eq!(
        f.svc.authenticate(&Request::get("/me").with_header("Authorization", "Bearer rsa_bogus.value")),
        Err(AuthError::InvalidToken)
    );
}

#[test]
fn expired_sessions_are_rejected_and_removed() {
    let config = Config {
        session_ttl_secs: 100,
        ..Config::default()
    };
    let f = fixture_with(config);
    let session = f.svc.login("alice", PW).unwrap();
    f.clock.advance(99);
    assert!(f.svc.authenticate_session(&session.id).is_ok());
    f.clock.advance(1);
    assert_eq!(f.svc.authenticate_session(&session.id), Err(AuthError::SessionExpired));
    assert!(f.sessions.get(&session.id).is_none());
    assert_eq!(f.svc.authenticate_session(&session.id), Err(AuthError::UnknownSession));
}

#[test]
fn logout_revokes_the_session_in_the_injected_store() {
    let f = fixture();
    let session = f.svc.login("alice", PW).unwrap();
    f.svc.logout(&session.id).unwrap();
    assert!(f.sessions.get(&session.id).is_none());
    assert_eq!(f.svc.authenticate_session(&session.id), Err(AuthError::UnknownSession));
    assert!(f.svc.logout(&session.id).is_err());
    assert_eq!(f.svc.audit().count(actions::LOGOUT), 1);
}

#[test]
fn services_with_separate_stores_do_not_share_sessions() {
    let a = fixture();
    let b = fixture();
    let session = a.svc.login("alice", PW).unwrap();
    assert!(a.svc.authenticate_session(&session.id).is_ok());
    assert_eq!(b.svc.authenticate_session(&session.id), Err(AuthError::UnknownSession));
    assert!(b.sessions.is_empty());
}

#[test]
fn services_sharing_a_store_see_each_others_sessions() {
    let config = Config::default();
    let clock = Arc::new(ManualClock::new(START));
    let sessions = Arc::new(SessionStore::new());
    let users = Arc::new(UserStore::from_config(&config));
    users.create("alice", PW, Role::Editor, START).unwrap();
    let first = AuthService::new(config.clone(), clock.clone(), users.clone(), sessions.clone());
    let second = AuthService::new(config, clock, users, sessions.clone());
    let session = first.login("alice", PW).unwrap();
    assert_eq!(second.authenticate_session(&session.id).unwrap().username, "alice");
    second.logout(&session.id).unwrap();
    assert!(first.authenticate_session(&session.id).is_err());
}

#[test]
fn authorization_uses_the_current_role_and_status() {
    let f = fixture();
    let session = f.svc.login("victor", PW).unwrap();
    let before = f.svc.authenticate_session(&session.id).unwrap();
    assert_eq!(before.role, Role::Viewer);
    assert!(matches!(f.svc.require(&before, Permission::IssueApiTokens), Err(AuthError::Forbidden(_))));
    assert!(f.svc.audit().count(actions::ACCESS_DENIED) >= 1);

    f.svc.users().set_role("victor", Role::Admin).unwrap();
    let after = f.svc.authenticate_session(&session.id).unwrap();
    assert_eq!(after.role, Role::Admin);
    assert!(f.svc.require(&after, Permission::ManageUsers).is_ok());

    f.svc.users().set_disabled("victor", true).unwrap();
    assert_eq!(f.svc.authenticate_session(&session.id), Err(AuthError::AccountDisabled));
}

#[test]
fn change_password_rechecks_and_closes_other_sessions() {
    let f = fixture();
    let current = f.svc.login("alice", PW).unwrap();
    let other = f.svc.login("alice", PW).unwrap();
    let principal = f.svc.authenticate_session(&current.id).unwrap();
    assert_eq!(
        f.svc.change_password(&principal, "not-it-123", "fresh-pass-2"),
        Err(AuthError::InvalidCredentials)
    );
    assert_eq!(f.svc.change_password(&principal, PW, "fresh-pass-2"), Ok(1));
    assert!(f.sessions.get(&current.id).is_some());
    assert!(f.sessions.get(&other.id).is_none());
    assert_eq!(f.svc.login("alice", PW), Err(AuthError::InvalidCredentials));
    assert!(f.svc.login("alice", "fresh-pass-2").is_ok());
    assert_eq!(f.svc.audit().count(actions::PASSWORD_CHANGED), 1);
}

#[test]
fn issuing_tokens_requires_the_permission() {
    let f = fixture();
    let viewer = f.svc.login("victor", PW).unwrap();
    let viewer = f.svc.authenticate_session(&viewer.id).unwrap();
    assert!(matches!(f.svc.issue_api_token(&viewer, "x"), Err(AuthError::Forbidden(_))));
    assert!(f.svc.tokens().list_for("victor").is_empty());
    let editor = f.svc.login("alice", PW).unwrap();
    let editor = f.svc.authenticate_session(&editor.id).unwrap();
    let issued = f.svc.issue_api_token(&editor, "deploy").unwrap();
    assert!(issued.token.starts_with("rsa_"));
    assert_eq!(f.svc.tokens().list_for("alice").len(), 1);
    assert_eq!(f.svc.audit().count(actions::TOKEN_ISSUED), 1);
}
