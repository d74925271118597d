"""Service settings.  Read once at start-up from the environment
(POSTROOM_* variables); tests build Settings directly."""

from __future__ import annotations

import dataclasses
import os
from typing import Mapping


@dataclasses.dataclass(frozen=True)
class Settings:
    hostname: str = "postroom.internal"
    default_sender: str = "no-reply@example.com"
    admin_token: str = "change-me"
    max_message_bytes: int = 512 * 1024
    max_recipients: int = 50
    max_subject_length: int = 200
    queue_capacity: int = 1000
    worker_count: int = 4
    worker_poll_seconds: float = 0.5
    retry_base_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    retry_max_attempts: int = 5
    domain_rate_per_minute: int = 120
    dedup_ttl_seconds: float = 86400.0
    pool_size_per_host: int = 2
    pool_acquire_timeout: float = 10.0
    mx_cache_seconds: float = 300.0
    metrics_flush_seconds: float = 60.0
    relay_url: str = "memory://relay"
    hard_bounce_suppresses: bool = True


DEFAULT_SETTINGS = Settings()

_INT_FIELDS = {"max_message_bytes", "max_recipients", "max_subject_length", "queue_capacity",
               "worker_count", "retry_max_attempts", "domain_rate_per_minute",
               "pool_size_per_host"}
_FLOAT_FIELDS = {"worker_poll_seconds", "retry_base_seconds", "retry_max_seconds",
                 "dedup_ttl_seconds", "pool_acquire_timeout", "mx_cache_seconds",
                 "metrics_flush_seconds"}
_BOOL_FIELDS = {"hard_bounce_suppresses"}


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from POSTROOM_<FIELD> variables (upper case)."""
    environ = os.environ if environ is None else environ
    values = {}
    for field in dataclasses.fields(Settings):
        key = "POSTROOM_" + field.name.upper()
        if key not in environ:
            continue
        raw = environ[key].strip()
        try:
            if field.name in _INT_FIELDS:
                values[field.name] = int(raw)
            elif field.name in _FLOAT_FIELDS:
                values[field.name] = float(raw)
            elif field.name in _BOOL_FIELDS:
                if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(raw)
                values[field.name] = raw.lower() in ("1", "true", "yes")
            else:
                values[field.name] = raw
        except ValueError:
            raise ValueError(f"{key}: cannot read {raw!r} as the type of {field.name}") from None
    settings = Settings(**values)
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    if settings.queue_capacity < 1:
        raise ValueError("queue_capacity must be at least 1")
    if settings.worker_count < 1:
        raise ValueError("worker_count must be at least 1")
    if settings.retry_base_seconds <= 0 or settings.retry_max_seconds < settings.retry_base_seconds:
        raise ValueError("retry_base_seconds must be positive and at most retry_max_seconds")
    if settings.retry_max_attempts < 1:
        raise ValueError("retry_max_attempts must be at least 1")
    if settings.pool_size_per_host < 1:
        raise ValueError("pool_size_per_host must be at least 1")
