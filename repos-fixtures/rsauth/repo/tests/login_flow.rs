mod common;

use common::*;
use rsauth::audit::actions;
use rsauth::hashing::legacy_v0_hash;
use rsauth::users::User;
use rsauth::{Config, Request, Role};

#[test]
fn login_returns_session_and_cookie() {
    let (app, _clock) = app();
    add_user(&app, "lf-alice", Role::Editor);
    let resp = app.handle(&login_form("lf-alice", PASSWORD));
    assert_eq!(resp.status, 200, "{}", resp.body);
    let sid = resp.field("session").unwrap();
    assert!(sid.starts_with("sess_"));
    assert_eq!(resp.field("role"), Some("editor"));
    assert_eq!(
        resp.field("expires_at"),
        Some((START + Config::default().session_ttl_secs).to_string().as_str())
    );
    let cookie = resp.header("set-cookie").unwrap();
    assert!(cookie.starts_with(&format!("sid={sid};")), "{cookie}");
    assert!(cookie.contains("HttpOnly"));
    assert_eq!(app.audit().count(actions::LOGIN_OK), 1);
}

#[test]
fn wrong_password_and_unknown_user_look_the_same() {
    let (app, _clock) = app();
    add_user(&app, "lf-bob", Role::Viewer);
    let wrong = app.handle(&login_form("lf-bob", "not-the-password1"));
    let unknown = app.handle(&login_form("lf-nobody", PASSWORD));
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.field("error"), Some("invalid_credentials"));
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(app.audit().count(actions::LOGIN_FAILED), 2);
}

#[test]
fn missing_username_is_rejected() {
    let (app, _clock) = app();
    let resp = app.handle(&Request::post("/login", "password=x"));
    assert_eq!(resp.status, 401);
    assert_eq!(resp.field("error"), Some("missing_credentials"));
}

#[test]
fn disabled_user_cannot_log_in() {
    let (app, _clock) = app();
    add_user(&app, "lf-carol", Role::Viewer);
    app.users().set_disabled("lf-carol", true).unwrap();
    let resp = app.handle(&login_form("lf-carol", PASSWORD));
    assert_eq!(resp.status, 403);
    assert_eq!(resp.field("error"), Some("account_disabled"));
}

#[test]
fn whoami_accepts_session_header_and_cookie() {
    let (app, _clock) = app();
    add_user(&app, "lf-dave", Role::Viewer);
    let sid = login(&app, "lf-dave", PASSWORD);
    let by_header = get(&app, "/me", &sid);
    assert_eq!(by_header.status, 200, "{}", by_header.body);
    assert_eq!(by_header.field("username"), Some("lf-dave"));
    assert_eq!(by_header.field("auth"), Some("session"));
    let by_cookie = app.handle(&Request::get("/me").with_header("Cookie", &format!("sid={sid}")));
    assert_eq!(by_cookie.status, 200, "{}", by_cookie.body);
    assert_eq!(by_cookie.field("role"), Some("viewer"));
}

#[test]
fn whoami_without_credentials_is_unauthorized() {
    let (app, _clock) = app();
    let resp = app.handle(&Request::get("/me"));
    assert_eq!(resp.status, 401);
    let resp = get(&app, "/me", "sess_00000000000000000000000000000000");
    assert_eq!(resp.status, 401);
    assert_eq!(resp.field("error"), Some("unknown_session"));
}

#[test]
fn logout_revokes_the_session() {
    let (app, _clock) = app();
    add_user(&app, "lf-erin", Role::Viewer);
    let sid = login(&app, "lf-erin", PASSWORD);
    let resp = post(&app, "/logout", "", &sid);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(get(&app, "/me", &sid).status, 401);
    let again = post(&app, "/logout", "", &sid);
    assert_eq!(again.field("error"), Some("unknown_session"));
    assert_eq!(app.audit().count(actions::LOGOUT), 1);
}

#[test]
fn session_expires_after_ttl() {
    let config = Config {
        session_ttl_secs: 60,
        ..Config::default()
    };
    let (app, clock) = app_with(config);
    add_user(&app, "lf-frank", Role::Viewer);
    let sid = login(&app, "lf-frank", PASSWORD);
    clock.advance(59);
    assert_eq!(get(&app, "/me", &sid).status, 200);
    clock.advance(1);
    let resp = get(&app, "/me", &sid);
    assert_eq!(resp.status, 401);
    assert_eq!(resp.field("error"), Some("session_expired"));
}

#[test]
fn login_is_throttled_after_the_configured_attempts() {
    let config = Config {
        login_attempts_per_window: 3,
        rate_window_secs: 120,
        ..Config::default()
    };
    let (app, clock) = app_with(config);
    add_user(&app, "lf-grace", Role::Viewer);
    for _ in 0..3 {
        assert_eq!(app.handle(&login_form("lf-grace", "wrong-pass-1")).status, 401);
    }
    let throttled = app.handle(&login_form("lf-grace", PASSWORD));
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("120"));
    assert_eq!(app.audit().count(actions::LOGIN_THROTTLED), 1);
    clock.advance(120);
    assert_eq!(app.handle(&login_form("lf-grace", PASSWORD)).status, 200);
}

#[test]
fn successful_login_resets_the_throttle() {
    let config = Config {
        login_attempts_per_window: 2,
        ..Config::default()
    };
    let (app, _clock) = app_with(config);
    add_user(&app, "lf-heidi", Role::Viewer);
    assert_eq!(app.handle(&login_form("lf-heidi", "wrong-pass-1")).status, 401);
    login(&app, "lf-heidi", PASSWORD);
    assert_eq!(app.handle(&login_form("lf-heidi", "wrong-pass-1")).status, 401);
    login(&app, "lf-heidi", PASSWORD);
}

#[test]
fn imported_legacy_hash_is_upgraded_on_login() {
    let (app, _clock) = app();
    app.users().insert_raw(User {
        username: "lf-ivan".to_string(),
        password_hash: legacy_v0_hash("old-portal-pw1"),
        role: Role::Viewer,
        disabled: false,
        created_at: 0,
        password_changed_at: 0,
    });
    login(&app, "lf-ivan", "old-portal-pw1");
    let stored = app.users().find("lf-ivan").unwrap().password_hash;
    assert!(stored.starts_with("fnv1a64$"), "{stored}");
    assert!(app.users().hasher().verify("old-portal-pw1", &stored));
    login(&app, "lf-ivan", "old-portal-pw1");
}

#[test]
fn health_and_unknown_routes() {
    let (app, _clock) = app();
    assert_eq!(app.handle(&Request::get("/health")).field("status"), Some("ok"));
    assert_eq!(app.handle(&Request::get("/nope")).status, 404);
    assert_eq!(app.handle(&Request::get("/login")).status, 404);
}
