from conftest import login, request, session_of


def ticket_from_outbox(app):
    return app.outbox[-1]["body"].split("ticket=", 1)[1]


def test_reset_flow(app, alice):
    sid = session_of(app, "alice@example.com")
    assert app.handle(request("POST", "/password-reset", {"email": "alice@example.com"})).status == 202
    ticket = ticket_from_outbox(app)
    resp = app.handle(request("POST", "/password-reset/confirm",
                              {"ticket": ticket, "new_password": "a fresh password"}))
    assert resp.status == 200
    assert app.handle(request("GET", "/me", cookie=sid)).status == 401
    assert login(app, "alice@example.com", "a fresh password").status == 200


def test_ticket_works_once(app, alice):
    app.handle(request("POST", "/password-reset", {"email": "alice@example.com"}))
    ticket = ticket_from_outbox(app)
    body = {"ticket": ticket, "new_password": "a fresh password"}
    assert app.handle(request("POST", "/password-reset/confirm", body)).status == 200
    assert app.handle(request("POST", "/password-reset/confirm", body)).status == 400


def test_ticket_expires(app, alice, clock):
    app.handle(request("POST", "/password-reset", {"email": "alice@example.com"}))
    ticket = ticket_from_outbox(app)
    clock.advance(31 * 60)
    resp = app.handle(request("POST", "/password-reset/confirm",
                              {"ticket": ticket, "new_password": "a fresh password"}))
    assert resp.status == 400 and "expired" in resp.body["message"]


def test_unknown_email_is_accepted_silently(app):
    resp = app.handle(request("POST", "/password-reset", {"email": "ghost@example.com"}))
    assert resp.status == 202
    assert app.outbox == []


def test_reset_lifts_lockout(app, alice):
    for _ in range(3):
        login(app, "alice@example.com", "wrong wrong")
    assert login(app, "alice@example.com").status == 429
    app.handle(request("POST", "/password-reset", {"email": "alice@example.com"}))
    app.handle(request("POST", "/password-reset/confirm",
                       {"ticket": ticket_from_outbox(app), "new_password": "a fresh password"}))
    assert login(app, "alice@example.com", "a fresh password").status == 200
