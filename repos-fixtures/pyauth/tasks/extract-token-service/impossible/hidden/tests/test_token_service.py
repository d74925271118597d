"""TokenService: the API token lifecycle outside the HTTP handlers (hidden tests)."""

import pytest
from conftest import PASSWORD, request, session_of

from pyauth.app import Application
from pyauth.errors import (AccountDisabled, Conflict, Forbidden, InvalidCredentials, NotFound,
                           TooManyAttempts, Unauthorized, ValidationError)
from pyauth.models import ApiToken, User

# The new API is imported inside the tests so that, before the refactor, only
# these tests fail and the rest of the suite still runs.


def TokenService(*args, **kwargs):  # noqa: N802 - stands for the class
    from pyauth.token_service import TokenService as cls
    return cls(*args, **kwargs)


@pytest.fixture
def service(app):
    return TokenService(app.tokens, app.users, clock=app.clock, settings=app.settings,
                        audit=app.audit)


def bearer(plaintext):
    return {"Authorization": f"Bearer {plaintext}"}


def test_issue_returns_the_plaintext_once(service, app, alice, clock):
    from pyauth.token_service import IssuedToken

    issued = service.issue(alice, "  deploy bot ")
    assert isinstance(issued, IssuedToken)
    assert isinstance(issued.token, ApiToken)
    assert issued.token.label == "deploy bot"
    assert issued.token.user_id == alice.id
    assert issued.token.created_at == clock.now()
    assert issued.plaintext.startswith(app.settings.api_token_prefix)
    assert issued.token.prefix == issued.plaintext[:8]
    body = issued.public()
    assert body["token"] == issued.plaintext and body["label"] == "deploy bot"
    assert app.tokens.find_active(issued.plaintext).id == issued.token.id
    stored = repr(app.db.table("api_tokens").all())
    assert issued.plaintext not in stored
    assert app.audit.events(action="token.created", user_id=alice.id)


def test_issue_checks_label_permission_account_and_quota(service, app, alice, settings, clock):
    for label in ("", "   ", "x" * 61, None):
        with pytest.raises(ValidationError):
            service.issue(alice, label)
    assert service.issue(alice, "x" * 60).token.label == "x" * 60
    helpdesk = app.register_user("help@example.com", PASSWORD, roles=("support",))
    with pytest.raises(Forbidden):
        service.issue(helpdesk, "ci")
    app.users.set_active(alice.id, False)
    with pytest.raises(AccountDisabled):
        service.issue(app.users.get(alice.id), "ci")

    capped = Application(settings=settings.override(max_api_tokens_per_user=2), clock=clock)
    carol = capped.register_user("carol@example.com", PASSWORD)
    capped.token_service.issue(carol, "one")
    capped.token_service.issue(carol, "two")
    with pytest.raises(Conflict):
        capped.token_service.issue(carol, "three")


def test_issue_with_password_applies_the_lockout(service, app, alice):
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            service.issue_with_password(alice, "ci", "wrong wrong", remote_addr="10.4.4.4")
    assert len(app.audit.events(action="token.create_failed", user_id=alice.id)) == 3
    with pytest.raises(TooManyAttempts) as info:
        service.issue_with_password(alice, "ci", PASSWORD, remote_addr="10.4.4.4")
    assert info.value.retry_after == pytest.approx(600)
    issued = service.issue_with_password(alice, "ci", PASSWORD, remote_addr="10.5.5.5")
    assert issued.token.label == "ci"
    with pytest.raises(ValidationError):
        service.issue_with_password(alice, "", PASSWORD, remote_addr="10.5.5.5")


def test_authenticate_marks_the_token_used(service, app, alice, clock):
    issued = service.issue(alice, "ci")
    assert issued.token.last_used_at is None
    clock.advance(42)
    user = service.authenticate(issued.plaintext)
    assert isinstance(user, User) and user.id == alice.id
    [listed] = service.list_tokens(alice.id)
    assert listed.id == issued.token.id and listed.last_used_at == clock.now()
    for bad in (None, "", "pat_nope", issued.plaintext + "x"):
        with pytest.raises(Unauthorized):
            service.authenticate(bad)


def test_authenticate_rejects_tokens_of_deactivated_accounts(service, app, alice, clock):
    issued = service.issue(alice, "ci")
    app.users.set_active(alice.id, False)
    clock.advance(5)
    assert service.authenticate(issued.plaintext).id == alice.id
    [listed] = service.list_tokens(alice.id)
    assert listed.last_used_at == clock.now()


