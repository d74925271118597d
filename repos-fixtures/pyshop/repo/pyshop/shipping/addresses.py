"""Postal address normalisation and validation."""

from ..errors import ValidationError
from ..util.text import squash_spaces

COUNTRIES = {"US", "CA", "DE", "FR", "GB", "NL"}
REGION_REQUIRED = {"US", "CA"}
FIELDS = ("name", "line1", "line2", "city", "region", "postcode", "country")


def normalize_address(data: dict) -> dict:
    if not isinstance(data, dict):
        raise ValidationError("address must be an object", field="address")
    address = {f: squash_spaces(str(data.get(f) or "")) for f in FIELDS}
    address["country"] = address["country"].upper()
    address["region"] = address["region"].upper() or None
    address["postcode"] = address["postcode"].upper()
    address["line2"] = address["line2"] or None
    return address


def validate_address(data: dict) -> dict:
    address = normalize_address(data)
    missing = [f for f in ("name", "line1", "city", "postcode", "country") if not address[f]]
    if missing:
        raise ValidationError("incomplete address: " + ", ".join(missing), fields=missing)
    if address["country"] not in COUNTRIES:
        raise ValidationError(f"we do not ship to {address['country']}", field="country")
    if address["country"] in REGION_REQUIRED and not address["region"]:
        raise ValidationError("region/state is required", field="region")
    return address


def one_line(address: dict) -> str:
    parts = [address.get("name"), address.get("line1"), address.get("line2"), address.get("city"),
             address.get("region"), address.get("postcode"), address.get("country")]
    return ", ".join(p for p in parts if p)
