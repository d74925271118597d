mod common;

use common::*;
use rsauth::sweeper::{sweep_once, Sweeper};
use rsauth::sync::Arc;
use rsauth::{Config, Role};
use std::time::Duration;

#[test]
fn sweep_drops_expired_sessions_and_rate_windows() {
    let config = Config {
        session_ttl_secs: 100,
        rate_window_secs: 50,
        ..Config::default()
    };
    let (app, clock) = app_with(config);
    add_user(&app, "sw-alice", Role::Viewer);
    let early = login(&app, "sw-alice", PASSWORD);
    app.handle(&login_form("sw-bob", "whatever-1"));
    clock.advance(60);
    let late = login(&app, "sw-alice", PASSWORD);
    let first = sweep_once(&app);
    assert_eq!(first.sessions_removed, 0);
    assert_eq!(first.rate_windows_removed, 1);
    app.handle(&login_form("sw-bob", "whatever-1"));
    clock.advance(40);
    let second = sweep_once(&app);
    assert_eq!(second.sessions_removed, 1);
    assert_eq!(second.rate_windows_removed, 0);
    assert_eq!(get(&app, "/me", &early).status, 401);
    assert_eq!(get(&app, "/me", &late).status, 200);
}

#[test]
fn background_sweeper_runs_until_stopped() {
    let (app, _clock) = app();
    let sweeper = Sweeper::start(Arc::new(app), Duration::from_millis(1));
    while sweeper.passes() == 0 {
        rsauth::sync::thread::yield_now();
    }
    assert!(sweeper.stop() >= 1);
}
