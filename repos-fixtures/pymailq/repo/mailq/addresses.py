"""E-mail address parsing and normalisation.

Deliberately simple: we only relay to addresses our own applications
produce, so anything exotic (quoted local parts, IP literals) is refused.
"""

from __future__ import annotations

import re

_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_NAME_ADDR_RE = re.compile(r"^\s*(?P<name>.*?)\s*<(?P<addr>[^<>]+)>\s*$")


def split_address(address: str) -> tuple[str, str]:
    """'Bob@Example.COM' -> ('Bob', 'example.com').  Raises ValueError."""
    if not isinstance(address, str):
        raise ValueError("address must be a string")
    address = address.strip()
    if address.count("@") != 1:
        raise ValueError(f"not an address: {address!r}")
    local, domain = address.split("@")
    if not local or len(local) > 64 or not _LOCAL_RE.match(local):
        raise ValueError(f"bad local part in {address!r}")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValueError(f"bad local part in {address!r}")
    domain = domain.lower().rstrip(".")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
        raise ValueError(f"bad domain in {address!r}")
    return local, domain


def normalize_address(address: str) -> str:
    """Lower-case the domain, keep the local part as written."""
    local, domain = split_address(address)
    return f"{local}@{domain}"


def is_valid_address(address) -> bool:
    try:
        split_address(address)
    except ValueError:
        return False
    return True


def domain_of(address: str) -> str:
    return split_address(address)[1]


def parse_mailbox(text: str) -> tuple[str, str]:
    """'Bob Smith <bob@example.com>' -> ('Bob Smith', 'bob@example.com')."""
    match = _NAME_ADDR_RE.match(text or "")
    if match:
        name = match.group("name").strip().strip('"')
        return name, normalize_address(match.group("addr"))
    return "", normalize_address(text)


def parse_address_list(text: str) -> list[str]:
    """Split a comma separated header value into normalised addresses."""
    result = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        result.append(parse_mailbox(part)[1])
    return result


def group_by_domain(addresses) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for address in addresses:
        groups.setdefault(domain_of(address), []).append(address)
    return groups
