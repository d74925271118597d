//! `GET /me` and `POST /account/password`.

use crate::app::App;
use crate::audit::actions;
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::roles::Permission;
use crate::session_registry;

/// GET /me. Accepts a session (header or cookie) or an API token (`Bearer`).
pub fn whoami(app: &App, req: &Request) -> Response {
    let now = app.now();
    let auth = req.header("authorization").unwrap_or("");

    // Scripts call /me with their API token to check it still works.
    if let Some(presented) = auth.strip_prefix("Bearer ") {
        let token = match app.tokens.validate(presented.trim(), now) {
            Ok(token) => token,
            Err(err) => return Response::error(&err),
        };
        let user = match app.users.find(&token.owner) {
            Some(user) => user,
            None => return Response::error(&AuthError::InvalidToken),
        };
        if user.disabled {
            return Response::error(&AuthError::AccountDisabled);
        }
        return Response::ok(format!(
            "username={}\nrole={}\nauth=token\ntoken_id={}\nservice={}",
            user.username, user.role, token.id, app.config.service_name
        ));
    }

    let sid = match auth.strip_prefix("Session ") {
        Some(sid) => sid.trim().to_string(),
        None => match req.cookie("sid") {
            Some(sid) => sid.to_string(),
            None => return Response::error(&AuthError::MissingCredentials),
        },
    };
    let store = session_registry::global();
    let session = match store.get(&sid) {
        Some(session) => session,
        None => return Response::error(&AuthError::UnknownSession),
    };
    if session.is_expired(now) {
        store.revoke(&sid);
        return Response::error(&AuthError::SessionExpired);
    }
    let user = match app.users.find(&session.username) {
        Some(user) => user,
        None => return Response::error(&AuthError::UnknownSession),
    };
    if user.disabled {
        return Response::error(&AuthError::AccountDisabled);
    }
    if !user.role.allows(Permission::ReadProfile) {
        return Response::error(&AuthError::Forbidden("profile:read".to_string()));
    }
    store.touch(&sid, now);
    Response::ok(format!(
        "username={}\nrole={}\nauth=session\nsession_expires_at={}\nservice={}",
        user.username, user.role, session.expires_at, app.config.service_name
    ))
}

/// POST /account/password with `current_password` and `new_password`.
/// Requires a session; all *other* sessions of the user are logged out.
pub fn change_password(app: &App, req: &Request) -> Response {
    let now = app.now();
    let sid = match req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Session "))
    {
        Some(sid) => sid.trim().to_string(),
        None => match req.cookie("sid") {
            Some(sid) => sid.to_string(),
            None => return Response::error(&AuthError::MissingCredentials),
        },
    };
    let store = session_registry::global();
    let session = match store.get(&sid) {
        Some(session) if !session.is_expired(now) => session,
        Some(_) => {
            store.revoke(&sid);
            return Response::error(&AuthError::SessionExpired);
        }
        None => return Response::error(&AuthError::UnknownSession),
    };
    let user = match app.users.find(&session.username) {
        Some(user) if !user.disabled => user,
        Some(_) => return Response::error(&AuthError::AccountDisabled),
        None => return Response::error(&AuthError::UnknownSession),
    };
    if !user.role.allows(Permission::ChangeOwnPassword) {
        return Response::error(&AuthError::Forbidden("password:change".to_string()));
    }

    let form = req.form();
    let current = form.get("current_password").unwrap_or("");
    let new_password = match form.require("new_password") {
        Ok(p) => p.to_string(),
        Err(err) => return Response::error(&err),
    };

    let throttle_key = format!("password:{}", user.username);
    if !app.limiter.try_acquire(&throttle_key, now) {
        let retry_after = app.limiter.retry_after(&throttle_key, now);
        return Response::error(&AuthError::Throttled { retry_after });
    }
    // Re-check the current password before allowing the change.
    if !app.users.hasher().verify(current, &user.password_hash) {
        app.audit
            .record(now, &user.username, actions::LOGIN_FAILED, "bad current password");
        return Response::error(&AuthError::InvalidCredentials);
    }
    if let Err(err) = app.users.set_password(&user.username, &new_password, now) {
        return Response::error(&err);
    }
    app.limiter.reset(&throttle_key);
    let dropped = store.revoke_user(&user.username, Some(&sid));
    app.audit.record(
        now,
        &user.username,
        actions::PASSWORD_CHANGED,
        &format!("other sessions revoked: {dropped}"),
    );
    Response::ok(format!("password_changed=true\nsessions_revoked={dropped}"))
}
