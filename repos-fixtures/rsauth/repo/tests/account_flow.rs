mod common;

use common::*;
use rsauth::audit::actions;
use rsauth::Role;

#[test]
fn change_password_requires_the_current_password() {
    let (app, _clock) = app();
    add_user(&app, "af-alice", Role::Viewer);
    let sid = login(&app, "af-alice", PASSWORD);
    let resp = post(
        &app,
        "/account/password",
        "current_password=guess-123&new_password=brand-new-pw2",
        &sid,
    );
    assert_eq!(resp.status, 401);
    assert_eq!(resp.field("error"), Some("invalid_credentials"));
    // old password still works
    login(&app, "af-alice", PASSWORD);
}

#[test]
fn change_password_logs_out_other_sessions_only() {
    let (app, _clock) = app();
    add_user(&app, "af-bob", Role::Editor);
    let laptop = login(&app, "af-bob", PASSWORD);
    let phone = login(&app, "af-bob", PASSWORD);
    let resp = post(
        &app,
        "/account/password",
        &format!("current_password={PASSWORD}&new_password=brand-new-pw2"),
        &laptop,
    );
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.field("sessions_revoked"), Some("1"));
    assert_eq!(get(&app, "/me", &laptop).status, 200);
    assert_eq!(get(&app, "/me", &phone).status, 401);
    assert_eq!(app.handle(&login_form("af-bob", PASSWORD)).status, 401);
    login(&app, "af-bob", "brand-new-pw2");
    assert_eq!(app.audit().count(actions::PASSWORD_CHANGED), 1);
}

#[test]
fn change_password_enforces_the_policy() {
    let (app, _clock) = app();
    add_user(&app, "af-carol", Role::Viewer);
    let sid = login(&app, "af-carol", PASSWORD);
    let resp = post(
        &app,
        "/account/password",
        &format!("current_password={PASSWORD}&new_password=short"),
        &sid,
    );
    assert_eq!(resp.status, 400);
    assert_eq!(resp.field("error"), Some("weak_password"));
    let missing = post(&app, "/account/password", "current_password=x", &sid);
    assert_eq!(missing.status, 400);
}

#[test]
fn change_password_needs_a_session() {
    let (app, _clock) = app();
    let resp = app.handle(&rsauth::Request::post(
        "/account/password",
        "current_password=a&new_password=b",
    ));
    assert_eq!(resp.status, 401);
}
