"""Reading the relay routing table from the ops configuration (INI).

    [default]
    relays = smtp://relay-1.internal:2525, smtp://relay-2.internal:2525

    [domain:example.com]
    relays = smtp://partner-gw.internal
"""

from __future__ import annotations

import configparser

from .mx import RoutingTable


class RoutingConfigError(ValueError):
    pass


def _relays(section, where: str) -> list[str]:
    raw = section.get("relays", "")
    relays = [r.strip() for r in raw.split(",") if r.strip()]
    if not relays:
        raise RoutingConfigError(f"{where}: 'relays' must list at least one transport URL")
    for relay in relays:
        if "://" not in relay:
            raise RoutingConfigError(f"{where}: {relay!r} is not a transport URL")
    return relays


def parse_routing(text: str, source: str = "<routing>") -> RoutingTable:
    parser = configparser.ConfigParser()
    try:
        parser.read_string(text, source=source)
    except configparser.Error as exc:
        raise RoutingConfigError(f"{source}: {exc}") from None
    if not parser.has_section("default"):
        raise RoutingConfigError(f"{source}: missing [default] section")
    default = _relays(parser["default"], f"{source} [default]")
    routes = {}
    for name in parser.sections():
        if name == "default":
            continue
        if not name.startswith("domain:"):
            raise RoutingConfigError(f"{source}: unknown section [{name}]")
        domain = name[len("domain:"):].strip().lower()
        if not domain or "." not in domain:
            raise RoutingConfigError(f"{source}: bad domain in [{name}]")
        routes[domain] = _relays(parser[name], f"{source} [{name}]")
    return RoutingTable(default=default, routes=routes)


def load_routing(path: str) -> RoutingTable:
    with open(path, encoding="utf-8") as handle:
        return parse_routing(handle.read(), source=path)
