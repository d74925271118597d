//! `POST /login` and `POST /logout`.

use crate::app::App;
use crate::audit::actions;
use crate::error::AuthError;
use crate::http::{Request, Response};
use crate::session_registry;

/// POST /login with form fields `username` and `password`.
pub fn login(app: &App, req: &Request) -> Response {
    let form = req.form();
    let username = match form.get("username") {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => return Response::error(&AuthError::MissingCredentials),
    };
    let password = form.get("password").unwrap_or("").to_string();
    let now = app.now();

    let throttle_key = format!("login:{username}");
    if !app.limiter.try_acquire(&throttle_key, now) {
        app.audit
            .record(now, &username, actions::LOGIN_THROTTLED, "too many attempts");
        let retry_after = app.limiter.retry_after(&throttle_key, now);
        return Response::error(&AuthError::Throttled { retry_after });
    }

    let user = match app.users.find(&username) {
        Some(user) => user,
        None => {
            app.audit
                .record(now, &username, actions::LOGIN_FAILED, "unknown user");
            return Response::error(&AuthError::InvalidCredentials);
        }
    };
    if !app.users.hasher().verify(&password, &user.password_hash) {
        app.audit
            .record(now, &username, actions::LOGIN_FAILED, "bad password");
        return Response::error(&AuthError::InvalidCredentials);
    }
    if user.disabled {
        app.audit
            .record(now, &username, actions::LOGIN_FAILED, "account disabled");
        return Response::error(&AuthError::AccountDisabled);
    }
    // Accounts imported from the old portal: upgrade the hash now that we know the password.
    if app.users.hasher().needs_rehash(&user.password_hash) {
        let upgraded = app.users.hash_for(&username, &password);
        let _ = app.users.replace_hash(&username, upgraded);
    }
    app.limiter.reset(&throttle_key);

    let ttl = app.config.session_ttl_secs;
    let session = session_registry::global().create(&user.username, user.role, now, ttl);
    app.audit
        .record(now, &user.username, actions::LOGIN_OK, &session.id);
    Response::ok(format!(
        "session={}\nusername={}\nrole={}\nexpires_at={}",
        session.id, session.username, session.role, session.expires_at
    ))
    .with_header(
        "set-cookie",
        &format!("sid={}; HttpOnly; Path=/; Max-Age={ttl}", session.id),
    )
}

/// POST /logout, authenticated by `Authorization: Session <id>` or the `sid` cookie.
pub fn logout(app: &App, req: &Request) -> Response {
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
    match session_registry::global().revoke(&sid) {
        Some(session) => {
            app.audit
                .record(app.now(), &session.username, actions::LOGOUT, &sid);
            Response::ok("logged_out=true").with_header("set-cookie", "sid=; Max-Age=0; Path=/")
        }
        None => Response::error(&AuthError::UnknownSession),
    }
}