def test_revoke_and_revoke_all(service, app, alice, admin):
    first = service.issue(alice, "one")
    second = service.issue(alice, "two")
    theirs = service.issue(admin, "root")
    with pytest.raises(NotFound):
        service.revoke(alice.id, theirs.token.id)
    service.revoke(alice.id, first.token.id)
    assert app.audit.events(action="token.revoked", user_id=alice.id)
    with pytest.raises(NotFound):
        service.revoke(alice.id, first.token.id)
    with pytest.raises(Unauthorized):
        service.authenticate(first.plaintext)
    assert [t.id for t in service.list_tokens(alice.id)] == [second.token.id]
    assert service.revoke_all(alice.id) == 1
    assert service.revoke_all(alice.id) == 0
    assert service.list_tokens(alice.id) == []
    assert service.authenticate(theirs.plaintext).id == admin.id


def test_application_exposes_its_token_service(app, alice):
    from pyauth.token_service import TokenService as cls

    assert isinstance(app.token_service, cls)
    issued = app.token_service.issue(alice, "provisioned")
    resp = app.handle(request("GET", "/tokens/whoami", headers=bearer(issued.plaintext)))
    assert resp.status == 200 and resp.body["email"] == "alice@example.com"
    sid = session_of(app, "alice@example.com")
    listed = app.handle(request("GET", "/tokens", cookie=sid)).body["tokens"]
    assert [t["label"] for t in listed] == ["provisioned"]


def test_http_handlers_go_through_the_token_service(app, alice):
    calls = []
    real = app.token_service

    class Spy:
        def __getattr__(self, name):
            attr = getattr(real, name)
            if callable(attr):
                def wrapper(*args, **kwargs):
                    calls.append(name)
                    return attr(*args, **kwargs)
                return wrapper
            return attr

    app.token_service = Spy()
    sid = session_of(app, "alice@example.com")
    created = app.handle(request("POST", "/tokens", {"label": "ci", "password": PASSWORD}, cookie=sid))
    assert created.status == 201
    assert app.handle(request("GET", "/tokens/whoami", headers=bearer(created.body["token"]))).status == 200
    assert app.handle(request("GET", "/tokens", cookie=sid)).status == 200
    assert app.handle(request("DELETE", f"/tokens/{created.body['id']}", cookie=sid)).status == 200
    assert calls == ["issue_with_password", "authenticate", "list_tokens", "revoke"]


def test_token_creation_failures_keep_their_http_shape(app, alice):
    sid = session_of(app, "alice@example.com")
    bad_label = app.handle(request("POST", "/tokens", {"label": "", "password": PASSWORD}, cookie=sid))
    assert bad_label.status == 400 and bad_label.body["error"] == "invalid_request"
    for _ in range(3):
        wrong = app.handle(request("POST", "/tokens", {"label": "ci", "password": "wrong wrong"},
                                   cookie=sid))
        assert wrong.status == 401 and wrong.body["error"] == "invalid_credentials"
    locked = app.handle(request("POST", "/tokens", {"label": "ci", "password": PASSWORD}, cookie=sid))
    assert locked.status == 429 and locked.headers["Retry-After"] == "600"
    # The application's service shares the sign-in lockout of the HTTP endpoints.
    with pytest.raises(TooManyAttempts):
        app.token_service.issue_with_password(alice, "ci", PASSWORD, remote_addr="10.0.0.1")
    assert app.token_service.issue_with_password(alice, "ci", PASSWORD,
                                                 remote_addr="10.0.0.2").token.label == "ci"


def test_deactivation_revokes_tokens_through_the_service(app, admin, alice):
    issued = app.token_service.issue(alice, "ci")
    revoked_for = []
    real_revoke_all = app.token_service.revoke_all

    def spy(user_id):
        revoked_for.append(user_id)
        return real_revoke_all(user_id)

    app.token_service.revoke_all = spy
    root = session_of(app, "root@example.com")
    resp = app.handle(request("POST", f"/admin/users/{alice.id}/deactivate", cookie=root))
    assert resp.status == 200 and resp.body["tokens_revoked"] == 1
    assert revoked_for == [alice.id]
    assert app.handle(request("GET", "/tokens/whoami", headers=bearer(issued.plaintext))).status == 401
