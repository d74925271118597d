//! Hidden tests: every endpoint reports through the app's event bus (task audit-event-bus).

mod common;

use common::*;
use rsauth::audit::actions;
use rsauth::events::{AuthEvent, EventRecorder, LoginFailure};
use rsauth::sync::Arc;
use rsauth::{App, Config, ManualClock, Request, Role};

/// A fresh app with a recorder subscribed right after the audit log.
fn observed_with(config: Config) -> (App, Arc<ManualClock>, Arc<EventRecorder>) {
    let (app, clock) = app_with(config);
    let recorder = Arc::new(EventRecorder::new());
    app.events().subscribe(recorder.clone());
    (app, clock, recorder)
}

fn observed() -> (App, Arc<ManualClock>, Arc<EventRecorder>) {
    observed_with(Config::default())
}

fn kinds(recorder: &EventRecorder) -> Vec<AuthEvent> {
    recorder.events().into_iter().map(|(_, e)| e).collect()
}

/// Create an admin through bootstrap and log it in; returns the session id.
fn admin_login(app: &App, name: &str) -> String {
    app.bootstrap_admin(name, PASSWORD).unwrap();
    login(app, name, PASSWORD)
}

#[test]
fn the_audit_log_is_subscribed_by_app_new() {
    let (app, _clock) = app();
    assert_eq!(app.events().subscriber_count(), 1);
    let published = app.events().publish(
        START,
        &AuthEvent::AccessDenied {
            actor: "ev-probe".into(),
            resource: "/admin/audit".into(),
        },
    );
    assert_eq!(published, 1);
    let entries = app.audit().by_actor("ev-probe");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, actions::ACCESS_DENIED);
    assert_eq!(entries[0].detail, "/admin/audit");
    assert_eq!(entries[0].at, START);
}

#[test]
fn login_publishes_success_with_the_new_session_id() {
    let (app, clock, recorder) = observed();
    add_user(&app, "ev-alice", Role::Editor);
    clock.advance(5);
    let sid = login(&app, "ev-alice", PASSWORD);
    assert_eq!(
        recorder.events(),
        vec![(
            START + 5,
            AuthEvent::LoginSucceeded {
                username: "ev-alice".into(),
                session_id: sid.clone(),
            }
        )]
    );
    let entry = app.audit().tail(1).pop().unwrap();
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str(), entry.detail.as_str()),
        ("ev-alice", actions::LOGIN_OK, sid.as_str())
    );
}

#[test]
fn failed_and_throttled_logins_publish_their_reason() {
    let config = Config {
        login_attempts_per_window: 3,
        rate_window_secs: 90,
        ..Config::default()
    };
    let (app, _clock, recorder) = observed_with(config);
    add_user(&app, "ev-bob", Role::Viewer);
    add_user(&app, "ev-bobby", Role::Viewer);
    app.users().set_disabled("ev-bobby", true).unwrap();
    assert_eq!(app.handle(&login_form("ev-bob", "wrong-pass-1")).status, 401);
    assert_eq!(app.handle(&login_form("ev-nobody", PASSWORD)).status, 401);
    assert_eq!(app.handle(&login_form("ev-bobby", PASSWORD)).status, 403);
    app.handle(&login_form("ev-bob", "wrong-pass-2"));
    app.handle(&login_form("ev-bob", "wrong-pass-3"));
    let throttled = app.handle(&login_form("ev-bob", PASSWORD));
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("90"));
    let failed = |user: &str, reason| AuthEvent::LoginFailed {
        username: user.to_string(),
        reason,
    };
    assert_eq!(
        kinds(&recorder),
        vec![
            failed("ev-bob", LoginFailure::BadPassword),
            failed("ev-nobody", LoginFailure::UnknownUser),
            failed("ev-bobby", LoginFailure::AccountDisabled),
            failed("ev-bob", LoginFailure::BadPassword),
            failed("ev-bob", LoginFailure::BadPassword),
            AuthEvent::LoginThrottled {
                username: "ev-bob".into(),
                retry_after: 90,
            },
        ]
    );
    // An empty username is rejected before anything is checked: no event.
    app.handle(&Request::post("/login", "password=x"));
    assert_eq!(recorder.len(), 6);
    assert_eq!(app.audit().count(actions::LOGIN_FAILED), 5);
    assert_eq!(app.audit().count(actions::LOGIN_THROTTLED), 1);
}

