from conftest import request

from pyauth.settings import settings_from_env


def test_unknown_route_is_404(app):
    assert app.handle(request("GET", "/nope")).status == 404


def test_wrong_method_is_405(app):
    assert app.handle(request("DELETE", "/login")).status == 405


def test_register_user_validates(app):
    bad = [("not-an-email", "long enough password"), ("carol@example.com", "short")]
    for email, pw in bad:
        try:
            app.register_user(email, pw)
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "status", None) == 400
        else:
            raise AssertionError("expected a validation error")
    user = app.register_user("carol@example.com", "long enough password")
    assert app.audit.events(action="user.created", user_id=user.id)


def test_settings_from_env():
    s = settings_from_env({"PYAUTH_LOGIN_MAX_ATTEMPTS": "7", "PYAUTH_SECURE_COOKIES": "no",
                           "PYAUTH_COOKIE_NAME": "portal"})
    assert s.login_max_attempts == 7 and s.secure_cookies is False and s.cookie_name == "portal"
