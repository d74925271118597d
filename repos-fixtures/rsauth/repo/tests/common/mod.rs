//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rsauth::sync::Arc;
use rsauth::{App, Config, ManualClock, Request, Response, Role};

pub const START: u64 = 1_700_000_000;
pub const PASSWORD: &str = "correct-horse-1";

pub fn app_with(config: Config) -> (App, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(START));
    let app = App::new(config, clock.clone());
    (app, clock)
}

pub fn app() -> (App, Arc<ManualClock>) {
    app_with(Config::default())
}

pub fn add_user(app: &App, username: &str, role: Role) {
    app.users()
        .create(username, PASSWORD, role, app.now())
        .expect("create user");
}

pub fn login_form(username: &str, password: &str) -> Request {
    Request::post("/login", &format!("username={username}&password={password}"))
}

/// Log in and return the session id.
pub fn login(app: &App, username: &str, password: &str) -> String {
    let resp = app.handle(&login_form(username, password));
    assert_eq!(resp.status, 200, "login failed: {}", resp.body);
    resp.field("session").expect("session field").to_string()
}

pub fn with_session(req: Request, sid: &str) -> Request {
    req.with_header("Authorization", &format!("Session {sid}"))
}

pub fn get(app: &App, path: &str, sid: &str) -> Response {
    app.handle(&with_session(Request::get(path), sid))
}

pub fn post(app: &App, path: &str, body: &str, sid: &str) -> Response {
    app.handle(&with_session(Request::post(path, body), sid))
}
