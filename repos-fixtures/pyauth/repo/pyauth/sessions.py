"""Browser sessions.

Sessions live in a process-wide registry shared by every handler (the
front end runs one process per node and sticky-routes clients to it).
"""

from __future__ import annotations

import secrets
import threading
from typing import Optional

from .clock import Clock
from .models import Session

# session id -> Session
_REGISTRY: dict = {}
_REGISTRY_LOCK = threading.Lock()


def new_session_id() -> str:
    return secrets.token_urlsafe(24)


def create_session(user_id: int, ttl_seconds: float, clock: Clock, remote_addr: str = "") -> Session:
    now = clock.now()
    session = Session(id=new_session_id(), user_id=user_id, created_at=now,
                      expires_at=now + ttl_seconds, remote_addr=remote_addr or "")
    with _REGISTRY_LOCK:
        _REGISTRY[session.id] = session
    return session


def get_session(session_id: Optional[str], clock: Clock) -> Optional[Session]:
    """The live session for ``session_id``; expired sessions are dropped."""
    if not session_id:
        return None
    with _REGISTRY_LOCK:
        session = _REGISTRY.get(session_id)
        if session is None:
            return None
        if session.is_expired(clock.now()):
            del _REGISTRY[session_id]
            return None
        return session


def drop_session(session_id: Optional[str]) -> bool:
    if not session_id:
        return False
    with _REGISTRY_LOCK:
        return _REGISTRY.pop(session_id, None) is not None


def drop_user_sessions(user_id: int, keep: Optional[str] = None) -> int:
    """Remove every session of ``user_id`` except ``keep``; returns how many."""
    with _REGISTRY_LOCK:
        doomed = [sid for sid, s in _REGISTRY.items() if s.user_id == user_id and sid != keep]
        for sid in doomed:
            del _REGISTRY[sid]
        return len(doomed)


def sessions_for_user(user_id: int, clock: Clock) -> list:
    now = clock.now()
    with _REGISTRY_LOCK:
        live = [s for s in _REGISTRY.values() if s.user_id == user_id and not s.is_expired(now)]
    return sorted(live, key=lambda s: s.created_at)


def purge_expired(clock: Clock) -> int:
    now = clock.now()
    with _REGISTRY_LOCK:
        doomed = [sid for sid, s in _REGISTRY.items() if s.is_expired(now)]
        for sid in doomed:
            del _REGISTRY[sid]
        return len(doomed)


def session_count() -> int:
    with _REGISTRY_LOCK:
        return len(_REGISTRY)
