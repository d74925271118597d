"""What every transport does."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class DeliveryResult:
    """The relay's answer for one recipient."""

    recipient: str
    code: int                 # SMTP reply code (250, 421, 450, 550, ...)
    message: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300


class Transport:
    """A connection to one relay host.  Not thread-safe: a worker takes one
    from the pool, uses it, and gives it back."""

    scheme = ""

    def __init__(self, host: str):
        self.host = host
        self.sent = 0
        self.closed = False

    def send(self, sender: str, recipients: list[str], data: str) -> list[DeliveryResult]:
        raise NotImplementedError

    def noop(self) -> bool:
        """Is the connection still usable?"""
        return not self.closed

    def close(self) -> None:
        self.closed = True