#[test]
fn logout_publishes_the_session_owner_and_id() {
    let (app, clock, recorder) = observed();
    add_user(&app, "ev-carol", Role::Viewer);
    let sid = login(&app, "ev-carol", PASSWORD);
    clock.advance(30);
    assert_eq!(post(&app, "/logout", "", &sid).status, 200);
    assert_eq!(post(&app, "/logout", "", &sid).status, 401);
    let events = recorder.events();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(
        events[1],
        (
            START + 30,
            AuthEvent::LoggedOut {
                username: "ev-carol".into(),
                session_id: sid.clone(),
            }
        )
    );
}

#[test]
fn password_change_events_carry_the_revocation_count() {
    let (app, _clock, recorder) = observed();
    add_user(&app, "ev-dave", Role::Viewer);
    let laptop = login(&app, "ev-dave", PASSWORD);
    login(&app, "ev-dave", PASSWORD);
    login(&app, "ev-dave", PASSWORD);
    let wrong = post(
        &app,
        "/account/password",
        "current_password=guess-123&new_password=brand-new-pw2",
        &laptop,
    );
    assert_eq!(wrong.status, 401);
    let ok = post(
        &app,
        "/account/password",
        &format!("current_password={PASSWORD}&new_password=brand-new-pw2"),
        &laptop,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let events = kinds(&recorder);
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(
        events[3],
        AuthEvent::LoginFailed {
            username: "ev-dave".into(),
            reason: LoginFailure::BadCurrentPassword,
        }
    );
    assert_eq!(
        events[4],
        AuthEvent::PasswordChanged {
            username: "ev-dave".into(),
            sessions_revoked: 2,
        }
    );
    let entry = app.audit().tail(1).pop().unwrap();
    assert_eq!(entry.detail, "other sessions revoked: 2");
}

#[test]
fn token_lifecycle_is_published() {
    let (app, _clock, recorder) = observed();
    add_user(&app, "ev-erin", Role::Editor);
    add_user(&app, "ev-viewer", Role::Viewer);
    let sid = login(&app, "ev-erin", PASSWORD);
    let issued = post(&app, "/tokens", "label=ci", &sid);
    assert_eq!(issued.status, 201);
    let id = issued.field("id").unwrap().to_string();
    assert_eq!(post(&app, "/tokens/revoke", &format!("id={id}"), &sid).status, 200);
    let viewer = login(&app, "ev-viewer", PASSWORD);
    assert_eq!(post(&app, "/tokens", "label=ci", &viewer).status, 403);
    let events = kinds(&recorder);
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(
        events[1..3].to_vec(),
        vec![
            AuthEvent::TokenIssued {
                owner: "ev-erin".into(),
                token_id: id.clone(),
            },
            AuthEvent::TokenRevoked {
                owner: "ev-erin".into(),
                token_id: id.clone(),
            },
        ]
    );
    assert_eq!(
        events[4],
        AuthEvent::AccessDenied {
            actor: "ev-viewer".into(),
            resource: "tokens:issue".into(),
        }
    );
}

#[test]
fn admin_actions_publish_actor_and_counts() {
    let (app, _clock, recorder) = observed();
    let admin = admin_login(&app, "ev-root");
    let created = post(
        &app,
        "/admin/users",
        "username=ev-frank&password=franks-pass-1&role=viewer",
        &admin,
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let promoted = post(&app, "/admin/users/role", "username=ev-frank&role=editor", &admin);
    assert_eq!(promoted.status, 200);
    let first = login(&app, "ev-frank", "franks-pass-1");
    login(&app, "ev-frank", "franks-pass-1");
    let fresh = login(&app, "ev-frank", "franks-pass-1");
    assert_eq!(post(&app, "/tokens", "label=a", &first).status, 201);
    assert_eq!(post(&app, "/tokens", "label=b", &fresh).status, 201);
    let denied = get(&app, "/admin/users", &fresh);
    assert_eq!(denied.status, 403);
    let disabled = post(&app, "/admin/users/disable", "username=ev-frank", &admin);
    assert_eq!(disabled.status, 200, "{}", disabled.body);

    let events = kinds(&recorder);
    let admin_events: Vec<&AuthEvent> = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                AuthEvent::UserCreated { .. }
                    | AuthEvent::RoleChanged { .. }
                    | AuthEvent::UserDisabled { .. }
                    | AuthEvent::AccessDenied { .. }
            )
        })
        .collect();
    assert_eq!(
        admin_events,
        vec![
            &AuthEvent::UserCreated {
                actor: "rsauth".into(),
                username: "ev-root".into(),
                role: Role::Admin,
            },
            &AuthEvent::UserCreated {
                actor: "ev-root".into(),
                username: "ev-frank".into(),
                role: Role::Viewer,
            },
            &AuthEvent::RoleChanged {
                actor: "ev-root".into(),
                username: "ev-frank".into(),
                role: Role::Editor,
            },
            &AuthEvent::AccessDenied {
                actor: "ev-frank".into(),
                resource: "/admin/users".into(),
            },
            &AuthEvent::UserDisabled {
                actor: "ev-root".into(),
                username: "ev-frank".into(),
                sessions_revoked: 3,
                tokens_revoked: 2,
            },
        ]
    );
    let entry = app.audit().tail(1).pop().unwrap();
    assert_eq!(entry.action, actions::USER_DISABLED);
    assert_eq!(entry.detail, "ev-frank (sessions: 3, tokens: 2)");
}

