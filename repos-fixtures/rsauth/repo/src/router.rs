//! Maps `(method, path)` to a handler.

use crate::app::App;
use crate::handlers::{account, admin, login, tokens};
use crate::http::{Method, Request, Response};

pub fn dispatch(app: &App, req: &Request) -> Response {
    let path = req.path.split('?').next().unwrap_or("");
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    match (req.method, path) {
        (Method::Post, "/login") => login::login(app, req),
        (Method::Post, "/logout") => login::logout(app, req),
        (Method::Get, "/me") => account::whoami(app, req),
        (Method::Post, "/account/password") => account::change_password(app, req),
        (Method::Get, "/tokens") => tokens::list_tokens(app, req),
        (Method::Post, "/tokens") => tokens::create_token(app, req),
        (Method::Post, "/tokens/revoke") => tokens::revoke_token(app, req),
        (Method::Get, "/admin/users") => admin::list_users(app, req),
        (Method::Post, "/admin/users") => admin::create_user(app, req),
        (Method::Post, "/admin/users/disable") => admin::disable_user(app, req),
        (Method::Post, "/admin/users/role") => admin::set_role(app, req),
        (Method::Get, "/admin/audit") => admin::audit_tail(app, req),
        (Method::Get, "/health") => Response::ok("status=ok"),
        _ => Response::not_found(),
    }
}
