"""Send stored messages over SMTP (SSL, STARTTLS or plain), with retries and backoff."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from dataclasses import dataclass

from core.settings import SmtpSettings

log = logging.getLogger(__name__)
BACKOFF_SECONDS = 2.0


@dataclass
class SendResult:
    ok: bool
    attempts: int
    error: str | None = None


class SmtpNotifier:
    """Delivers raw RFC 5322 bytes to one recipient; never raises for a delivery failure."""

    def __init__(self, settings: SmtpSettings, *, backoff: float | None = None) -> None:
        self.settings = settings
        self.backoff = BACKOFF_SECONDS if backoff is None else backoff

    def send(self, raw: bytes, recipient: str) -> SendResult:
        tries = self.settings.retries + 1
        error = None
        for attempt in range(1, tries + 1):
            try:
                self._send_once(raw, recipient)
                return SendResult(True, attempt)
            except smtplib.SMTPResponseException as exc:
                text = exc.smtp_error
                if isinstance(text, bytes):
                    text = text.decode("utf-8", "replace")
                error = f"SMTP {exc.smtp_code}: {text}"
                # Permanent: retrying now will not help; the next delivery may.
                if exc.smtp_code >= 500:
                    log.warning("SMTP refused %s permanently: %s", recipient, error)
                    return SendResult(False, attempt, error)
            except smtplib.SMTPRecipientsRefused as exc:
                return SendResult(
                    False, attempt, f"recipient refused: {exc.recipients}"
                )
            except (smtplib.SMTPException, OSError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            log.warning(
                "SMTP send to %s failed (attempt %d/%d): %s",
                recipient,
                attempt,
                tries,
                error,
            )
            if attempt < tries:
                time.sleep(self.backoff * 2 ** (attempt - 1))
        return SendResult(False, tries, error)

    def _send_once(self, raw: bytes, recipient: str) -> None:
        s = self.settings
        if s.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        with client:
            client.ehlo()
            if s.security == "starttls":
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            creds = s.credentials()
            if creds:
                client.login(*creds)
            client.sendmail(s.sender, [recipient], raw)
