//! `/admin/*` endpoints. Admin pages are only reachable with a browser
//! session passed as `Authorization: Session <id>` (the admin UI never uses cookies).

use crate::app::App;
use crate::audit::actions;
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::roles::Role;
use crate::session_registry;
use crate::sessions::Session;

fn admin_session(app: &App, req: &Request) -> Result<Session, Response> {
    let now = app.now();
    let sid = match req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Session "))
    {
        Some(sid) => sid.trim().to_string(),
        None => return Err(Response::error(&AuthError::MissingCredentials)),
    };
    let store = session_registry::global();
    let session = match store.get(&sid) {
        Some(session) => session,
        None => return Err(Response::error(&AuthError::UnknownSession)),
    };
    if session.is_expired(now) {
        store.revoke(&sid);
        return Err(Response::error(&AuthError::SessionExpired));
    }
    if session.role != Role::Admin {
        app.audit
            .record(now, &session.username, actions::ACCESS_DENIED, &req.path);
        return Err(Response::error(&AuthError::Forbidden(
            "admin only".to_string(),
        )));
    }
    store.touch(&sid, now);
    Ok(session)
}

/// GET /admin/users: `user=<name> <role> <active|disabled>` lines.
pub fn list_users(app: &App, req: &Request) -> Response {
    if let Err(resp) = admin_session(app, req) {
        return resp;
    }
    let lines: Vec<String> = app
        .users
        .list()
        .into_iter()
        .map(|u| {
            let state = if u.disabled { "disabled" } else { "active" };
            format!("user={} {} {}", u.username, u.role, state)
        })
        .collect();
    Response::ok(lines.join("\n"))
}

/// POST /admin/users with `username`, `password`, `role`.
pub fn create_user(app: &App, req: &Request) -> Response {
    let admin = match admin_session(app, req) {
        Ok(session) => session,
        Err(resp) => return resp,
    };
    let form = req.form();
    let (username, password) = match (form.require("username"), form.require("password")) {
        (Ok(u), Ok(p)) => (u.to_string(), p.to_string()),
        (Err(err), _) | (_, Err(err)) => return Response::error(&err),
    };
    let role = match Role::parse(form.get("role").unwrap_or("viewer")) {
        Some(role) => role,
        None => return Response::error(&AuthError::BadRequest("unknown role".to_string())),
    };
    let now = app.now();
    match app.users.create(&username, &password, role, now) {
        Ok(user) => {
            app.audit.record(
                now,
                &admin.username,
                actions::USER_CREATED,
                &format!("{} as {}", user.username, user.role),
            );
            Response::with_status(201, format!("created={}\nrole={}", user.username, user.role))
        }
        Err(err) => Response::error(&err),
    }
}

/// POST /admin/users/disable with `username`: also logs the user out everywhere.
pub fn disable_user(app: &App, req: &Request) -> Response {
    let admin = match admin_session(app, req) {
        Ok(session) => session,
        Err(resp) => return resp,
    };
    let form = req.form();
    let username = match form.require("username") {
        Ok(u) => u.to_string(),
        Err(err) => return Response::error(&err),
    };
    if username == admin.username {
        return Response::error(&AuthError::BadRequest(
            "cannot disable yourself".to_string(),
        ));
    }
    if let Err(err) = app.users.set_disabled(&username, true) {
        return Response::error(&err);
    }
    let sessions = session_registry::global().revoke_user(&username, None);
    let tokens = app.tokens.revoke_all_for(&username);
    app.audit.record(
        app.now(),
        &admin.username,
        actions::USER_DISABLED,
        &format!("{username} (sessions: {sessions}, tokens: {tokens})"),
    );
    Response::ok(format!(
        "disabled={username}\nsessions_revoked={sessions}\ntokens_revoked={tokens}"
    ))
}

/// POST /admin/users/role with `username` and `role`.
pub fn set_role(app: &App, req: &Request) -> Response {
    let admin = match admin_session(app, req) {
        Ok(session) => session,
        Err(resp) => return resp,
    };
    let form = req.form();
    let username = match form.require("username") {
        Ok(u) => u.to_string(),
        Err(err) => return Response::error(&err),
    };
    let role = match form.get("role").and_then(Role::parse) {
        Some(role) => role,
        None => return Response::error(&AuthError::BadRequest("unknown role".to_string())),
    };
    match app.users.set_role(&username, role) {
        Ok(user) => {
            app.audit.record(
                app.now(),
                &admin.username,
                actions::ROLE_CHANGED,
                &format!("{} -> {}", user.username, user.role),
            );
            Response::ok(format!("username={}\nrole={}", user.username, user.role))
        }
        Err(err) => Response::error(&err),
    }
}

/// GET /admin/audit: the last 50 entries, `entry=<seq> <at> <actor> <action> <detail>`.
pub fn audit_tail(app: &App, req: &Request) -> Response {
    if let Err(resp) = admin_session(app, req) {
        return resp;
    }
    let lines: Vec<String> = app
        .audit
        .tail(50)
        .into_iter()
        .map(|e| format!("entry={} {} {} {} {}", e.seq, e.at, e.actor, e.action, e.detail))
        .collect();
    Response::ok(lines.join("\n"))
}
