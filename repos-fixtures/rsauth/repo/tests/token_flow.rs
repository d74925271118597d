mod common;

use common::*;
use rsauth::audit::actions;
use rsauth::{Config, Request, Role};

fn bearer(token: &str) -> Request {
    Request::get("/me").with_header("Authorization", &format!("Bearer {token}"))
}

#[test]
fn editor_issues_a_token_and_uses_it() {
    let (app, _clock) = app();
    add_user(&app, "tf-alice", Role::Editor);
    let sid = login(&app, "tf-alice", PASSWORD);
    let resp = post(&app, "/tokens", "label=ci", &sid);
    assert_eq!(resp.status, 201, "{}", resp.body);
    let token = resp.field("token").unwrap().to_string();
    let me = app.handle(&bearer(&token));
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.field("username"), Some("tf-alice"));
    assert_eq!(me.field("auth"), Some("token"));
    assert_eq!(me.field("token_id"), resp.field("id"));
    assert_eq!(app.audit().count(actions::TOKEN_ISSUED), 1);
}

#[test]
fn viewer_cannot_issue_tokens() {
    let (app, _clock) = app();
    add_user(&app, "tf-bob", Role::Viewer);
    let sid = login(&app, "tf-bob", PASSWORD);
    let resp = post(&app, "/tokens", "label=ci", &sid);
    assert_eq!(resp.status, 403);
    assert!(app.tokens().list_for("tf-bob").is_empty());
}

#[test]
fn revoked_token_no_longer_authenticates() {
    let (app, _clock) = app();
    add_user(&app, "tf-carol", Role::Editor);
    let sid = login(&app, "tf-carol", PASSWORD);
    let issued = post(&app, "/tokens", "label=deploy", &sid);
    let id = issued.field("id").unwrap().to_string();
    let token = issued.field("token").unwrap().to_string();
    let resp = post(&app, "/tokens/revoke", &format!("id={id}"), &sid);
    assert_eq!(resp.status, 200, "{}", resp.body);
    let me = app.handle(&bearer(&token));
    assert_eq!(me.status, 401);
    assert_eq!(me.field("error"), Some("invalid_token"));
    let listing = get(&app, "/tokens", &sid);
    assert_eq!(listing.fields("token"), vec![format!("{id} deploy inactive").as_str()]);
}

#[test]
fn a_token_cannot_be_used_to_mint_more_tokens() {
    let (app, _clock) = app();
    add_user(&app, "tf-dave", Role::Editor);
    let sid = login(&app, "tf-dave", PASSWORD);
    let token = post(&app, "/tokens", "label=ci", &sid)
        .field("token")
        .unwrap()
        .to_string();
    let resp = app.handle(
        &Request::post("/tokens", "label=more").with_header("Authorization", &format!("Bearer {token}")),
    );
    assert_eq!(resp.status, 401);
    assert_eq!(app.tokens().list_for("tf-dave").len(), 1);
}

#[test]
fn token_expires_after_ttl() {
    let config = Config {
        token_ttl_secs: 600,
        session_ttl_secs: 60,
        ..Config::default()
    };
    let (app, clock) = app_with(config);
    add_user(&app, "tf-erin", Role::Admin);
    let sid = login(&app, "tf-erin", PASSWORD);
    let token = post(&app, "/tokens", "", &sid).field("token").unwrap().to_string();
    clock.advance(599);
    assert_eq!(app.handle(&bearer(&token)).status, 200);
    clock.advance(1);
    assert_eq!(app.handle(&bearer(&token)).status, 401);
}

#[test]
fn per_user_token_limit_is_enforced() {
    let config = Config {
        max_tokens_per_user: 2,
        ..Config::default()
    };
    let (app, _clock) = app_with(config);
    add_user(&app, "tf-frank", Role::Editor);
    let sid = login(&app, "tf-frank", PASSWORD);
    assert_eq!(post(&app, "/tokens", "label=a", &sid).status, 201);
    assert_eq!(post(&app, "/tokens", "label=b", &sid).status, 201);
    let third = post(&app, "/tokens", "label=c", &sid);
    assert_eq!(third.status, 403, "{}", third.body);
}
