from decimal import Decimal

import pytest

from pyshop.errors import ValidationError
from pyshop.ids import luhn_ok
from pyshop.util.dates import day_bounds, day_of, iso
from pyshop.util.money import allocate, format_money, from_cents, percent_of, to_cents
from pyshop.util.pagination import page_params, paginate
from pyshop.util.text import normalize_email, slugify, truncate
from pyshop.util.validation import positive_int, valid_email, valid_password, valid_sku


def test_money_conversions():
    assert to_cents("12.345") == 1235
    assert to_cents(0.1 + 0.2) == 30
    assert from_cents(1999) == Decimal("19.99")
    assert format_money(123456) == "$1,234.56"
    assert format_money(-5, "EUR") == "-\u20ac0.05"
    assert format_money(100, "CHF") == "1.00 CHF"


def test_percent_of_rounds_half_up():
    assert percent_of(3000, "7.25") == 218
    assert percent_of(4500, "7.25") == 326
    assert percent_of(1, 50) == 1
    assert percent_of(0, 19) == 0


def test_allocate_preserves_total():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(500, [3000, 4500]) == [200, 300]
    assert allocate(7, [0, 0]) == [7, 0]
    assert sum(allocate(999, [17, 23, 61])) == 999
    assert allocate(10, []) == []


def test_text_helpers():
    assert slugify("Caf\u00e9 & Board Games!") == "cafe-board-games"
    assert normalize_email("  Alice@Example.COM ") == "alice@example.com"
    assert truncate("abcdefgh", 6) == "abc..."


def test_validation_helpers():
    assert valid_email(" Bob@Example.com") == "bob@example.com"
    with pytest.raises(ValidationError):
        valid_email("bob@example")
    with pytest.raises(ValidationError):
        valid_password("password")
    assert valid_sku("dice-red") == "DICE-RED"
    assert positive_int("3", "quantity") == 3
    assert positive_int(0, "n", allow_zero=True) == 0
    for bad in (0, -1, "x", True, None):
        with pytest.raises(ValidationError):
            positive_int(bad, "quantity")
    with pytest.raises(ValidationError):
        positive_int(100, "quantity", maximum=99)


def test_pagination_and_dates():
    assert page_params({"page": "2", "per_page": "500"}) == (2, 100)
    with pytest.raises(ValidationError):
        page_params({"page": "0"})
    page = paginate(list(range(45)), 3, 20)
    assert page["items"] == list(range(40, 45)) and page["pages"] == 3
    assert iso(0) == "1970-01-01T00:00:00Z" and iso(None) is None
    assert day_of(1_700_000_000) == "2023-11-14"
    start, end = day_bounds("2023-11-14")
    assert start <= 1_700_000_000 < end
    assert luhn_ok("4242424242424242") and not luhn_ok("4242424242424241")
