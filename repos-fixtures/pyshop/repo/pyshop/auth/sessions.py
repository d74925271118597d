"""Login sessions (bearer tokens), kept in memory."""

import threading
from dataclasses import dataclass

from ..ids import new_token


@dataclass(frozen=True)
class Session:
    token: str
    customer_id: int
    created_at: float
    expires_at: float


class SessionStore:
    def __init__(self, clock, ttl: int):
        self._clock = clock
        self._ttl = ttl
        self._sessions = {}
        self._lock = threading.Lock()

    def create(self, customer_id: int) -> Session:
        now = self._clock.now()
        session = Session(new_token(), customer_id, now, now + self._ttl)
        with self._lock:
            self._sessions[session.token] = session
        return session

    def get(self, token: str | None):
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if session.expires_at <= self._clock.now():
                del self._sessions[token]
                return None
            return session

    def revoke(self, token: str) -> bool:
        with self._lock:
            return self._sessions.pop(token, None) is not None

    def revoke_customer(self, customer_id: int) -> int:
        with self._lock:
            doomed = [t for t, s in self._sessions.items() if s.customer_id == customer_id]
            for token in doomed:
                del self._sessions[token]
            return len(doomed)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
