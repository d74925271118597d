"""Delivers the outbox through a transport."""


class MemoryTransport:
    """Keeps delivered messages in a list (tests, local development)."""

    def __init__(self):
        self.sent = []
        self.fail_for = set()

    def send(self, sender: str, to: str, subject: str, body: str) -> None:
        if to in self.fail_for:
            raise ConnectionError(f"mailbox {to} unavailable")
        self.sent.append({"from": sender, "to": to, "subject": subject, "body": body})


class Mailer:
    def __init__(self, outbox, transport):
        self.outbox = outbox
        self.transport = transport

    def flush(self, limit: int = 100) -> int:
        delivered = 0
        for message in self.outbox.pending()[:limit]:
            try:
                self.transport.send(message["sender"], message["to"], message["subject"],
                                    message["body"])
            except ConnectionError as exc:
                self.outbox.mark_failed(message["id"], str(exc))
                continue
            self.outbox.mark_sent(message["id"])
            delivered += 1
        return delivered
