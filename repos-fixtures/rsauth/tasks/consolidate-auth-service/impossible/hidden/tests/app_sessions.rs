//! Hidden tests: the HTTP layer uses the injected session store and the
//! consolidated credential checks (task consolidate-auth-service).

use rsauth::sessions::SessionStore;
use rsauth::sync::Arc;
use rsauth::{App, Config, ManualClock, Request, Role};

const PW: &str = "app-level-pw1";

fn app_with_store() -> (App, Arc<SessionStore>) {
    let sessions = Arc::new(SessionStore::new());
    let app = App::with_session_store(
        Config::default(),
        Arc::new(ManualClock::new(1_900_000_000)),
        sessions.clone(),
    );
    (app, sessions)
}

fn login(app: &App, user: &str) -> String {
    let resp = app.handle(&Request::post("/login", &format!("username={user}&password={PW}")));
    assert_eq!(resp.status, 200, "{}", resp.body);
    resp.field("session").unwrap().to_string()
}

fn with_session(req: Request, sid: &str) -> Request {
    req.with_header("Authorization", &format!("Session {sid}"))
}

#[test]
fn login_endpoint_writes_to_the_injected_store() {
    let (app, sessions) = app_with_store();
    app.users().create("hana", PW, Role::Viewer, 0).unwrap();
    let sid = login(&app, "hana");
    assert_eq!(sessions.get(&sid).unwrap().username, "hana");
    assert_eq!(app.auth().sessions().len(), 1);
    let resp = app.handle(&with_session(Request::post("/logout", ""), &sid));
    assert_eq!(resp.status, 200);
    assert!(sessions.is_empty());
}

#[test]
fn sessions_created_directly_in_the_store_are_honoured() {
    let (app, sessions) = app_with_store();
    app.users().create("ivo", PW, Role::Editor, 0).unwrap();
    let session = sessions.create("ivo", Role::Editor, app.now(), 60);
    let resp = app.handle(&with_session(Request::get("/me"), &session.id));
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.field("username"), Some("ivo"));
}

#[test]
fn apps_with_different_stores_are_isolated() {
    let (first, _) = app_with_store();
    let (second, _) = app_with_store();
    for app in [&first, &second] {
        app.users().create("jun", PW, Role::Viewer, 0).unwrap();
    }
    let sid = login(&first, "jun");
    assert_eq!(first.handle(&with_session(Request::get("/me"), &sid)).status, 200);
    assert_eq!(second.handle(&with_session(Request::get("/me"), &sid)).status, 200);
}

#[test]
fn role_changes_apply_to_existing_sessions() {
    let (app, _) = app_with_store();
    app.bootstrap_admin("kim", PW).unwrap();
    app.users().create("lea", PW, Role::Viewer, 0).unwrap();
    let admin = login(&app, "kim");
    let lea = login(&app, "lea");
    assert_eq!(app.handle(&with_session(Request::get("/admin/users"), &lea)).status, 403);

    let promote = app.handle(&with_session(
        Request::post("/admin/users/role", "username=lea&role=admin"),
        &admin,
    ));
    assert_eq!(promote.status, 200, "{}", promote.body);
    assert_eq!(app.handle(&with_session(Request::get("/admin/users"), &lea)).status, 200);
    assert_eq!(
        app.handle(&with_session(Request::get("/me"), &lea)).field("role"),
        Some("admin")
    );

    let demote = app.handle(&with_session(
        Request::post("/admin/users/role", "username=lea&role=viewer"),
        &admin,
    ));
    assert_eq!(demote.status, 200);
    assert_eq!(app.handle(&with_session(Request::get("/admin/users"), &lea)).status, 403);
}

#[test]
fn admin_endpoints_accept_the_session_cookie() {
    let (app, _) = app_with_store();
    app.bootstrap_admin("max", PW).unwrap();
    let sid = login(&app, "max");
    let resp = app.handle(&Request::get("/admin/users").with_header("Cookie", &format!("sid={sid}")));
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.fields("user"), vec!["max admin active"]);
}