#[test]
fn bootstrap_admin_is_audited_like_the_admin_endpoint() {
    let config = Config {
        service_name: "portal-auth".to_string(),
        ..Config::default()
    };
    let (app, _clock, recorder) = observed_with(config);
    app.bootstrap_admin("ev-boot", PASSWORD).unwrap();
    assert_eq!(
        recorder.events(),
        vec![(
            START,
            AuthEvent::UserCreated {
                actor: "portal-auth".into(),
                username: "ev-boot".into(),
                role: Role::Admin,
            }
        )]
    );
    let entries = app.audit().entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor, "portal-auth");
    assert_eq!(entries[0].action, actions::USER_CREATED);
    assert_eq!(entries[0].detail, "ev-boot as admin");
}

#[test]
fn audit_trail_is_derived_from_the_published_events() {
    let config = Config {
        login_attempts_per_window: 2,
        ..Config::default()
    };
    let (app, clock, recorder) = observed_with(config);
    let admin = admin_login(&app, "ev-grace");
    add_user(&app, "ev-heidi", Role::Editor);
    app.handle(&login_form("ev-heidi", "wrong-pass-1"));
    clock.advance(3);
    let sid = login(&app, "ev-heidi", PASSWORD);
    let token = post(&app, "/tokens", "label=x", &sid);
    let id = token.field("id").unwrap().to_string();
    post(&app, "/tokens/revoke", &format!("id={id}"), &sid);
    clock.advance(3);
    post(
        &app,
        "/account/password",
        &format!("current_password={PASSWORD}&new_password=brand-new-pw3"),
        &sid,
    );
    post(&app, "/admin/users/role", "username=ev-heidi&role=viewer", &admin);
    post(&app, "/logout", "", &sid);
    app.handle(&login_form("ev-heidi", "wrong-pass-1"));
    app.handle(&login_form("ev-heidi", "wrong-pass-1"));
    app.handle(&login_form("ev-heidi", "wrong-pass-1"));
    post(&app, "/admin/users/disable", "username=ev-heidi", &admin);

    let events = recorder.events();
    let entries = app.audit().entries();
    // The recorder was subscribed before anything happened, so it saw every event.
    assert_eq!(events.len(), entries.len(), "{events:?}\n{entries:?}");
    assert!(events.len() >= 12, "{events:?}");
    for ((at, event), entry) in events.iter().zip(entries.iter()) {
        assert_eq!(entry.at, *at);
        assert_eq!(entry.actor, event.actor());
        assert_eq!(entry.action, event.action());
        assert_eq!(entry.detail, event.detail());
    }
}

#[test]
fn each_app_has_its_own_bus() {
    let (first, _c1, first_events) = observed();
    let (second, _c2, second_events) = observed();
    add_user(&first, "ev-ivan", Role::Viewer);
    add_user(&second, "ev-judy", Role::Viewer);
    login(&second, "ev-judy", PASSWORD);
    assert!(first_events.is_empty());
    assert_eq!(second_events.len(), 1);
    assert!(first.audit().is_empty());
    login(&first, "ev-ivan", PASSWORD);
    assert_eq!(first_events.len(), 1);
    assert_eq!(second_events.len(), 1);
}
