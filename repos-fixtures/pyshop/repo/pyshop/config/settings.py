"""Runtime settings.

``Settings`` is immutable; use ``with_overrides`` to derive a variant (the
tests do that a lot).  ``from_env`` reads ``PYSHOP_*`` variables.
"""

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Settings:
    shop_name: str = "pyshop"
    currency: str = "USD"
    store_country: str = "US"
    free_shipping_threshold_cents: int = 7500
    session_ttl_seconds: int = 12 * 3600
    unpaid_order_ttl_seconds: int = 3 * 24 * 3600
    abandoned_cart_seconds: int = 7 * 24 * 3600
    low_stock_threshold: int = 5
    loyalty_points_per_dollar: int = 1
    password_iterations: int = 1000
    cache_ttl_seconds: int = 300
    ops_email: str = "ops@pyshop.test"
    sender_email: str = "orders@pyshop.test"
    max_cart_lines: int = 50
    max_line_quantity: int = 99
    feature_flags: tuple = field(default_factory=tuple)

    def with_overrides(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    def feature(self, name: str) -> bool:
        return name in self.feature_flags

    @classmethod
    def from_env(cls, env: dict) -> "Settings":
        values = {}
        for f in dataclasses.fields(cls):
            key = "PYSHOP_" + f.name.upper()
            if key not in env:
                continue
            raw = env[key]
            if f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.name == "feature_flags":
                values[f.name] = tuple(x.strip() for x in raw.split(",") if x.strip())
            else:
                values[f.name] = raw
        return cls(**values)
