import pytest

from mailq.addresses import (domain_of, group_by_domain, is_valid_address, normalize_address,
                             parse_address_list, parse_mailbox, split_address)


def test_normalize_lowercases_the_domain_only():
    assert normalize_address(" Bob@Example.COM ") == "Bob@example.com"


@pytest.mark.parametrize("bad", ["", "bob", "bob@", "@example.com", "bob@example",
                                 "a b@example.com", "bob..x@example.com", "bob@-x.com"])
def test_invalid_addresses(bad):
    assert not is_valid_address(bad)
    with pytest.raises(ValueError):
        split_address(bad)


def test_mailbox_and_lists():
    assert parse_mailbox('"Bob Smith" <bob@Example.com>') == ("Bob Smith", "bob@example.com")
    assert parse_address_list("a@x.org, B <b@y.org>,") == ["a@x.org", "b@y.org"]
    assert domain_of("a@Mail.X.org") == "mail.x.org"


def test_group_by_domain_keeps_order():
    groups = group_by_domain(["a@x.org", "b@y.org", "c@x.org"])
    assert groups == {"x.org": ["a@x.org", "c@x.org"], "y.org": ["b@y.org"]}
