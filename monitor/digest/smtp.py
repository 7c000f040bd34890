"""Send stored messages over SMTP (SSL, STARTTLS or plain), with retries and backoff.

A message is never sent twice on our own account: when the connection fails or times out after
the final dot of DATA, the server may have accepted it without our hearing so. That send is
``uncertain``: not retried (an operator may resend it). The reply to the final dot is awaited
``data_timeout`` seconds (RFC 5321 4.5.3.2.6: 10 minutes), every other reply ``timeout``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
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
    uncertain: bool = False  # the server may have accepted it: do not send it again on our own


class UncertainDelivery(Exception):
    """The connection failed after the whole message was sent, before the server's reply."""


class PlaintextLoginRefused(Exception):
    """``security: none`` with credentials to a host off this machine, not explicitly allowed."""


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() in ("localhost", "localhost.localdomain")


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
            except PlaintextLoginRefused as exc:
                log.error("SMTP send to %s refused: %s", recipient, exc)
                return SendResult(False, attempt, str(exc))
            except UncertainDelivery as exc:
                error = f"no reply to the end of the message (the server may have accepted it): {exc}"
                log.warning("SMTP send to %s uncertain, not retried: %s", recipient, error)
                return SendResult(False, attempt, error, uncertain=True)
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
        creds = s.credentials()
        if creds and s.security == "none":
            if not (s.allow_plaintext_login or _is_loopback(s.host)):
                raise PlaintextLoginRefused(
                    f"smtp.security is 'none': the password would cross the network to {s.host} in clear; "
                    "use ssl or starttls, or set smtp.allow_plaintext_login: true"
                )
            log.warning("SMTP login to %s without TLS: the password is sent in clear", s.host)
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
            if creds:
                client.login(*creds)
            options = [f"size={len(raw)}"] if client.has_extn("size") else []
            code, resp = client.mail(s.sender, options)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, resp, s.sender)
            code, resp = client.rcpt(recipient)
            if code not in (250, 251):
                raise smtplib.SMTPRecipientsRefused({recipient: (code, resp)})
            self._data(client, raw)

    def _data(self, client: smtplib.SMTP, raw: bytes) -> None:
        """DATA as smtplib does it, but the final reply is awaited ``data_timeout`` and a failure
        once the final dot is sent is an ``UncertainDelivery``."""
        code, resp = client.docmd("data")
        if code != 354:
            raise smtplib.SMTPDataError(code, resp)
        body = re.sub(rb"(?m)^\.", b"..", raw)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        client.send(body + b".\r\n")
        try:
            if client.sock is not None:
                client.sock.settimeout(self.settings.data_timeout)
            code, resp = client.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise UncertainDelivery(f"{type(exc).__name__}: {exc}") from exc
        if code != 250:
            raise smtplib.SMTPDataError(code, resp)
