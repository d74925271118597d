"""Timestamp helpers.  The shop keeps POSIX timestamps (UTC) everywhere."""

import datetime as _dt

DAY = 24 * 3600


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_of(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc).strftime("%Y-%m-%d")


def day_bounds(day: str) -> tuple:
    try:
        start = _dt.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        raise ValueError(f"not a YYYY-MM-DD date: {day!r}") from None
    begin = start.timestamp()
    return begin, begin + DAY


def year_of(ts: float) -> int:
    return _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc).year
