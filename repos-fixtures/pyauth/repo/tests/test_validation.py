import pytest

from pyauth.errors import ValidationError
from pyauth.validation import normalize_email, validate_display_name, validate_email, validate_password


def test_normalize_email():
    assert normalize_email("  Bob@Example.COM ") == "bob@example.com"
    assert normalize_email(None) == ""


@pytest.mark.parametrize("email", ["", "bob", "bob@", "@example.com", "bob@example", "a b@example.com"])
def test_invalid_emails(email):
    with pytest.raises(ValidationError):
        validate_email(email)


def test_password_rules():
    assert validate_password("long enough pw", 10, "bob@example.com")
    with pytest.raises(ValidationError):
        validate_password("short", 10)
    with pytest.raises(ValidationError):
        validate_password("12345678901", 10)
    with pytest.raises(ValidationError):
        validate_password("my name is bob!", 10, "bob@example.com")


def test_display_name_is_squashed():
    assert validate_display_name("  Ada   Lovelace ") == "Ada Lovelace"
    with pytest.raises(ValidationError):
        validate_display_name("x" * 81)
