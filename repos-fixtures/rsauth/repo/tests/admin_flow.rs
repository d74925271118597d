mod common;

use common::*;
use rsauth::audit::actions;
use rsauth::{Request, Role};

fn admin_app(admin: &str) -> (rsauth::App, String) {
    let (app, _clock) = app();
    app.bootstrap_admin(admin, PASSWORD).unwrap();
    let sid = login(&app, admin, PASSWORD);
    (app, sid)
}

#[test]
fn bootstrap_only_works_on_an_empty_store() {
    let (app, _clock) = app();
    let admin = app.bootstrap_admin("ad-root", PASSWORD).unwrap();
    assert_eq!(admin.role, Role::Admin);
    assert!(app.bootstrap_admin("ad-root2", PASSWORD).is_err());
    assert_eq!(app.audit().count(actions::USER_CREATED), 1);
}

#[test]
fn admin_creates_and_lists_users() {
    let (app, sid) = admin_app("ad-alice");
    let resp = post(
        &app,
        "/admin/users",
        "username=ad-bob&password=bobs-pass-1&role=editor",
        &sid,
    );
    assert_eq!(resp.status, 201, "{}", resp.body);
    let dup = post(&app, "/admin/users", "username=ad-bob&password=bobs-pass-1", &sid);
    assert_eq!(dup.status, 409);
    let bad_role = post(&app, "/admin/users", "username=ad-x&password=bobs-pass-1&role=god", &sid);
    assert_eq!(bad_role.status, 400);
    let listing = get(&app, "/admin/users", &sid);
    assert_eq!(
        listing.fields("user"),
        vec!["ad-alice admin active", "ad-bob editor active"]
    );
    login(&app, "ad-bob", "bobs-pass-1");
}

#[test]
fn non_admins_are_kept_out() {
    let (app, _sid) = admin_app("ad-carol");
    add_user(&app, "ad-dave", Role::Editor);
    let sid = login(&app, "ad-dave", PASSWORD);
    for path in ["/admin/users", "/admin/audit"] {
        let resp = get(&app, path, &sid);
        assert_eq!(resp.status, 403, "{path}");
    }
    let resp = post(&app, "/admin/users/role", "username=ad-dave&role=admin", &sid);
    assert_eq!(resp.status, 403);
    assert_eq!(app.users().find("ad-dave").unwrap().role, Role::Editor);
    assert!(app.audit().count(actions::ACCESS_DENIED) >= 3);
    assert_eq!(app.handle(&Request::get("/admin/users")).status, 401);
}

#[test]
fn disabling_a_user_revokes_sessions_and_tokens() {
    let (app, admin) = admin_app("ad-erin");
    add_user(&app, "ad-frank", Role::Editor);
    let sid = login(&app, "ad-frank", PASSWORD);
    let token = post(&app, "/tokens", "label=x", &sid).field("token").unwrap().to_string();
    let resp = post(&app, "/admin/users/disable", "username=ad-frank", &admin);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.field("sessions_revoked"), Some("1"));
    assert_eq!(resp.field("tokens_revoked"), Some("1"));
    assert_eq!(get(&app, "/me", &sid).status, 401);
    let by_token = app.handle(&Request::get("/me").with_header("Authorization", &format!("Bearer {token}")));
    assert_eq!(by_token.status, 401);
    assert_eq!(app.handle(&login_form("ad-frank", PASSWORD)).status, 403);
    let listing = get(&app, "/admin/users", &admin);
    assert!(listing.fields("user").contains(&"ad-frank editor disabled"));
    let self_disable = post(&app, "/admin/users/disable", "username=ad-erin", &admin);
    assert_eq!(self_disable.status, 400);
}

#[test]
fn set_role_updates_the_account() {
    let (app, admin) = admin_app("ad-grace");
    add_user(&app, "ad-heidi", Role::Viewer);
    let resp = post(&app, "/admin/users/role", "username=ad-heidi&role=editor", &admin);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(app.users().find("ad-heidi").unwrap().role, Role::Editor);
    let sid = login(&app, "ad-heidi", PASSWORD);
    assert_eq!(get(&app, "/me", &sid).field("role"), Some("editor"));
    let missing = post(&app, "/admin/users/role", "username=ad-nobody&role=editor", &admin);
    assert_eq!(missing.status, 404);
}

#[test]
fn audit_tail_lists_recent_events() {
    let (app, admin) = admin_app("ad-ivan");
    add_user(&app, "ad-judy", Role::Viewer);
    app.handle(&login_form("ad-judy", "wrong-pass-9"));
    let resp = get(&app, "/admin/audit", &admin);
    assert_eq!(resp.status, 200);
    let entries = resp.fields("entry");
    assert!(entries.iter().any(|e| e.contains("ad-ivan login.ok")), "{entries:?}");
    assert!(entries.iter().any(|e| e.contains("ad-judy login.failed bad password")), "{entries:?}");
}
