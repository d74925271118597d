//! `GET /tokens`, `POST /tokens`, `POST /tokens/revoke`.

use crate::app::App;
use crate::audit::actions;
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::roles::Permission;
use crate::session_registry;
use crate::users::User;

/// Tokens can only be managed from a browser session (never with a token).
fn session_user(app: &App, req: &Request) -> Result<User, AuthError> {
    let now = app.now();
    let sid = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Session "))
        .map(|s| s.trim().to_string())
        .or_else(|| req.cookie("sid").map(str::to_string))
        .ok_or(AuthError::MissingCredentials)?;
    let store = session_registry::global();
    let session = store.get(&sid).ok_or(AuthError::UnknownSession)?;
    if session.is_expired(now) {
        store.revoke(&sid);
        return Err(AuthError::SessionExpired);
    }
    let user = app
        .users
        .find(&session.username)
        .ok_or(AuthError::UnknownSession)?;
    if user.disabled {
        return Err(AuthError::AccountDisabled);
    }
    store.touch(&sid, now);
    Ok(user)
}

/// POST /tokens with an optional `label`.
pub fn create_token(app: &App, req: &Request) -> Response {
    let user = match session_user(app, req) {
        Ok(user) => user,
        Err(err) => return Response::error(&err),
    };
    let now = app.now();
    if !user.role.allows(Permission::IssueApiTokens) {
        app.audit
            .record(now, &user.username, actions::ACCESS_DENIED, "tokens:issue");
        return Response::error(&AuthError::Forbidden("tokens:issue".to_string()));
    }
    let throttle_key = format!("tokens:{}", user.username);
    if !app.limiter.try_acquire(&throttle_key, now) {
        let retry_after = app.limiter.retry_after(&throttle_key, now);
        return Response::error(&AuthError::Throttled { retry_after });
    }
    let form = req.form();
    let label = form.get("label").unwrap_or("unnamed");
    match app.tokens.issue(
        &user.username,
        label,
        now,
        app.config.token_ttl_secs,
        app.config.max_tokens_per_user,
    ) {
        Ok(issued) => {
            app.audit
                .record(now, &user.username, actions::TOKEN_ISSUED, &issued.id);
            Response::with_status(
                201,
                format!(
                    "id={}\ntoken={}\nexpires_at={}",
                    issued.id, issued.token, issued.expires_at
                ),
            )
        }
        Err(err) => Response::error(&err),
    }
}

/// POST /tokens/revoke with `id`.
pub fn revoke_token(app: &App, req: &Request) -> Response {
    let user = match session_user(app, req) {
        Ok(user) => user,
        Err(err) => return Response::error(&err),
    };
    let form = req.form();
    let id = match form.require("id") {
        Ok(id) => id.to_string(),
        Err(err) => return Response::error(&err),
    };
    match app.tokens.revoke(&id, &user.username) {
        Ok(()) => {
            app.audit
                .record(app.now(), &user.username, actions::TOKEN_REVOKED, &id);
            Response::ok(format!("revoked={id}"))
        }
        Err(err) => Response::error(&err),
    }
}

/// GET /tokens: one `token=<id> <label> <active|inactive>` line per token.
pub fn list_tokens(app: &App, req: &Request) -> Response {
    let user = match session_user(app, req) {
        Ok(user) => user,
        Err(err) => return Response::error(&err),
    };
    let now = app.now();
    let lines: Vec<String> = app
        .tokens
        .list_for(&user.username)
        .into_iter()
        .map(|t| {
            let state = if t.is_active(now) { "active" } else { "inactive" };
            format!("token={} {} {}", t.id, t.label, state)
        })
        .collect();
    Response::ok(lines.join("\n"))
}
