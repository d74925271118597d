"""SMTP to our relay hosts (smtplib).  Never used by the tests."""

from __future__ import annotations

import smtplib

from .base import DeliveryResult, Transport


class SmtpTransport(Transport):
    scheme = "smtp"

    def __init__(self, host: str, port: int = 25, timeout: float = 30.0, starttls: bool = False,
                 local_hostname: str | None = None):
        super().__init__(host)
        self.port = port
        self.timeout = timeout
        self.starttls = starttls
        self.local_hostname = local_hostname
        self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout,
                                local_hostname=self.local_hostname)
            if self.starttls:
                smtp.starttls()
            self._smtp = smtp
        return self._smtp

    def send(self, sender, recipients, data):
        smtp = self._connection()
        try:
            refused = smtp.sendmail(sender, recipients, data.encode("utf-8"))
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except smtplib.SMTPResponseException as exc:
            return [DeliveryResult(r, exc.smtp_code, str(exc.smtp_error)) for r in recipients]
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            return [DeliveryResult(r, 421, f"connection lost: {exc}") for r in recipients]
        self.sent += 1
        results = []
        for recipient in recipients:
            if recipient in refused:
                code, message = refused[recipient]
                results.append(DeliveryResult(recipient, code, message.decode("utf-8", "replace")))
            else:
                results.append(DeliveryResult(recipient, 250, "ok"))
        return results

    def noop(self) -> bool:
        if self._smtp is None:
            return not self.closed
        try:
            return self._smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._smtp = None
        super().close()
