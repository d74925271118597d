"""Feature flags known to the shop."""

KNOWN_FLAGS = {
    "loyalty": "award loyalty points on paid orders",
    "express_shipping": "offer the express carrier at checkout",
    "guest_checkout": "allow checkout without an account (not implemented)",
}


def enabled(settings, flag: str) -> bool:
    if flag not in KNOWN_FLAGS:
        raise KeyError(f"unknown feature flag {flag!r}")
    return settings.feature(flag)


def describe() -> list:
    return sorted(KNOWN_FLAGS.items())
